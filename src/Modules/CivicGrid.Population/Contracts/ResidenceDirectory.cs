using CivicGrid.Kernel.Regions;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Contracts;

/// <summary>Where a person lives, for other modules (anti-fraud routing, work orders).</summary>
/// <param name="ResidentId">The resident's id in the register.</param>
/// <param name="RegionPath">The region path of the address's grid.</param>
/// <param name="AddressId">The address the person lives at.</param>
public sealed record Residence(long ResidentId, string RegionPath, long AddressId);

/// <summary>
/// Finds a person's residence by the blind index of their ID number (kind "id") or mobile number (kind "phone"), the same
/// keys the anti-fraud events carry as subjects, so no module ever handles the plain number.
/// </summary>
public sealed class ResidenceDirectory
{
    private readonly PopulationDbContext db;

    // Made by the module's registration: its dependencies are the module's own internals.
    internal ResidenceDirectory(PopulationDbContext db)
    {
        this.db = db;
    }

    /// <summary>The residence of the person with this blind index, or null when the register does not know them.</summary>
    public async Task<Residence?> FindAsync(string blindIndex, CancellationToken ct)
    {
        var row = await db.Residents.AsNoTracking()
            .Where(r => r.IdIndex == blindIndex || r.PhoneIndex == blindIndex)
            .OrderByDescending(r => r.Id)
            .Select(r => new Residence(r.Id, r.RegionPath, r.AddressId))
            .FirstOrDefaultAsync(ct);
        return row;
    }

    /// <summary>
    /// The residences of several people at once (one query), keyed by the blind index asked for; people the register does
    /// not know are left out. Each gets the same answer as <see cref="FindAsync"/>.
    /// </summary>
    public async Task<Dictionary<string, Residence>> FindManyAsync(IReadOnlyCollection<string> blindIndexes, CancellationToken ct)
    {
        var found = new Dictionary<string, Residence>(StringComparer.Ordinal);
        if (blindIndexes.Count == 0) return found;
        var keys = blindIndexes.Distinct(StringComparer.Ordinal).ToList();
        var rows = await db.Residents.AsNoTracking()
            .Where(r => keys.Contains(r.IdIndex) || (r.PhoneIndex != null && keys.Contains(r.PhoneIndex!)))
            .Select(r => new { r.Id, r.IdIndex, r.PhoneIndex, r.RegionPath, r.AddressId })
            .ToListAsync(ct);
        // In id order, so the latest record wins, as in FindAsync.
        foreach (var r in rows.OrderBy(r => r.Id))
        {
            var residence = new Residence(r.Id, r.RegionPath, r.AddressId);
            if (keys.Contains(r.IdIndex)) found[r.IdIndex] = residence;
            if (r.PhoneIndex is { } phone && keys.Contains(phone)) found[phone] = residence;
        }
        return found;
    }

    /// <summary>
    /// The ID-number blind indexes of up to <paramref name="count"/> current residents of <paramref name="scope"/>, in register
    /// order: the people the demo's anti-fraud simulation speaks of, so that its alerts reach the town's police.
    /// </summary>
    public async Task<IReadOnlyList<string>> SampleAsync(RegionScope scope, int count, CancellationToken ct) =>
        await db.Residents.AsNoTracking().InScope(scope).Where(r => r.Until == null).OrderBy(r => r.Id).Take(count)
            .Select(r => r.IdIndex).ToListAsync(ct);
}
