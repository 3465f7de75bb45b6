using System.Net.Http.Json;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Figures;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

public sealed class DemoWithLandlordsFactory : PlatformFactory
{
    protected override bool SeedLandlords => true;
}

/// <summary>The demo district's rental data: landlords in the seed's proportions, each tenancy a real floating resident.</summary>
public class DemoSeedTests(DemoWithLandlordsFactory factory) : IClassFixture<DemoWithLandlordsFactory>
{
    [Fact]
    public async Task Demo_HasLandlordsRentalsAndTenancies_ThatAgreeWithTheRegister()
    {
        var (individual, enterprise, badProperties, tenancies, badTenancies, landlordIdOk) = await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var places = sp.GetRequiredService<PlacesDbContext>();
            var protector = sp.GetRequiredService<PersonalDataProtector>();
            var individual = await db.Landlords.CountAsync(l => l.Kind == LandlordKind.Individual);
            var enterprise = await db.Landlords.CountAsync(l => l.Kind == LandlordKind.Enterprise);
            var addresses = await places.Addresses.AsNoTracking().ToDictionaryAsync(a => a.Id, a => a.RegionPath);
            var properties = await db.RentalProperties.AsNoTracking().ToListAsync();
            var badProperties = properties.Count(p => !addresses.TryGetValue(p.AddressId, out var path) || path != p.RegionPath);
            var byId = properties.ToDictionary(p => p.Id);
            var tenancies = await db.Tenancies.AsNoTracking().ToListAsync();
            var residents = await db.Residents.AsNoTracking().Where(r => r.Kind == ResidenceKind.Floating && r.Until == null)
                .ToDictionaryAsync(r => r.Id, r => (r.IdIndex, r.AddressId));
            var badTenancies = tenancies.Count(t => !byId.TryGetValue(t.RentalPropertyId, out var p) || p.AddressId != t.AddressId || p.LandlordId != t.LandlordId
                || t.ResidentId is not { } rid || !residents.TryGetValue(rid, out var r) || r.IdIndex != t.TenantIdIndex || r.AddressId != t.AddressId);
            // An individual landlord's ID number decrypts to a valid GB 11643 number; an enterprise has a valid credit code.
            var person = await db.Landlords.AsNoTracking().FirstAsync(l => l.Kind == LandlordKind.Individual);
            var company = await db.Landlords.AsNoTracking().FirstAsync(l => l.Kind == LandlordKind.Enterprise);
            var ok = CitizenId.IsValid(protector.Decrypt(person.IdNumber!)) && CreditCode.IsValid(company.CreditCode)
                && MobileNumber.TryNormalize(protector.Decrypt(person.Phone), out _, out _);
            // The seed never doubles an open tenancy (the index on open tenancies would refuse it): one per tenant and rental.
            var doubled = tenancies.Where(t => t.MoveOut == null).GroupBy(t => (t.RentalPropertyId, t.TenantIdIndex)).Count(g => g.Count() > 1);
            Assert.Equal(0, doubled);
            var indexed = await db.Database.SqlQueryRaw<int>(db.Database.IsNpgsql()
                ? $"SELECT COUNT(*)::int AS \"Value\" FROM pg_indexes WHERE indexname = '{PopulationDbContext.OpenTenancyIndex}'"
                : $"SELECT COUNT(*) AS Value FROM sqlite_master WHERE type = 'index' AND name = '{PopulationDbContext.OpenTenancyIndex}'").SingleAsync();
            Assert.Equal(1, indexed);
            return (individual, enterprise, badProperties, tenancies.Count, badTenancies, ok);
        });
        Assert.True(individual > 20 * enterprise, $"{individual} individual vs {enterprise} enterprise landlords");
        Assert.True(enterprise > 0);
        Assert.Equal(0, badProperties);
        Assert.True(tenancies > 0);
        Assert.Equal(0, badTenancies);
        Assert.True(landlordIdOk);

        // The district's figures show them: the seed's numbers, live.
        var admin = await factory.SignInAsync("admin");
        var figures = await admin.GetFromJsonAsync<RegionFigures>("/api/v1/population/figures");
        Assert.Equal(individual, figures!.Totals.IndividualLandlords);
        Assert.Equal(enterprise, figures.Totals.EnterpriseLandlords);
    }
}
