using System.Globalization;

namespace CivicGrid.Kernel.PersonalData;

/// <summary>
/// Display masks for personal data on screens, exports and logs. Every method accepts null or
/// malformed input and never throws: a mask is often applied in an error path, where an exception
/// would hide the original problem. Input that does not fit the rule yields <see cref="Hidden"/>
/// rather than a partial reveal.
/// </summary>
public static class Mask
{
    /// <summary>Returned for null, empty or too-short input.</summary>
    public const string Hidden = "****";

    /// <summary>"330109199001011234" → "330109********1234" (area code and last 4 visible).</summary>
    public static string IdNumber(string? value) => KeepEnds(value, CitizenId.Length, 6, "********", 4);

    /// <summary>"13812345678" → "138****5678".</summary>
    public static string Phone(string? value) => KeepEnds(value, MobileNumber.Length, 3, "****", 4);

    /// <summary>"91350100M000100Y43" → "9135**********0Y43".</summary>
    public static string CreditCode(string? value) => KeepEnds(value, PersonalData.CreditCode.Length, 4, "**********", 4);

    /// <summary>"张三丰" → "张**": the first character stays, each further character becomes '*'.</summary>
    public static string Name(string? value)
    {
        string name = value?.Trim() ?? string.Empty;
        if (name.Length == 0)
        {
            return Hidden;
        }

        // Count text elements, not UTF-16 units: rare surname characters (e.g. 𠇔) lie outside the BMP
        // and splitting a surrogate pair would produce an invalid string.
        int first = StringInfo.GetNextTextElementLength(name);
        int rest = new StringInfo(name[first..]).LengthInTextElements;
        // At least one '*' so that a one-character name is never shown in full.
        return string.Concat(name.AsSpan(0, first), new string('*', Math.Max(rest, 1)));
    }

    private static string KeepEnds(string? value, int minimumLength, int head, string stars, int tail)
    {
        ReadOnlySpan<char> span = value.AsSpan().Trim();
        // Shorter input (a typo, a legacy format) would expose more than the rule allows, so hide it all.
        if (span.Length < minimumLength)
        {
            return Hidden;
        }

        return string.Concat(span[..head], stars, span[^tail..]);
    }
}
