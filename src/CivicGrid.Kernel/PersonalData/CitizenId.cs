namespace CivicGrid.Kernel.PersonalData;

/// <summary>
/// Resident identity card number (公民身份号码) as defined by GB 11643-1999:
/// 6-digit administrative area code, 8-digit birth date (yyyyMMdd), 3-digit sequence
/// (odd = male, even = female) and one ISO 7064 MOD 11-2 check character (0-9 or X).
/// </summary>
/// <remarks>
/// Error messages are bilingual ("中文 / English") and deliberately never echo the input or any
/// part of it: they end up in logs, validation responses and audit trails, where a citizen ID
/// would be a personal-data leak.
/// </remarks>
public static class CitizenId
{
    /// <summary>Length of a second-generation (current) number.</summary>
    public const int Length = 18;

    /// <summary>Length of a first-generation number (issued until 2004, no check character).</summary>
    public const int LegacyLength = 15;

    private const string CheckCharacters = "10X98765432";

    // Weight of position i is 2^(17-i) mod 11, as prescribed by ISO 7064 MOD 11-2.
    private static readonly int[] Weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

    private static readonly DateOnly EarliestBirthDate = new(1900, 1, 1);

    /// <summary>
    /// Folds full-width characters and drops spaces and hyphens (as input methods and pasted texts give them), upper-cases a trailing x, upgrades a 15-digit first-generation number to 18 digits and
    /// validates area (province) code, birth date and check character.
    /// </summary>
    /// <param name="input">The raw value as typed or imported.</param>
    /// <param name="normalized">The 18-character number when valid, otherwise an empty string.</param>
    /// <param name="error">A bilingual message naming what is wrong; never contains the input.</param>
    /// <param name="today">
    /// The date births may not be after; defaults to the current date in China (UTC+8).
    /// Pass a fixed date in tests.
    /// </param>
    public static bool TryNormalize(string? input, out string normalized, out string? error, DateOnly? today = null)
    {
        normalized = string.Empty;
        ReadOnlySpan<char> value = Halfwidth.FoldIdentifier(input.AsSpan());
        if (value.IsEmpty)
        {
            error = "身份证号为空 / Citizen ID number is empty.";
            return false;
        }

        Span<char> buffer = stackalloc char[Length];
        if (value.Length == LegacyLength)
        {
            // First-generation numbers have no check character, so every position must be a digit.
            if (!AllDigits(value))
            {
                error = "15位身份证号只能包含数字 / A 15-digit citizen ID number may contain digits only.";
                return false;
            }

            // Upgrade rule of GB 11643-1999: all first-generation holders were born in the 1900s,
            // so "19" is inserted before yymmdd and the check character is computed fresh.
            value[..6].CopyTo(buffer);
            buffer[6] = '1';
            buffer[7] = '9';
            value[6..].CopyTo(buffer[8..]);
            buffer[17] = ComputeCheckCharacterUnchecked(buffer[..17]);
        }
        else if (value.Length == Length)
        {
            value.CopyTo(buffer);
            if (buffer[17] == 'x')
            {
                buffer[17] = 'X';
            }

            if (!AllDigits(buffer[..17]) || !(char.IsAsciiDigit(buffer[17]) || buffer[17] == 'X'))
            {
                error = "身份证号前17位须为数字,末位为数字或X / The first 17 characters must be digits and the last a digit or X.";
                return false;
            }
        }
        else
        {
            error = "身份证号长度应为18位(或15位旧号) / Citizen ID number must be 18 characters (or 15 for a first-generation number).";
            return false;
        }

        if (!IsKnownProvince(buffer[0], buffer[1]))
        {
            error = "身份证号地区码无效 / Citizen ID number has an invalid region code.";
            return false;
        }

        if (!TryReadBirthDate(buffer, out DateOnly birthDate)
            || birthDate < EarliestBirthDate
            || birthDate > (today ?? TodayInChina()))
        {
            error = "身份证号出生日期无效 / Citizen ID number has an invalid birth date.";
            return false;
        }

        if (ComputeCheckCharacterUnchecked(buffer[..17]) != buffer[17])
        {
            error = "身份证号校验码错误 / Citizen ID number has a wrong check character.";
            return false;
        }

        normalized = new string(buffer);
        error = null;
        return true;
    }

    /// <summary>True when <paramref name="input"/> normalizes to a valid 18-character number.</summary>
    public static bool IsValid(string? input, DateOnly? today = null) => TryNormalize(input, out _, out _, today);

    /// <summary>Computes the ISO 7064 MOD 11-2 check character ('0'-'9' or 'X') for the first 17 digits.</summary>
    /// <exception cref="ArgumentException">Not exactly 17 ASCII digits.</exception>
    public static char ComputeCheckCharacter(ReadOnlySpan<char> first17)
    {
        if (first17.Length != Length - 1 || !AllDigits(first17))
        {
            // The message names the rule only; the argument may be a real ID fragment.
            throw new ArgumentException("需要17位数字 / Exactly 17 digits are required.", nameof(first17));
        }

        return ComputeCheckCharacterUnchecked(first17);
    }

