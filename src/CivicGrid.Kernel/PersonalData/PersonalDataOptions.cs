namespace CivicGrid.Kernel.PersonalData;

/// <summary>
/// Keys for <see cref="PersonalDataProtector"/>, bound from the configuration section
/// <see cref="SectionName"/>. Keep the values out of appsettings.json in production (environment
/// variables or a secrets store), and never log them.
/// </summary>
public sealed class PersonalDataOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "CivicGrid:PersonalData";

    /// <summary>Base64 of 32 random bytes: the current master key (see <see cref="PersonalDataProtector.GenerateKey"/>).</summary>
    public string? Key { get; set; }

    /// <summary>
    /// Identifier of <see cref="Key"/> (0-255), stored in every ciphertext so data encrypted before a
    /// rotation can still find its key. Increase it whenever the key changes.
    /// </summary>
    public int KeyId { get; set; } = 1;

    /// <summary>Previous master keys by key id (base64), kept only to decrypt data written before a rotation.</summary>
    public Dictionary<int, string> RetiredKeys { get; set; } = [];
}
