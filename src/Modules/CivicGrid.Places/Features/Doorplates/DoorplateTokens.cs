using System.Security.Cryptography;

namespace CivicGrid.Places.Features.Doorplates;

/// <summary>Doorplate tokens: 120 random bits in Base64Url (20 characters), so a label cannot be guessed from another.</summary>
internal static class DoorplateTokens
{
    public static string New()
    {
        Span<byte> bytes = stackalloc byte[15];
        string token;
        do
        {
            RandomNumberGenerator.Fill(bytes);
            token = Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
        }
        while (!StartsWell(token));
        return token;
    }

    // A token typed into a spreadsheet cell must not start with '-' (Excel would read "-abc" as a formula).
    private static bool StartsWell(string token) => char.IsAsciiLetterOrDigit(token[0]);

    /// <summary>A deterministic token for the demo generator, derived from a seed so repeated runs print the same labels.</summary>
    public static string Deterministic(Random random)
    {
        Span<byte> bytes = stackalloc byte[15];
        string token;
        do
        {
            random.NextBytes(bytes);
            token = Convert.ToBase64String(bytes).Replace('+', '-').Replace('/', '_');
        }
        while (!StartsWell(token));
        return token;
    }

    public static bool LooksValid(string? token) =>
        token is { Length: 20 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c == '-' || c == '_');
}
