using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Web;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Contracts;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Doorplates;
using CivicGrid.Places.Features.Grids;
using CivicGrid.Places.Features.Regions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Places.Features.Addresses;

internal sealed record AddressDto(long Id, int GridId, string Street, string? Building, string? Unit, string? Room,
    double Lon, double Lat, AddressKind Kind, string DoorplateToken, DateTime DoorplateIssuedAt, bool Synthetic)
{
    public string Line => AddressText.Line(Street, Building, Unit, Room);

    public static AddressDto From(Address a) =>
        new(a.Id, a.GridId, a.Street, a.Building, a.Unit, a.Room, a.Lon, a.Lat, a.Kind, a.DoorplateToken, a.DoorplateIssuedAt, a.Synthetic);
}

internal sealed record AddressList(IReadOnlyList<AddressDto> Items, int Page, int Size, bool HasMore);

internal sealed record CreateAddress(string? Street, string? Building, string? Unit, string? Room, double? Lon, double? Lat, AddressKind? Kind);

internal static class AddressText
{
    public static string Line(string street, string? building, string? unit, string? room) =>
        string.Join(" ", new[] { street, building, unit, room }.Where(s => !string.IsNullOrWhiteSpace(s)));

    public static string KindTitle(AddressKind kind) => kind switch
    {
        AddressKind.Residence => Kernel.Bilingual.Pick("住宅", "Residence"),
        AddressKind.Rental => Kernel.Bilingual.Pick("出租房", "Rental"),
        AddressKind.Shop => Kernel.Bilingual.Pick("商铺", "Shop"),
        AddressKind.Office => Kernel.Bilingual.Pick("写字楼", "Office building"),
        AddressKind.Factory => Kernel.Bilingual.Pick("厂房", "Factory"),
        _ => Kernel.Bilingual.Pick("其他", "Other"),
    };
}

