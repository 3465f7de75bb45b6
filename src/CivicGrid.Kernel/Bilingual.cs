using System.Globalization;

namespace CivicGrid.Kernel;

/// <summary>
/// Staff screens are Chinese first with an English switch. Messages are written as pairs at the place they are
/// used, so a reader sees both languages together; <see cref="Pick"/> chooses by the current UI culture.
/// </summary>
public static class Bilingual
{
    public static bool IsEnglish => CultureInfo.CurrentUICulture.TwoLetterISOLanguageName == "en";

    public static string Pick(string zh, string en) => IsEnglish ? en : zh;

    /// <summary>Both languages, for API messages read by people and programs alike.</summary>
    public static string Both(string zh, string en) => $"{zh} / {en}";

    /// <summary>The current language's half of a message made by <see cref="Both"/> (a screen shows one language).</summary>
    public static string PickFrom(string both)
    {
        var at = both.IndexOf(" / ", StringComparison.Ordinal);
        return at < 0 ? both : Pick(both[..at], both[(at + 3)..]);
    }
}
