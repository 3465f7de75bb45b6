using System.Text;
using System.Text.RegularExpressions;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Population.Data;
using CivicGrid.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

/// <summary>After seeding the demo district, no ID number or mobile number appears in plain text in the database file.</summary>
public partial class PersonalDataAtRestTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    // Neighbours that are hex digits are excluded: GUIDs and security stamps (and stale copies of them in free pages)
    // contain long digit runs that are not personal data.
    [GeneratedRegex(@"(?<![0-9A-Fa-f])[1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx](?![0-9A-Fa-f])")]
    private static partial Regex IdNumberPattern();

    [GeneratedRegex(@"(?<![0-9A-Fa-f])1[3-9][0-9]{9}(?![0-9A-Fa-f])")]
    private static partial Regex MobilePattern();

    /// <summary>Finds valid-looking ID numbers (with a correct check character) and mobile numbers in raw bytes.</summary>
    internal static (List<string> Ids, List<string> Phones) Scan(byte[] bytes)
    {
        // Latin-1 maps every byte to one char, so ASCII digits inside binary pages are found where they are.
        var text = Encoding.Latin1.GetString(bytes);
        var ids = IdNumberPattern().Matches(text).Select(m => m.Value).Where(v => CitizenId.IsValid(v)).ToList();
        var phones = MobilePattern().Matches(text).Select(m => m.Value).ToList();
        return (ids, phones);
    }

    [Fact]
    public void Scan_PlainTextPersonalData_IsFound()
    {
        // The scanner itself must be able to fail: plain values planted in binary noise are found.
        var bytes = Encoding.ASCII.GetBytes("\0\u0001x11010519491231002X\u0002 13812345678\0");
        var (ids, phones) = Scan(bytes);
        Assert.Equal(["11010519491231002X"], ids);
        Assert.Equal(["13812345678"], phones);
    }

    [Fact]
    public async Task SeededDatabase_RawFile_HoldsNoPlainIdOrPhone()
    {
        if (PlatformFactory.OnPostgres) return; // the raw-file scan is about the embedded SQLite file
        // Start the platform (seeds the demo), and check the data is really there, encrypted.
        var (count, sample) = await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var first = await db.Residents.AsNoTracking().OrderBy(r => r.Id).FirstAsync();
            return (await db.Residents.CountAsync(), first);
        });
        Assert.True(count > 1000, $"only {count} residents seeded");
        var protector = factory.Services.GetRequiredService<PersonalDataProtector>();
        var plainId = protector.Decrypt(sample.IdNumber);
        Assert.True(CitizenId.IsValid(plainId));
        Assert.Equal(Mask.IdNumber(plainId), sample.IdMasked);

        // Move everything from the WAL into the main file, then read both as raw bytes.
        await using (var connection = new SqliteConnection(factory.ConnectionString))
        {
            await connection.OpenAsync();
            await using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await checkpoint.ExecuteNonQueryAsync();
        }
        var bytes = await File.ReadAllBytesAsync(factory.SqliteFile);
        if (File.Exists(factory.SqliteFile + "-wal"))
        {
            bytes = [.. bytes, .. await File.ReadAllBytesAsync(factory.SqliteFile + "-wal")];
        }
        Assert.True(bytes.Length > 1_000_000);
        var (ids, phones) = Scan(bytes);
        var text = Encoding.Latin1.GetString(bytes);
        // On failure, show where the value sits (the bytes before it) so the leaking column can be found.
        string Where(string v) { var i = text.IndexOf(v, StringComparison.Ordinal); return Regex.Escape(text[Math.Max(0, i - 48)..(i + v.Length)]); }
        Assert.True(ids.Count == 0, "plain ID numbers: " + string.Join(" | ", ids.Select(Where)));
        Assert.True(phones.Count == 0, "plain phones: " + string.Join(" | ", phones.Select(Where)));
        Assert.DoesNotContain(plainId, Encoding.Latin1.GetString(bytes), StringComparison.Ordinal);
    }
}