    /// <summary>
    /// Builds a valid synthetic number, e.g. for demo data and tests.
    /// </summary>
    /// <param name="areaCode6">6-digit administrative area code whose first two digits are a province code.</param>
    /// <param name="birthDate">Birth date, 1900-01-01 or later (the result only validates once that date is not in the future).</param>
    /// <param name="sequence3">Sequence 0-999; odd numbers denote men, even numbers women.</param>
    public static string Create(string areaCode6, DateOnly birthDate, int sequence3)
    {
        ArgumentNullException.ThrowIfNull(areaCode6);
        if (areaCode6.Length != 6 || !AllDigits(areaCode6) || !IsKnownProvince(areaCode6[0], areaCode6[1]))
        {
            throw new ArgumentException("地区码须为6位数字且省级代码有效 / The area code must be 6 digits starting with a valid province code.", nameof(areaCode6));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(birthDate, EarliestBirthDate);
        ArgumentOutOfRangeException.ThrowIfNegative(sequence3);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(sequence3, 999);

        // string.Create writes straight into the result: the demo seeds ~1.2 million people.
        return string.Create(Length, (areaCode6, birthDate, sequence3), static (span, state) =>
        {
            state.areaCode6.AsSpan().CopyTo(span);
            WriteDigits(span.Slice(6, 4), state.birthDate.Year);
            WriteDigits(span.Slice(10, 2), state.birthDate.Month);
            WriteDigits(span.Slice(12, 2), state.birthDate.Day);
            WriteDigits(span.Slice(14, 3), state.sequence3);
            span[17] = ComputeCheckCharacterUnchecked(span[..17]);
        });
    }

    /// <summary>Reads the birth date of a normalized 18-character number.</summary>
    /// <exception cref="FormatException">The value is not 18 characters or has no valid date at positions 7-14.</exception>
    public static DateOnly BirthDate(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        if (normalized.Length != Length || !TryReadBirthDate(normalized, out DateOnly birthDate))
        {
            throw new FormatException("不是规范化的18位身份证号 / Not a normalized 18-character citizen ID number.");
        }

        return birthDate;
    }

    private static char ComputeCheckCharacterUnchecked(ReadOnlySpan<char> first17)
    {
        int sum = 0;
        for (int i = 0; i < Weights.Length; i++)
        {
            sum += (first17[i] - '0') * Weights[i];
        }

        return CheckCharacters[sum % 11];
    }

    private static bool TryReadBirthDate(ReadOnlySpan<char> number, out DateOnly birthDate)
    {
        birthDate = default;
        ReadOnlySpan<char> digits = number.Slice(6, 8);
        if (!AllDigits(digits))
        {
            return false;
        }

        int year = ParseDigits(digits[..4]);
        int month = ParseDigits(digits.Slice(4, 2));
        int day = ParseDigits(digits.Slice(6, 2));
        // Checked by hand instead of DateOnly.TryParseExact to stay culture-independent and allocation-free.
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month))
        {
            return false;
        }

        birthDate = new DateOnly(year, month, day);
        return true;
    }

    // Province-level codes of GB/T 2260 plus 71 (Taiwan), 81/82 (Hong Kong/Macao), 83 (Taiwan residence permit)
    // and 91 (foreigner's permanent residence ID card, 2023 edition), which all share this number format.
    private static bool IsKnownProvince(char first, char second)
    {
        if (!char.IsAsciiDigit(first) || !char.IsAsciiDigit(second))
        {
            return false;
        }

        return ((first - '0') * 10 + (second - '0')) switch
        {
            >= 11 and <= 15 => true,
            >= 21 and <= 23 => true,
            >= 31 and <= 37 => true,
            >= 41 and <= 46 => true,
            >= 50 and <= 54 => true,
            >= 61 and <= 65 => true,
            71 or 81 or 82 or 83 or 91 => true,
            _ => false,
        };
    }

    private static DateOnly TodayInChina() =>
        // China has a single time zone without daylight saving; a server running in UTC would
        // otherwise reject people born today between 00:00 and 08:00 Beijing time.
        Time.ChinaTime.DateOf(TimeProvider.System.GetUtcNow().UtcDateTime);

    private static bool AllDigits(ReadOnlySpan<char> value) => !value.ContainsAnyExceptInRange('0', '9');

    private static int ParseDigits(ReadOnlySpan<char> digits)
    {
        int result = 0;
        foreach (char c in digits)
        {
            result = result * 10 + (c - '0');
        }

        return result;
    }

    private static void WriteDigits(Span<char> destination, int value)
    {
        for (int i = destination.Length - 1; i >= 0; i--)
        {
            destination[i] = (char)('0' + value % 10);
            value /= 10;
        }
    }
}
