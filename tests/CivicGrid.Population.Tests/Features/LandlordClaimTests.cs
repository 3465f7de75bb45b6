using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Landlords;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

/// <summary>A doorplate code is printed on the door: reading it makes a claim, not an owner.</summary>
public class LandlordClaimTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static readonly System.Text.Json.JsonSerializerOptions Json = new(System.Text.Json.JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private static string Id(int n) => CitizenId.Create("330111", new DateOnly(1979, 4, 1).AddDays(n * 13), 301 + 2 * n);

    private Address AddressInGrid(string gridName, int skip) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = places.Regions.AsNoTracking().First(r => r.Name == gridName);
        return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(skip).First();
    });

    /// <summary>A tenant's declaration waiting at the address (as the doorplate's declare page stores it).</summary>
    private Task<bool> DeclareAsync(Address address, string name, string idNumber) => factory.WithScopeAsync(async sp =>
    {
        var db = sp.GetRequiredService<PopulationDbContext>();
        var protector = sp.GetRequiredService<PersonalDataProtector>();
        db.Declarations.Add(new Declaration
        {
            AddressId = address.Id, RegionPath = address.RegionPath, Name = name, IdNumber = protector.Encrypt(idNumber), IdIndex = protector.BlindIndex("id", idNumber),
            IdMasked = Mask.IdNumber(idNumber), Relation = Relation.Tenant, MoveInDate = new DateOnly(2026, 11, 20),
            LookupCode = "CLM" + Guid.NewGuid().ToString("N")[..7].ToUpperInvariant(), SubmittedAt = DateTime.UtcNow,
        });
        await db.SaveChangesAsync();
        return true;
    });

    private Task<RentalProperty> PropertyAsync(long id) => factory.WithScopeAsync(sp =>
        sp.GetRequiredService<PopulationDbContext>().RentalProperties.AsNoTracking().SingleAsync(p => p.Id == id));

    [Fact]
    public async Task Claim_NewLandlord_IsPendingAndSeesNothingUntilVerified()
    {
        var address = AddressInGrid("众联村第1网格", 14);
        await DeclareAsync(address, "秦租客", Id(1));
        var (landlord, _, propertyId) = await LandlordSession.SignInAsync(factory, "13600000201", Id(2), address, verify: false);
        Assert.Equal(PropertyClaim.Pending, (await PropertyAsync(propertyId)).Claim);

        // Pending: no declaration, no tenant report, and the page says why.
        var page = await landlord.GetStringAsync("/landlord");
        Assert.DoesNotContain("秦租客", page);
        Assert.Contains("待核实", page);
        var moveIn = await landlord.PostAsJsonAsync("/api/v1/landlord/tenancies", new { propertyId, name = "秦二", idNumber = Id(3), moveIn = "2026-11-21" });
        Assert.Equal(HttpStatusCode.NotFound, moveIn.StatusCode);

        // The grid worker has seen the ownership document: verified, and the declaration shows.
        var grid = await factory.SignInAsync("grid");
        var open = await grid.GetFromJsonAsync<List<ClaimRow>>($"/api/v1/regions/{address.GridId}/rental-claims", Json);
        Assert.Contains(open!, c => c.PropertyId == propertyId && c.Claim == PropertyClaim.Pending);
        var missing = await grid.PostAsJsonAsync($"/api/v1/rental-claims/{propertyId}/verify", new { });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("\"evidence\"", await missing.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await grid.PostAsJsonAsync($"/api/v1/rental-claims/{propertyId}/verify", new { evidence = "document", note = "不动产权证" })).StatusCode);

        var verified = await PropertyAsync(propertyId);
        Assert.Equal((PropertyClaim.Verified, "产权证明：不动产权证"), (verified.Claim, verified.ClaimNote));
        Assert.Contains("秦租客", await landlord.GetStringAsync("/landlord"));
        Assert.Equal(HttpStatusCode.Created, (await landlord.PostAsJsonAsync("/api/v1/landlord/tenancies",
            new { propertyId, name = "秦二", idNumber = Id(3), moveIn = "2026-11-21" })).StatusCode);
        var audited = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Set<AuditEntry>()
            .AnyAsync(a => a.Action == "population.property.verify" && a.Target == $"property:{propertyId}" && a.UserName == "grid"));
        Assert.True(audited);
        // Decided once: a second decision is a conflict, not a change.
        Assert.Equal(HttpStatusCode.Conflict, (await grid.PostAsJsonAsync($"/api/v1/rental-claims/{propertyId}/reject", new { note = "重复操作测试" })).StatusCode);
    }

    [Fact]
    public async Task Claim_OnAHeldAddress_IsDisputed_TheVillageDecides()
    {
        var address = AddressInGrid("众联村第1网格", 15);
        await DeclareAsync(address, "齐租客", Id(10));
        var (_, _, held) = await LandlordSession.SignInAsync(factory, "13600000202", Id(11), address);
        Assert.Equal(PropertyClaim.Verified, (await PropertyAsync(held)).Claim);

        // Someone else read the same doorplate code.
        var (intruder, _, claimed) = await LandlordSession.SignInAsync(factory, "13600000203", Id(12), address, verify: false);
        Assert.Equal(PropertyClaim.Disputed, (await PropertyAsync(claimed)).Claim);
        Assert.DoesNotContain("齐租客", await intruder.GetStringAsync("/landlord"));

        // Not the grid worker's to decide; the village cadre rejects it, with a reason.
        var grid = await factory.SignInAsync("grid");
        Assert.Equal(HttpStatusCode.Forbidden, (await grid.PostAsJsonAsync($"/api/v1/rental-claims/{claimed}/verify", new { evidence = "visit" })).StatusCode);
        var cadre = await factory.SignInAsync("cadre");
        var rows = await cadre.GetFromJsonAsync<List<ClaimRow>>($"/api/v1/regions/{address.GridId}/rental-claims", Json);
        var row = Assert.Single(rows!, c => c.PropertyId == claimed);
        Assert.Single(row.Holders);
        var noReason = await cadre.PostAsJsonAsync($"/api/v1/rental-claims/{claimed}/reject", new { note = "" });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("\"note\"", await noReason.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await cadre.PostAsJsonAsync($"/api/v1/rental-claims/{claimed}/reject", new { note = "非产权人，已上门核实" })).StatusCode);

        Assert.Equal(PropertyClaim.Rejected, (await PropertyAsync(claimed)).Claim);
        var page = await intruder.GetStringAsync("/landlord");
        Assert.Contains("未通过核实", page);
        Assert.DoesNotContain("齐租客", page);
        // Claiming again does not verify it: back to the village.
        await factory.WithScopeAsync(async sp =>
        {
            var (again, errors) = await Landlords.AddPropertyAsync(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<CivicGrid.Places.Contracts.AddressDirectory>(),
                (await PropertyAsync(claimed)).LandlordId, address.DoorplateToken, 3, null, DateTime.UtcNow, default);
            Assert.False(errors.Any);
            Assert.Equal(PropertyClaim.Disputed, again!.Claim);
            return true;
        });
    }
}
