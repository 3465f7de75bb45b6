using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Places.Contracts;

/// <summary>A region of the tree (district, town/street, village/community or grid) as other modules see it.</summary>
/// <param name="Code">The current statistical code.</param>
/// <param name="RegionPath">Materialised path of ids, root first ("/1/5/130/").</param>
/// <param name="ParentId">Null for the district.</param>
public sealed record RegionInfo(int Id, string Name, string Code, RegionLevel Level, string RegionPath, int? ParentId)
{
    /// <summary>The region's subtree as a scope, for restricting another module's rows to it.</summary>
    public RegionScope Scope => new(Id, RegionPath, Level);
}

/// <summary>Read-only lookups in the region tree for other modules. Scoped: it uses the request's Places database context.</summary>
public sealed class RegionDirectory(PlacesDbContext db)
{
    /// <summary>The region <paramref name="id"/> if <paramref name="scope"/> holds it; null when it does not exist or lies outside.</summary>
    public async Task<RegionInfo?> FindInScopeAsync(int id, RegionScope scope, CancellationToken ct)
    {
        var region = await FindAsync(id, ct);
        return region is not null && scope.Contains(region.RegionPath) ? region : null;
    }

    /// <summary>The region <paramref name="id"/> regardless of any caller's area, for system work (routing, background services).</summary>
    public Task<RegionInfo?> FindAsync(int id, CancellationToken ct) =>
        db.Regions.AsNoTracking().Where(r => r.Id == id)
            .Select(r => new RegionInfo(r.Id, r.Name, r.Code, r.Level, r.RegionPath, r.ParentId)).FirstOrDefaultAsync(ct);

    /// <summary>Every region of one level (the district, the 22 towns, ...), by id.</summary>
    public async Task<IReadOnlyList<RegionInfo>> AtLevelAsync(RegionLevel level, CancellationToken ct) =>
        await db.Regions.AsNoTracking().Where(r => r.Level == level).OrderBy(r => r.Id)
            .Select(r => new RegionInfo(r.Id, r.Name, r.Code, r.Level, r.RegionPath, r.ParentId)).ToListAsync(ct);
}
