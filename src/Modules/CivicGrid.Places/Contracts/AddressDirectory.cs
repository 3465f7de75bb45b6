using System.Linq.Expressions;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Addresses;
using CivicGrid.Places.Features.Doorplates;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Places.Contracts;

/// <summary>An address as other modules see it.</summary>
/// <param name="GridId">The grid the address lies in.</param>
/// <param name="RegionPath">The region path of that grid.</param>
/// <param name="Line">The address on one line ("众联路 18 号 3 幢 2 单元 501").</param>
/// <param name="DoorplateToken">The token printed as the doorplate's QR code (/d/{token}).</param>
public sealed record AddressInfo(long Id, int GridId, string RegionPath, string Line, AddressKind Kind, string DoorplateToken, double Lon, double Lat)
    : IRegionScoped;

/// <summary>The keys of an address that imports match rows against: its id, its doorplate token and where it lies.</summary>
public sealed record AddressKey(long Id, string DoorplateToken, string RegionPath);

/// <summary>One page of addresses, in id order; <paramref name="NextAfterId"/> is null on the last page.</summary>
public sealed record AddressPage(IReadOnlyList<AddressInfo> Items, long? NextAfterId);

/// <summary>
/// Read-only lookups of addresses and doorplates for other modules. Each call takes its own short-lived Places context from
/// the factory, so the directory is a singleton, safe in long-lived Blazor circuits and background services. Lookups of
/// many addresses are batched (one query per 1,000 ids), never one query per row.
/// </summary>
public sealed class AddressDirectory
{
    private readonly IDbContextFactory<PlacesDbContext> factory;

    // Made by the module's registration: its dependencies are the module's own internals.
    internal AddressDirectory(IDbContextFactory<PlacesDbContext> factory)
    {
        this.factory = factory;
    }

    /// <summary>The most addresses one page may hold.</summary>
    public const int MaxPageSize = 1000;

    // Only the needed columns travel; the line is made here, by the same rule as everywhere in Places.
    private static readonly Expression<Func<Address, Row>> Columns = a => new Row(a.Id, a.GridId, a.RegionPath, a.Street, a.Building, a.Unit, a.Room,
        a.Kind, a.DoorplateToken, a.Lon, a.Lat);

    private sealed record Row(long Id, int GridId, string RegionPath, string Street, string? Building, string? Unit, string? Room, AddressKind Kind,
        string DoorplateToken, double Lon, double Lat)
    {
        public AddressInfo Info => new(Id, GridId, RegionPath, AddressText.Line(Street, Building, Unit, Room), Kind, DoorplateToken, Lon, Lat);
    }

    /// <summary>The address <paramref name="id"/>, or null when it does not exist.</summary>
    public async Task<AddressInfo?> FindAsync(long id, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return (await db.Addresses.AsNoTracking().Where(a => a.Id == id).Select(Columns).FirstOrDefaultAsync(ct))?.Info;
    }

    /// <summary>The address <paramref name="id"/> if <paramref name="scope"/> holds it; null when it does not exist or lies outside.</summary>
    public async Task<AddressInfo?> FindInScopeAsync(long id, RegionScope scope, CancellationToken ct)
    {
        var address = await FindAsync(id, ct);
        return address is not null && scope.Contains(address.RegionPath) ? address : null;
    }

    /// <summary>The address whose doorplate carries <paramref name="token"/>; null for an unknown, retired or malformed token.</summary>
    public async Task<AddressInfo?> FindByDoorplateAsync(string? token, CancellationToken ct)
    {
        if (!DoorplateTokens.LooksValid(token)) return null;
        await using var db = await factory.CreateDbContextAsync(ct);
        return (await db.Addresses.AsNoTracking().Where(a => a.DoorplateToken == token).Select(Columns).FirstOrDefaultAsync(ct))?.Info;
    }

    /// <summary>Several addresses at once, keyed by id; unknown ids are left out.</summary>
    public async Task<IReadOnlyDictionary<long, AddressInfo>> FindManyAsync(IEnumerable<long> ids, CancellationToken ct)
    {
        var found = new Dictionary<long, AddressInfo>();
        var all = ids.Distinct().ToList();
        if (all.Count == 0) return found;
        await using var db = await factory.CreateDbContextAsync(ct);
        foreach (var chunk in all.Chunk(1000))
        {
            foreach (var a in await db.Addresses.AsNoTracking().Where(a => chunk.Contains(a.Id)).Select(Columns).ToListAsync(ct)) found[a.Id] = a.Info;
        }
        return found;
    }

    /// <summary>The one-line text of several addresses at once, keyed by id (a page of residents, visits or permits).</summary>
    public async Task<Dictionary<long, string>> LinesAsync(IEnumerable<long> ids, CancellationToken ct) =>
        (await FindManyAsync(ids, ct)).ToDictionary(p => p.Key, p => p.Value.Line);

    /// <summary>A page of the addresses in <paramref name="scope"/>, in id order, starting after <paramref name="afterId"/>.</summary>
    public async Task<AddressPage> InScopeAsync(RegionScope scope, long? afterId, int size, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(size, MaxPageSize);
        await using var db = await factory.CreateDbContextAsync(ct);
        var query = db.Addresses.AsNoTracking().InScope(scope);
        if (afterId is { } after) query = query.Where(a => a.Id > after);
        var rows = await query.OrderBy(a => a.Id).Take(size + 1).Select(Columns).ToListAsync(ct);
        var more = rows.Count > size;
        var items = rows.Take(size).Select(a => a.Info).ToList();
        return new AddressPage(items, more ? items[^1].Id : null);
    }

    /// <summary>
    /// Id, doorplate token and path of every address in <paramref name="scope"/>, for an import that matches thousands of
    /// rows against them in memory (three short columns per address: about 20 MB for a whole district).
    /// </summary>
    public async Task<IReadOnlyList<AddressKey>> KeysInScopeAsync(RegionScope scope, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Addresses.AsNoTracking().InScope(scope).Select(a => new AddressKey(a.Id, a.DoorplateToken, a.RegionPath)).ToListAsync(ct);
    }

    /// <summary>How many addresses (doorplates) lie in <paramref name="scope"/>.</summary>
    public async Task<int> CountInScopeAsync(RegionScope scope, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        return await db.Addresses.AsNoTracking().InScope(scope).CountAsync(ct);
    }

    /// <summary>The one-line text of an address from its parts, blank parts left out.</summary>
    public static string Line(string street, string? building, string? unit, string? room) => AddressText.Line(street, building, unit, room);

    /// <summary>True when <paramref name="token"/> has the form of a doorplate token (it may still be unknown).</summary>
    public static bool LooksLikeDoorplate(string? token) => DoorplateTokens.LooksValid(token);
}
