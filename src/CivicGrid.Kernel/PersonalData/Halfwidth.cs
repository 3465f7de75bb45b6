namespace CivicGrid.Kernel.PersonalData;

/// <summary>
/// Chinese input methods and pasted texts give full-width characters (１２３, ＸＸ, －, the ideographic space): identifiers are
/// folded to ASCII, and spaces and hyphens between their characters dropped, before they are validated.
/// </summary>
public static class Halfwidth
{
    /// <summary>Full-width ASCII (U+FF01–U+FF5E) to ASCII; separators (any space, '-', '－', '—', '–', '·') removed.</summary>
    public static string FoldIdentifier(ReadOnlySpan<char> value)
    {
        var needsWork = false;
        foreach (var c in value)
        {
            if (c >= '\uFF01' || char.IsWhiteSpace(c) || IsSeparator(c)) { needsWork = true; break; }
        }
        if (!needsWork) return value.ToString();
        Span<char> buffer = value.Length <= 256 ? stackalloc char[value.Length] : new char[value.Length];
        var n = 0;
        foreach (var raw in value)
        {
            var c = raw is >= '\uFF01' and <= '\uFF5E' ? (char)(raw - 0xFEE0) : raw;
            if (char.IsWhiteSpace(c) || IsSeparator(c)) continue;
            buffer[n++] = c;
        }
        return new string(buffer[..n]);
    }

    private static bool IsSeparator(char c) => c is '-' or '\u2014' or '\u2013' or '\u00B7' or '\u30FB';
}
