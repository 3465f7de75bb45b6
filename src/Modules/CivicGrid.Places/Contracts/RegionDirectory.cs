using System.Linq.Expressions;
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

/// <summary>How many regions of each level lie strictly below a region.</summary>
public sealed record RegionCounts(int Towns, int Villages, int Grids);

/// <summary>
/// Read-only lookups in the region tree for other modules and the web host. Each call takes its own short-lived Places
/// context from the factory, so the directory is a singleton, safe in long-lived Blazor circuits and background services.
/// </summary>
public sealed class RegionDirectory(IDbContextFactory<PlacesDbContext> factory)
{
    private static readonly Expression<Func<Region, RegionInfo>> Info = r => new RegionInfo(r.Id, r.Name, r.Code, r.Level, r.RegionPath, r.ParentId);

    /// <summary>The region <paramref name="id"/> if <paramref name="scope"/> holds it; null when it does not exist or lies outside.</summary>
    public async Task<RegionInfo?> FindInScopeAsync(int id, RegionScope scope, CancellationToken ct)
    {
        var region = await FindAsync(id, ct);
        return region is not null && scope.Contains(region.RegionPath) ? region : null;
    }

    /// <summary>The region <paramref name="id"/> regardless of any caller's area, for system work (routing, background services).</summary>
    public async Task<RegionInfo?> FindAsync(int id, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Regions.AsNoTracking().Where(r => r.Id == id).Select(Info).FirstOrDefaultAsync(ct);
    }

    /// <summary>Several regions at once (one query per 1,000 ids), keyed by id; unknown ids are left out.</summary>
    public async Task<IReadOnlyDictionary<int, RegionInfo>> FindManyAsync(IEnumerable<int> ids, CancellationToken ct)
    {
        var found = new Dictionary<int, RegionInfo>();
        var all = ids.Distinct().ToList();
        if (all.Count == 0) return found;
        await using var db = await factory.CreateDbContextAsync(ct);
        foreach (var chunk in all.Chunk(1000))
        {
            foreach (var r in await db.Regions.AsNoTracking().Where(r => chunk.Contains(r.Id)).Select(Info).ToListAsync(ct)) found[r.Id] = r;
        }
        return found;
    }

    /// <summary>Every region of one level (the district, the 22 towns, ...), by id.</summary>
    public async Task<IReadOnlyList<RegionInfo>> AtLevelAsync(RegionLevel level, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Regions.AsNoTracking().Where(r => r.Level == level).OrderBy(r => r.Id).Select(Info).ToListAsync(ct);
    }

    /// <summary>The district (the root), or null before the tree is seeded or imported.</summary>
    public async Task<RegionInfo?> RootAsync(CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Regions.AsNoTracking().Where(r => r.ParentId == null).OrderBy(r => r.Id).Select(Info).FirstOrDefaultAsync(ct);
    }

    /// <summary>The direct children of region <paramref name="id"/>, by code.</summary>
    public async Task<IReadOnlyList<RegionInfo>> ChildrenAsync(int id, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Regions.AsNoTracking().Where(r => r.ParentId == id).OrderBy(r => r.Code).ThenBy(r => r.Id).Select(Info).ToListAsync(ct);
    }

    /// <summary>
    /// The regions along <paramref name="regionPath"/> that <paramref name="scope"/> holds, root first: the breadcrumb from
    /// the caller's own region down to the path's last region.
    /// </summary>
    public async Task<IReadOnlyList<RegionInfo>> TrailAsync(string regionPath, RegionScope scope, CancellationToken ct)
    {
        var ids = RegionPaths.Ids(regionPath);
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.Regions.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(Info).ToListAsync(ct);
        return rows.Where(r => scope.Contains(r.RegionPath)).OrderBy(r => r.Level).ToList();
    }

    /// <summary>Regions in <paramref name="scope"/> whose name contains <paramref name="text"/> (or all, when empty), by level and code, at most <paramref name="take"/>.</summary>
    public async Task<IReadOnlyList<RegionInfo>> SearchAsync(string? text, RegionScope scope, int take, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var query = db.Regions.AsNoTracking().InScope(scope);
        if (!string.IsNullOrWhiteSpace(text))
        {
            var t = text.Trim();
            query = query.Where(r => r.Name.Contains(t) || r.Code.StartsWith(t));
        }
        return await query.OrderBy(r => r.Level).ThenBy(r => r.Code).Take(take).Select(Info).ToListAsync(ct);
    }

    /// <summary>Regions with one of these exact names (demo accounts find their towns and villages by name).</summary>
    public async Task<IReadOnlyList<RegionInfo>> WithNamesAsync(IReadOnlyCollection<string> names, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Regions.AsNoTracking().Where(r => names.Contains(r.Name)).OrderBy(r => r.Id).Select(Info).ToListAsync(ct);
    }

    /// <summary>The regions with these statistical codes (an account import names regions by code).</summary>
    public async Task<IReadOnlyDictionary<string, RegionInfo>> WithCodesAsync(IReadOnlyCollection<string> codes, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rows = await db.Regions.AsNoTracking().Where(r => codes.Contains(r.Code)).OrderBy(r => r.Id).Select(Info).ToListAsync(ct);
        return rows.GroupBy(r => r.Code).ToDictionary(g => g.Key, g => g.First());
    }

    /// <summary>Towns, villages and grids below the scope's region: index range counts on the region path, cheap at district scale.</summary>
    public async Task<RegionCounts> CountBelowAsync(RegionScope scope, CancellationToken ct)
    {
        var (lo, hi) = (scope.Path, scope.PathUpperBound);
        await using var db = await factory.CreateDbContextAsync(ct);
        var counts = await db.Regions.AsNoTracking().Where(r => string.Compare(r.RegionPath, lo) > 0 && string.Compare(r.RegionPath, hi) < 0)
            .GroupBy(r => r.Level).Select(g => new { Level = g.Key, Count = g.Count() }).ToListAsync(ct);
        int Of(RegionLevel level) => counts.Where(c => c.Level == level).Sum(c => c.Count);
        return new RegionCounts(Of(RegionLevel.Town), Of(RegionLevel.Village), Of(RegionLevel.Grid));
    }

    /// <summary>True when no region exists yet (a fresh database before seeding or import).</summary>
    public async Task<bool> IsEmptyAsync(CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return !await db.Regions.AnyAsync(ct);
    }

    /// <summary>The level's name on screen: 区, 镇街, 村社 or 网格 (English when the user picks English).</summary>
    public static string LevelTitle(RegionLevel level) => Features.Regions.RegionAccess.LevelTitle(level);
}
