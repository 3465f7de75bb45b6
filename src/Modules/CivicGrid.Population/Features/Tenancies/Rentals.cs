using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Reminders;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Tenancies;

public sealed record RentalTenant(long TenancyId, string Name, string IdMasked, DateOnly MoveIn, TenancySource Source);

/// <summary>A rental property of the area with its landlord (masked) and current tenants.</summary>
public sealed record RentalRow(long PropertyId, long AddressId, string Address, long LandlordId, string Landlord, int Rooms, bool Late, List<RentalTenant> Tenants);

public sealed record RentalPage(List<RentalRow> Items, int Page, int Size, int Total);

public sealed record LatePage(List<LateItem> Items, int Page, int Size, int Total);

/// <summary>
/// The staff list of rentals (出租房管理), one page at a time: properties with late reports first, then the rest of the area
/// in registration order; the page, its size and the area's total come back with the rows.
/// </summary>
public static class Rentals
{
    public const int DefaultPageSize = 50;
    public const int MaxPageSize = 200;

    public static LatePage PageOf(List<LateItem> late, int page, int size) =>
        new(late.Skip((page - 1) * size).Take(size).ToList(), page, size, late.Count);

    public static async Task<RentalPage> PageAsync(PopulationDbContext db, AddressDirectory addressDirectory, RegionScope scope, IReadOnlyCollection<long> lateProperties,
        int page, int size, CancellationToken ct)
    {
        // Verified rentals only: claims still waiting are on the claims page (/rentals/claims).
        var area = db.RentalProperties.AsNoTracking().InScope(scope).Where(p => p.Claim == PropertyClaim.Verified);
        var lateIds = lateProperties.ToList();
        var total = await area.CountAsync(ct);
        var lateCount = lateIds.Count == 0 ? 0 : await area.CountAsync(p => lateIds.Contains(p.Id), ct);
        var skip = (page - 1) * size;
        var properties = new List<RentalProperty>();
        if (skip < lateCount)
            properties.AddRange(await area.Where(p => lateIds.Contains(p.Id)).OrderBy(p => p.Id).Skip(skip).Take(size).ToListAsync(ct));
        if (properties.Count < size)
        {
            var rest = lateIds.Count == 0 ? area : area.Where(p => !lateIds.Contains(p.Id));
            properties.AddRange(await rest.OrderBy(p => p.Id).Skip(Math.Max(0, skip - lateCount)).Take(size - properties.Count).ToListAsync(ct));
        }

        var propertyIds = properties.Select(p => p.Id).ToList();
        var tenants = (await db.Tenancies.AsNoTracking().Where(t => propertyIds.Contains(t.RentalPropertyId) && t.MoveOut == null).OrderBy(t => t.Id)
                .Select(t => new { t.RentalPropertyId, Tenant = new RentalTenant(t.Id, t.TenantName, t.TenantIdMasked, t.MoveIn, t.Source) }).ToListAsync(ct))
            .GroupBy(t => t.RentalPropertyId).ToDictionary(g => g.Key, g => g.Select(x => x.Tenant).ToList());
        var landlords = await LandlordTextsAsync(db, properties.Select(p => p.LandlordId), ct);
        var addresses = await addressDirectory.LinesAsync(properties.Select(p => p.AddressId), ct);
        var late = lateIds.ToHashSet();
        return new RentalPage(properties.Select(p => new RentalRow(p.Id, p.AddressId, addresses.GetValueOrDefault(p.AddressId, ""), p.LandlordId,
            landlords.GetValueOrDefault(p.LandlordId, ""), p.Rooms, late.Contains(p.Id), tenants.GetValueOrDefault(p.Id) ?? [])).ToList(), page, size, total);
    }

    /// <summary>Landlords as staff see them, masked: a person's name, ID number and phone; an enterprise's credit code and phone.</summary>
    public static async Task<Dictionary<long, string>> LandlordTextsAsync(PopulationDbContext db, IEnumerable<long> landlordIds, CancellationToken ct)
    {
        var ids = landlordIds.Distinct().ToList();
        return (await db.Landlords.AsNoTracking().Where(l => ids.Contains(l.Id))
                .Select(l => new { l.Id, l.Kind, l.Name, l.IdMasked, l.CreditCode, l.PhoneMasked }).ToListAsync(ct))
            .ToDictionary(l => l.Id, l => l.Kind == LandlordKind.Enterprise
                ? $"{l.Name} · {Mask.CreditCode(l.CreditCode)} · {l.PhoneMasked}"
                : $"{Mask.Name(l.Name)} · {l.IdMasked} · {l.PhoneMasked}");
    }
}
