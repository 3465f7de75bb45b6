using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Figures;

/// <summary>
/// The seed's four numbers for one area (individual landlords, enterprise landlords, resident records, self-declared
/// residents), with the register's other counts. Residents are current ones (Until null).
/// </summary>
public sealed record PopulationFigures(int IndividualLandlords, int EnterpriseLandlords, int Residents, int Declared, int Household, int Floating,
    int Verified, int PendingDeclarations, int RentalProperties)
{
    public static readonly PopulationFigures Zero = new(0, 0, 0, 0, 0, 0, 0, 0, 0);
}

public sealed record ChildFigures(int RegionId, string Name, RegionLevel Level, PopulationFigures Figures);

public sealed record RegionFigures(int RegionId, string Name, RegionLevel Level, PopulationFigures Totals, List<ChildFigures> Children);

/// <summary>
/// Figures per grid, village and town, live. Each figure set is one grouped query over the area's index range, grouped by
/// the child region the row lies in (the first path segment below the area), so no rows are loaded one by one:
/// residents are counted from the covering index (RegionPath, Until, Kind, Declared, Verified).
/// </summary>
public static class RegisterFigures
{
    public static RouteGroupBuilder MapFiguresApi(this RouteGroupBuilder api)
    {
        api.MapGet("/population/figures", Get).WithName("GetPopulationFigures").WithSummary("人口与出租房统计（按下级区域） / Population and rental figures by child region").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.ReadRegister)));
        return api;
    }

    /// <summary>The area's region, or the caller's own when none is given; null when it lies outside the caller's scope.</summary>
    public static Task<RegionInfo?> RegionAsync(RegionDirectory regions, int? regionId, RegionScope scope, CancellationToken ct) =>
        regions.FindInScopeAsync(regionId ?? scope.RegionId, scope, ct);

    public static async Task<RegionFigures> ComputeAsync(PopulationDbContext db, RegionDirectory regions, RegionInfo region, CancellationToken ct)
    {
        var scope = region.Scope;
        var n = region.RegionPath.Length;
#pragma warning disable CA1866 // IndexOf(string) is the overload EF translates on both providers (instr / strpos)

        // Each row's child region is its path cut after the segment below the area's path; rows of a grid (no children)
        // all fall into the area's own path. Translated to substr/instr (SQLite) and substring/strpos (PostgreSQL).
        var residents = await db.Residents.AsNoTracking().InScope(scope).Where(r => r.Until == null)
            .GroupBy(r => new { Child = r.RegionPath.Substring(0, n + r.RegionPath.Substring(n).IndexOf("/") + 1), r.Kind, r.Declared, r.Verified })
            .Select(g => new { g.Key.Child, g.Key.Kind, g.Key.Declared, g.Key.Verified, Count = g.Count() })
            .ToListAsync(ct);
        var pending = await db.Declarations.AsNoTracking().InScope(scope).Where(d => d.Status == DeclarationStatus.Pending)
            .GroupBy(d => d.RegionPath.Substring(0, n + d.RegionPath.Substring(n).IndexOf("/") + 1))
            .Select(g => new { Child = g.Key, Count = g.Count() })
            .ToListAsync(ct);
        // Only verified claims count as rentals (a pending claim is a landlord's word, not yet the village's).
        var rentals = await db.RentalProperties.AsNoTracking().InScope(scope).Where(p => p.Claim == PropertyClaim.Verified)
            .GroupBy(p => p.RegionPath.Substring(0, n + p.RegionPath.Substring(n).IndexOf("/") + 1))
            .Select(g => new { Child = g.Key, Count = g.Count() })
            .ToListAsync(ct);
        // Distinct landlords: one who rents out in two villages counts once in the area and once in each village.
        var landlordsByChild = await (from p in db.RentalProperties.AsNoTracking().InScope(scope).Where(p => p.Claim == PropertyClaim.Verified)
                                      join l in db.Landlords.AsNoTracking() on p.LandlordId equals l.Id
                                      select new { Child = p.RegionPath.Substring(0, n + p.RegionPath.Substring(n).IndexOf("/") + 1), l.Kind, l.Id })
            .GroupBy(x => new { x.Child, x.Kind })
            .Select(g => new { g.Key.Child, g.Key.Kind, Count = g.Select(x => x.Id).Distinct().Count() })
            .ToListAsync(ct);
        var landlordTotals = await (from p in db.RentalProperties.AsNoTracking().InScope(scope).Where(p => p.Claim == PropertyClaim.Verified)
                                    join l in db.Landlords.AsNoTracking() on p.LandlordId equals l.Id
                                    select new { l.Kind, l.Id })
            .GroupBy(x => x.Kind)
            .Select(g => new { Kind = g.Key, Count = g.Select(x => x.Id).Distinct().Count() })
            .ToListAsync(ct);
#pragma warning restore CA1866

        PopulationFigures For(Func<string, bool> inChild, bool total)
        {
            var r = residents.Where(x => inChild(x.Child)).ToList();
            int Landlords(LandlordKind kind) => total
                ? landlordTotals.Where(x => x.Kind == kind).Sum(x => x.Count)
                : landlordsByChild.Where(x => inChild(x.Child) && x.Kind == kind).Sum(x => x.Count);
            return new PopulationFigures(
                Landlords(LandlordKind.Individual), Landlords(LandlordKind.Enterprise),
                r.Sum(x => x.Count), r.Where(x => x.Declared).Sum(x => x.Count),
                r.Where(x => x.Kind == ResidenceKind.Household).Sum(x => x.Count), r.Where(x => x.Kind == ResidenceKind.Floating).Sum(x => x.Count),
                r.Where(x => x.Verified).Sum(x => x.Count),
                pending.Where(x => inChild(x.Child)).Sum(x => x.Count), rentals.Where(x => inChild(x.Child)).Sum(x => x.Count));
        }

        var children = region.Level == RegionLevel.Grid
            ? []
            : await regions.ChildrenAsync(region.Id, ct);
        return new RegionFigures(region.Id, region.Name, region.Level, For(_ => true, total: true),
            children.Select(c => new ChildFigures(c.Id, c.Name, c.Level, For(path => path == c.RegionPath, total: false))).ToList());
    }

    private static async Task<Results<Ok<RegionFigures>, ProblemHttpResult>> Get(int? region, HttpContext http, PopulationDbContext db,
        RegionDirectory regions, CancellationToken ct)
    {
        var area = await RegionAsync(regions, region, http.User.RequiredScope(), ct);
        if (area is null) return Problems.RegionNotFound();
        return TypedResults.Ok(await ComputeAsync(db, regions, area, ct));
    }
}
