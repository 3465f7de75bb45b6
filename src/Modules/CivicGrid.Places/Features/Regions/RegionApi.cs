using System.Text.Json;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Grids;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using NetTopologySuite.Features;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO.Converters;

namespace CivicGrid.Places.Features.Regions;

internal sealed record RegionDto(int Id, int? ParentId, RegionLevel Level, string Code, string Name, string Kind, bool Synthetic,
    double[] Bbox, string? WorkerName, string? WorkerPhoneMasked)
{
    public static RegionDto From(Region r) => new(r.Id, r.ParentId, r.Level, r.Code, r.Name, r.Kind, r.Synthetic,
        [r.MinLon, r.MinLat, r.MaxLon, r.MaxLat], r.WorkerName, r.WorkerPhoneMasked);
}

internal sealed record RegionPage(RegionDto Region, IReadOnlyList<RegionDto> Trail, IReadOnlyList<RegionDto> Children, int Page, int Size, int Total);

/// <summary>The region tree: browse a subtree page by page, export its boundaries, import grids as GeoJSON.</summary>
internal static class RegionApi
{
    public const int MaxPageSize = 200;

    public static readonly JsonSerializerOptions GeoJson = CreateGeoJsonOptions();

    public static RouteGroupBuilder MapRegionApi(this RouteGroupBuilder api)
    {
        var regions = api.MapGroup("/regions").WithTags("Places");
        regions.MapGet("/{id:int}", GetRegion).WithName("GetRegion").WithSummary("区域详情与下级区域 / A region with its children");
        regions.MapGet("/{id:int}/geojson", ExportGeoJson).WithName("ExportRegionGeoJson").WithSummary("导出区域网格边界（GeoJSON） / Grid boundaries of a region as GeoJSON");
        regions.MapPost("/{id:int}/grids", ImportGrids).WithName("ImportGrids").WithSummary("导入网格边界（GeoJSON） / Import grid boundaries from GeoJSON").RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.EditPlaces)));
        regions.MapPost("/{id:int}/worker-phone/unmask", UnmaskWorkerPhone).WithName("UnmaskWorkerPhone").WithSummary("查看网格员完整手机号（须填理由，留审计） / Show a grid worker's full phone number (reason required, audited)")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.Unmask)));
        api.MapGet("/grids/lookup", Lookup).WithName("LookupGrid").WithSummary("按坐标查找网格 / The grid a point lies in").WithTags("Places");
        return api;
    }

    /// <summary>A region with one page of its children; ?page (from 1) and ?size (≤ 200).</summary>
    public static async Task<Results<Ok<RegionPage>, ProblemHttpResult, ValidationProblem>> GetRegion(
        int id, int? page, int? size, HttpContext http, PlacesDbContext db, CancellationToken ct)
    {
        var (p, s) = (page ?? 1, size ?? 50);
        if (Problems.Paging(p, s, MaxPageSize) is { } bad) return bad;
        var scope = Acting.From(http).RequiredScope;
        var region = await db.FindInScopeAsync(id, scope, ct);
        if (region is null) return Problems.RegionNotFound();
        var query = db.Regions.AsNoTracking().Where(r => r.ParentId == id);
        var total = await query.CountAsync(ct);
        var children = await query.OrderBy(r => r.Code).Skip((p - 1) * s).Take(s).ToListAsync(ct);
        var trail = await db.TrailAsync(region, scope, ct);
        return TypedResults.Ok(new RegionPage(RegionDto.From(region), trail.Select(RegionDto.From).ToList(),
            children.Select(RegionDto.From).ToList(), p, s, total));
    }

    /// <summary>The region's children (towns, villages or grids) as a GeoJSON FeatureCollection.</summary>
    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> ExportGeoJson(int id, HttpContext http, PlacesDbContext db, CancellationToken ct)
    {
        var region = await db.FindInScopeAsync(id, Acting.From(http).RequiredScope, ct);
        if (region is null) return Problems.RegionNotFound();
        var children = await db.Regions.AsNoTracking().Where(r => r.ParentId == id).OrderBy(r => r.Code).ToListAsync(ct);
        var collection = new FeatureCollection();
        foreach (var c in children)
        {
            collection.Add(new Feature(c.Boundary, new AttributesTable
            {
                { "id", c.Id }, { "code", c.Code }, { "name", c.Name }, { "kind", c.Kind }, { "level", c.Level.ToString().ToLowerInvariant() },
                { "worker", c.WorkerName },
            }));
        }
        return TypedResults.Content(JsonSerializer.Serialize(collection, GeoJson), "application/geo+json");
    }

    public sealed record ImportResult(int Imported, IReadOnlyList<RegionDto> Grids);

    /// <summary>
    /// Adds grids to a village from a GeoJSON FeatureCollection of polygons with properties "name" (required),
    /// "code" (optional 15 digits) and "worker" (optional name). Every polygon must be valid, lie inside the village and
    /// overlap neither another new grid nor an existing one; otherwise nothing is written.
    /// </summary>
    public static async Task<Results<Ok<ImportResult>, ProblemHttpResult, ValidationProblem>> ImportGrids(
        int id, HttpRequest request, HttpContext http, PlacesDbContext db, GridLookup lookup, TimeProvider time, CancellationToken ct)
    {
        var village = await db.FindInScopeAsync(id, Acting.From(http).RequiredScope, ct);
        if (village is null) return Problems.RegionNotFound();
        if (village.Level != RegionLevel.Village)
            return Problems.Field("id", "网格只能导入到村社", "grids can only be imported into a village or community");

        var (created, errors) = await ImportGridsAsync(db, village, request.Body, Acting.From(http).Actor, time.GetUtcNow().UtcDateTime, ct);
        if (errors.Any) return errors.ToProblem();
        lookup.Invalidate();
        return TypedResults.Ok(new ImportResult(created.Count, created.Select(RegionDto.From).ToList()));
    }

    /// <summary>
    /// The import itself, shared by the API and the village page: validates every feature first and writes all grids in
    /// one transaction, or nothing. The caller invalidates the grid lookup after a successful import.
    /// </summary>
    public static async Task<(List<Region> Created, FieldErrors Errors)> ImportGridsAsync(PlacesDbContext db, Region village, Stream body,
        Actor actor, DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        FeatureCollection? collection;
        try
        {
            collection = await JsonSerializer.DeserializeAsync<FeatureCollection>(body, GeoJson, ct);
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException or FormatException)
        {
            errors.Add("body", "不是有效的 GeoJSON FeatureCollection", "not a valid GeoJSON FeatureCollection");
            return ([], errors);
        }
        if (collection is null || collection.Count == 0)
        {
            errors.Add("features", "GeoJSON 中没有要素", "the GeoJSON has no features");
            return ([], errors);
        }

        var existing = await db.Regions.AsNoTracking().Where(r => r.ParentId == village.Id && r.Boundary != null).ToListAsync(ct);
        var accepted = new List<(Geometry Shape, string Name, string? Code, string? Worker)>();
        for (var i = 0; i < collection.Count; i++)
        {
            var field = $"features[{i}]";
            var f = collection[i];
            var name = f.Attributes?.Exists("name") == true ? f.Attributes["name"]?.ToString() : null;
            var code = f.Attributes?.Exists("code") == true ? f.Attributes["code"]?.ToString() : null;
            var worker = f.Attributes?.Exists("worker") == true ? f.Attributes["worker"]?.ToString() : null;
            if (string.IsNullOrWhiteSpace(name) || name.Length > 64)
            {
                errors.Add($"{field}.properties.name", "网格名称必填，最多 64 字", "name is required, at most 64 characters");
            }
            if (code is not null && (code.Length != 15 || !code.All(char.IsAsciiDigit) || !code.StartsWith(village.Code, StringComparison.Ordinal)))
            {
                errors.Add($"{field}.properties.code", "网格编码须为村社编码加 3 位数字", "code must be the village's code followed by 3 digits");
            }
            if (f.Geometry is not (Polygon or MultiPolygon))
            {
                errors.Add($"{field}.geometry", "几何须为 Polygon 或 MultiPolygon", "geometry must be a Polygon or MultiPolygon");
                continue;
            }
            var shape = f.Geometry;
            if (!shape.IsValid)
            {
                errors.Add($"{field}.geometry", "多边形自相交或无效", "polygon is self-intersecting or invalid");
                continue;
            }
            if (village.Boundary is not null && !village.Boundary.Buffer(1e-9).Covers(shape))
            {
                errors.Add($"{field}.geometry", "网格超出村社边界", "grid lies outside the village boundary");
            }
            foreach (var other in accepted)
            {
                if (Overlaps(shape, other.Shape))
                    errors.Add($"{field}.geometry", $"与本文件中的网格“{other.Name}”重叠", $"overlaps grid '{other.Name}' in this file");
            }
            foreach (var old in existing)
            {
                if (Overlaps(shape, old.Boundary!))
                    errors.Add($"{field}.geometry", $"与已有网格“{old.Name}”重叠", $"overlaps existing grid '{old.Name}'");
            }
            accepted.Add((shape, name ?? "", code, worker));
        }
        if (errors.Any) return ([], errors);

        var created = new List<Region>();
        // The grids' paths need their ids: two saves and the audit line in one transaction.
        await db.SaveAuditedAsync(actor, now, async ct =>
        {
            var next = existing.Count + 1;
            foreach (var (shape, name, code, worker) in accepted)
            {
                shape.SRID = 4326;
                var grid = new Region
                {
                    ParentId = village.Id, Level = RegionLevel.Grid, Kind = "grid", Name = name, WorkerName = worker,
                    Code = code ?? village.Code + (next++).ToString("000", System.Globalization.CultureInfo.InvariantCulture),
                };
                grid.SetBoundary(shape);
                db.Regions.Add(grid);
                created.Add(grid);
            }
            await db.SaveChangesAsync(ct);
            foreach (var g in created)
            {
                g.RegionPath = RegionPaths.Child(village.RegionPath, g.Id);
                db.RegionCodes.Add(new RegionCode { RegionId = g.Id, Code = g.Code, ValidFrom = DateOnly.FromDateTime(now) });
            }
            return [new AuditLine("places.grids.import", $"region:{village.Id}", $"{created.Count} grids")];
        }, ct);
        return (created, errors);
    }

    public sealed record LookupResult(int GridId, string Name, string Code);

    /// <summary>Which grid holds a point; 404 when none of the caller's grids does.</summary>
    public static async Task<Results<Ok<LookupResult>, ProblemHttpResult, ValidationProblem>> Lookup(
        double? lon, double? lat, HttpContext http, PlacesDbContext db, GridLookup lookup, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (lon is null or < -180 or > 180) errors.Add("lon", "经度须在 -180 到 180 之间", "lon must be between -180 and 180");
        if (lat is null or < -90 or > 90) errors.Add("lat", "纬度须在 -90 到 90 之间", "lat must be between -90 and 90");
        if (errors.Any) return errors.ToProblem();
        var index = await lookup.GetAsync(ct);
        var found = index.Find(lon!.Value, lat!.Value);
        if (found is null || !Acting.From(http).RequiredScope.Contains(found.RegionPath))
            return Problems.NotFound("该位置不在您辖区的任何网格内", "The point lies in none of your grids");
        var grid = await db.Regions.AsNoTracking().FirstAsync(r => r.Id == found.GridId, ct);
        return TypedResults.Ok(new LookupResult(grid.Id, grid.Name, grid.Code));
    }

    public sealed record UnmaskRequest(string? Reason, string? Purpose = null);

    public sealed record UnmaskResult(string Value);

    /// <summary>Shows a grid worker's full phone number to a permitted account that types a reason; the reveal is audited.</summary>
    public static async Task<Results<Ok<UnmaskResult>, ProblemHttpResult, ValidationProblem>> UnmaskWorkerPhone(
        int id, UnmaskRequest body, HttpContext http, PlacesDbContext db, PersonalDataProtector protector, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!UnmaskReasons.TryCheck(body.Purpose, body.Reason, errors, out var reason)) return errors.ToProblem();
        var grid = await db.FindInScopeAsync(id, Acting.From(http).RequiredScope, ct);
        if (grid is null) return Problems.RegionNotFound();
        if (grid.WorkerPhone is null) return Problems.NotFound("该网格未登记网格员电话", "No grid worker phone is recorded for this grid");
        await db.SaveAuditedAsync(Acting.From(http).Actor, time.GetUtcNow().UtcDateTime, "personal_data.unmask", $"region:{grid.Id}:worker_phone", reason, ct);
        return TypedResults.Ok(new UnmaskResult(protector.Decrypt(grid.WorkerPhone)));
    }

    /// <summary>Overlap means a shared area, not a shared edge: neighbouring grids touch.</summary>
    internal static bool Overlaps(Geometry a, Geometry b) =>
        a.EnvelopeInternal.Intersects(b.EnvelopeInternal) && a.Intersection(b).Area > 1e-12;

    private static JsonSerializerOptions CreateGeoJsonOptions()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        o.Converters.Add(new GeoJsonConverterFactory());
        return o;
    }
}
