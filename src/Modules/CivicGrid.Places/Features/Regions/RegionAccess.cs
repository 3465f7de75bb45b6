using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Places.Features.Regions;

internal static class RegionAccess
{
    /// <summary>The region when it lies in the caller's scope; null (shown as 404) otherwise, so foreign ids reveal nothing.</summary>
    public static async Task<Region?> FindInScopeAsync(this PlacesDbContext db, int id, RegionScope scope, CancellationToken ct)
    {
        var region = await db.Regions.AsNoTracking().FirstOrDefaultAsync(r => r.Id == id, ct);
        return region is not null && scope.Contains(region.RegionPath) ? region : null;
    }

    /// <summary>Breadcrumb from the caller's own region down to <paramref name="region"/>.</summary>
    public static async Task<List<Region>> TrailAsync(this PlacesDbContext db, Region region, RegionScope scope, CancellationToken ct)
    {
        var ids = RegionPaths.Ids(region.RegionPath);
        var rows = await db.Regions.AsNoTracking().Where(r => ids.Contains(r.Id)).ToListAsync(ct);
        return rows.Where(r => scope.Contains(r.RegionPath)).OrderBy(r => r.Level).ToList();
    }

    public static string LevelTitle(RegionLevel level) => level switch
    {
        RegionLevel.District => Kernel.Bilingual.Pick("区", "District"),
        RegionLevel.Town => Kernel.Bilingual.Pick("镇街", "Town/street"),
        RegionLevel.Village => Kernel.Bilingual.Pick("村社", "Village/community"),
        _ => Kernel.Bilingual.Pick("网格", "Grid"),
    };
}
