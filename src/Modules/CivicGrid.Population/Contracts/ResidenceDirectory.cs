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
public sealed class ResidenceDirectory(PopulationDbContext db)
{
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
}
