using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Places.Features.Grids;

/// <summary>
/// Holds the current <see cref="GridIndex"/>. Built on first use from the grids' polygons (about 3,000 at district scale,
/// a few MB), rebuilt after grids change. Lookups read a reference and never wait on a lock.
/// </summary>
internal sealed class GridLookup(IDbContextFactory<PlacesDbContext> factory) : IDisposable
{
    private readonly SemaphoreSlim building = new(1, 1);
    private volatile GridIndex? current;

    public async Task<GridIndex> GetAsync(CancellationToken ct)
    {
        if (current is { } index) return index;
        await building.WaitAsync(ct);
        try
        {
            if (current is null)
            {
                await using var db = await factory.CreateDbContextAsync(ct);
                var grids = await db.Regions.AsNoTracking()
                    .Where(r => r.Level == RegionLevel.Grid && r.Boundary != null)
                    .Select(r => new { r.Id, r.RegionPath, r.Boundary })
                    .ToListAsync(ct);
                current = new GridIndex(grids.Select(g => new GridShape(g.Id, g.RegionPath, g.Boundary!)));
            }
            return current;
        }
        finally
        {
            building.Release();
        }
    }

    /// <summary>Call after grids are imported or changed; the next lookup rebuilds the index.</summary>
    public void Invalidate() => current = null;

    public void Dispose() => building.Dispose();
}