/// <summary>Addresses and their doorplates.</summary>
internal static class AddressApi
{
    public static RouteGroupBuilder MapAddressApi(this RouteGroupBuilder api)
    {
        api.MapGet("/regions/{id:int}/addresses", ListAddresses).WithName("ListAddresses").WithSummary("区域内的地址（按 id 续页） / Addresses of a region, keyset-paged by id").WithTags("Places");
        var addresses = api.MapGroup("/addresses").WithTags("Places");
        addresses.MapGet("/{addressId:long}", GetAddress).WithName("GetAddress").WithSummary("地址详情 / One address");
        addresses.MapPost("/", Create).WithName("CreateAddress").WithSummary("新增地址（按坐标归入网格） / Add an address (its grid found from the point)").RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.EditPlaces)));
        addresses.MapPost("/{addressId:long}/doorplate/rotate", Rotate).WithName("RotateDoorplate").WithSummary("更换门牌码（旧码停用） / Give the doorplate a new code (the old one is retired)")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.EditPlaces)));
        return api;
    }

    /// <summary>Addresses under a region, keyset-paged by id (?after=lastId) so deep pages stay fast at 200,000 rows.</summary>
    public static async Task<Results<Ok<AddressList>, ProblemHttpResult, ValidationProblem>> ListAddresses(
        int id, long? after, int? size, HttpContext http, PlacesDbContext db, CancellationToken ct)
    {
        var s = size ?? 50;
        if (s is < 1 or > RegionApi.MaxPageSize) return Problems.Field("size", "每页条数须在 1 到 200 之间", "size must be between 1 and 200");
        var region = await db.FindInScopeAsync(id, Acting.From(http).RequiredScope, ct);
        if (region is null) return Problems.RegionNotFound();
        var page = await Page(db, region, after, s, ct);
        return TypedResults.Ok(page);
    }

    public static async Task<AddressList> Page(PlacesDbContext db, Region region, long? after, int size, CancellationToken ct)
    {
        var scope = new RegionScope(region.Id, region.RegionPath, region.Level);
        var rows = await db.Addresses.AsNoTracking().InScope(scope)
            .Where(a => after == null || a.Id > after)
            .OrderBy(a => a.Id).Take(size + 1).ToListAsync(ct);
        return new AddressList(rows.Take(size).Select(AddressDto.From).ToList(), 0, size, rows.Count > size);
    }

    public static async Task<Results<Ok<AddressDto>, ProblemHttpResult>> GetAddress(long addressId, HttpContext http, PlacesDbContext db, CancellationToken ct)
    {
        var address = await db.Addresses.AsNoTracking().FirstOrDefaultAsync(a => a.Id == addressId, ct);
        if (address is null || !Acting.From(http).RequiredScope.Contains(address.RegionPath))
            return Problems.NotFound("地址不存在或不在您的辖区内", "Address not found or outside your area");
        return TypedResults.Ok(AddressDto.From(address));
    }

    /// <summary>Adds an address; its grid is found from the coordinates and must be in the caller's area.</summary>
    public static async Task<Results<Created<AddressDto>, ProblemHttpResult, ValidationProblem>> Create(
        CreateAddress body, HttpContext http, PlacesDbContext db, GridLookup lookup, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(body.Street) || body.Street.Length > 64) errors.Add("street", "路名门牌必填，最多 64 字", "street is required, at most 64 characters");
        foreach (var (field, value) in new[] { ("building", body.Building), ("unit", body.Unit), ("room", body.Room) })
        {
            if (value is { Length: > 16 }) errors.Add(field, "最多 16 字", "at most 16 characters");
        }
        if (body.Lon is null or < -180 or > 180) errors.Add("lon", "经度须在 -180 到 180 之间", "lon must be between -180 and 180");
        if (body.Lat is null or < -90 or > 90) errors.Add("lat", "纬度须在 -90 到 90 之间", "lat must be between -90 and 90");
        if (body.Kind is { } k && !Enum.IsDefined(k)) errors.Add("kind", "地址类型无效", "unknown address kind");
        if (errors.Any) return errors.ToProblem();

        var grid = (await lookup.GetAsync(ct)).Find(body.Lon!.Value, body.Lat!.Value);
        if (grid is null) return Problems.Field("lon", "该坐标不在任何网格内", "the coordinates lie outside every grid");
        if (!Acting.From(http).RequiredScope.Contains(grid.RegionPath))
            return Problems.Field("lon", "该坐标所在网格不在您的辖区内", "the coordinates lie in a grid outside your area");

        var now = time.GetUtcNow().UtcDateTime;
        var address = new Address
        {
            GridId = grid.GridId, RegionPath = grid.RegionPath, Street = body.Street!.Trim(), Building = body.Building?.Trim(),
            Unit = body.Unit?.Trim(), Room = body.Room?.Trim(), Lon = body.Lon.Value, Lat = body.Lat.Value,
            Kind = body.Kind ?? AddressKind.Residence, DoorplateToken = DoorplateTokens.New(), DoorplateIssuedAt = now,
        };
        // The audit line names the new id: the insert and the line commit in one transaction.
        await db.SaveAuditedAsync(Acting.From(http).Actor, now, async ct =>
        {
            db.Addresses.Add(address);
            await db.SaveChangesAsync(ct);
            return [new AuditLine("places.address.create", $"address:{address.Id}")];
        }, ct);
        return TypedResults.Created($"/api/v1/addresses/{address.Id}", AddressDto.From(address));
    }

    /// <summary>Issues a new doorplate token; the old label is retired and says so when scanned.</summary>
    public static async Task<Results<Ok<AddressDto>, ProblemHttpResult>> Rotate(long addressId, HttpContext http, PlacesDbContext db, TimeProvider time, CancellationToken ct)
    {
        var address = await db.Addresses.FirstOrDefaultAsync(a => a.Id == addressId, ct);
        if (address is null || !Acting.From(http).RequiredScope.Contains(address.RegionPath))
            return Problems.NotFound("地址不存在或不在您的辖区内", "Address not found or outside your area");
        if (!await Doorplate.RotateAsync(db, address, Acting.From(http).Actor, time.GetUtcNow().UtcDateTime, ct))
            return Problems.Conflict("doorplate", "门牌码刚被他人更换，请刷新后再试", "the doorplate was just rotated by someone else: reload and try again");
        return TypedResults.Ok(AddressDto.From(address));
    }
}
