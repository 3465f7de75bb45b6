namespace CivicGrid.Kernel.PersonalData;

/// <summary>
/// Mainland China mobile numbers: 11 digits, first digit 1, second digit 3-9.
/// </summary>
/// <remarks>Error messages are bilingual and never echo the input (it is personal data).</remarks>
public static class MobileNumber
{
    /// <summary>Length of a normalized number.</summary>
    public const int Length = 11;

    // Generous bound for "+86 138-1234-5678" style input; anything longer is rejected before copying.
    private const int MaxInputLength = 32;

    /// <summary>
    /// Folds full-width characters, removes spaces, hyphens and an optional "+86", "0086" or "86" country prefix, then validates.
    /// </summary>
    /// <param name="input">The raw value as typed or imported.</param>
    /// <param name="normalized">The 11-digit number when valid, otherwise an empty string.</param>
    /// <param name="error">A bilingual message naming what is wrong; never contains the input.</param>
    public static bool TryNormalize(string? input, out string normalized, out string? error)
    {
        normalized = string.Empty;
        ReadOnlySpan<char> value = Halfwidth.FoldIdentifier(input.AsSpan());
        if (value.IsEmpty)
        {
            error = "手机号为空 / Mobile number is empty.";
            return false;
        }

        if (value.Length > MaxInputLength)
        {
            error = "手机号应为11位数字 / Mobile number must be 11 digits.";
            return false;
        }

        Span<char> buffer = stackalloc char[MaxInputLength];
        int length = 0;
        bool plus = false;
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            if (c == '-' || char.IsWhiteSpace(c))
            {
                continue;
            }

            // '+' is only meaningful as the very first character, introducing the country code.
            if (c == '+' && i == 0)
            {
                plus = true;
                continue;
            }

            if (!char.IsAsciiDigit(c))
            {
                error = "手机号含有非法字符 / Mobile number contains invalid characters.";
                return false;
            }

            buffer[length++] = c;
        }

        ReadOnlySpan<char> digits = buffer[..length];
        if (plus)
        {
            if (!digits.StartsWith("86"))
            {
                error = "仅支持中国大陆手机号(+86) / Only mainland China mobile numbers (+86) are supported.";
                return false;
            }

            digits = digits[2..];
        }
        else if (digits.Length == Length + 4 && digits.StartsWith("0086"))
        {
            digits = digits[4..];
        }
        else if (digits.Length == Length + 2 && digits.StartsWith("86"))
        {
            // Unambiguous: a domestic number starts with 1, so 13 digits beginning with 86 carry a country code.
            digits = digits[2..];
        }

        if (digits.Length != Length)
        {
            error = "手机号应为11位数字 / Mobile number must be 11 digits.";
            return false;
        }

        if (digits[0] != '1' || digits[1] < '3')
        {
            error = "手机号应以1开头且第二位为3-9 / Mobile number must start with 1 followed by 3-9.";
            return false;
        }

        normalized = new string(digits);
        error = null;
        return true;
    }

    /// <summary>True when <paramref name="input"/> normalizes to a valid mobile number.</summary>
    public static bool IsValid(string? input) => TryNormalize(input, out _, out _);
}
