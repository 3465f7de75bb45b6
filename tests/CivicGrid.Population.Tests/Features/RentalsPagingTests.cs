using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Tenancies;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

/// <summary>The staff rentals list (出租房管理) in pages: API and page, late properties first, every property exactly once.</summary>
public partial class RentalsPagingTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private const int Properties = 61;

    [GeneratedRegex("<tr class=\"rental\"")]
    private static partial Regex RentalRow();

    private DateTime Now => factory.Time.GetUtcNow().UtcDateTime;

    /// <summary>One landlord with <see cref="Properties"/> rentals in 众联村 (the cadre's village); the last one has a late move-out.</summary>
    private async Task<(int VillageId, List<long> PropertyIds, long LateProperty)> SeedAsync()
    {
        var village = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking()
            .First(r => r.Name == "众联村" && r.Level == RegionLevel.Village));
        var existing = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().RentalProperties.AsNoTracking()
            .InScope(new RegionScope(village.Id, village.RegionPath, village.Level)).OrderBy(p => p.Id).Select(p => p.Id).ToListAsync());
        if (existing.Count >= Properties)
            return (village.Id, existing, await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Tenancies.Select(t => t.RentalPropertyId).SingleAsync()));
        var addresses = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Addresses.AsNoTracking()
            .Where(a => a.RegionPath.StartsWith(village.RegionPath)).OrderBy(a => a.Id).Take(Properties).ToList());
        Assert.Equal(Properties, addresses.Count);
        return await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var protector = sp.GetRequiredService<PersonalDataProtector>();
            const string phone = "13600000201";
            var landlord = new Landlord { Name = "分页房东", Phone = protector.Encrypt(phone), PhoneIndex = protector.BlindIndex("phone", phone), PhoneMasked = Mask.Phone(phone), RegisteredAt = Now };
            db.Landlords.Add(landlord);
            await db.SaveChangesAsync();
            var properties = addresses.Select(a => new RentalProperty { LandlordId = landlord.Id, AddressId = a.Id, RegionPath = a.RegionPath, Rooms = 2, RegisteredAt = Now }).ToList();
            db.RentalProperties.AddRange(properties);
            await db.SaveChangesAsync();
            var today = Tenancies.Today(Now);
            var result = await Tenancies.ReportMoveInAsync(db, protector, landlord.Id, new MoveInForm
            {
                PropertyId = properties[^1].Id, Name = "逾期租客", IdNumber = CitizenId.Create("330109", new DateOnly(1990, 2, 2), 77),
                MoveIn = today.AddDays(-60), LeaseEnd = today.AddDays(-40),
            }, Actor.System, Now, default);
            Assert.Equal(Tenancies.Outcome.Created, result.Outcome);
            return (village.Id, properties.Select(p => p.Id).ToList(), properties[^1].Id);
        });
    }

    [Fact]
    public async Task RegionRentals_MoreThanOnePage_PagesCoverEveryPropertyOnce_LateFirst_WithTotal()
    {
        var (village, ids, lateProperty) = await SeedAsync();
        var cadre = await factory.SignInAsync("cadre");
        var seen = new List<long>();
        for (var page = 1; ; page++)
        {
            var result = (await cadre.GetFromJsonAsync<RentalPage>($"/api/v1/regions/{village}/rentals?page={page}&size=25"))!;
            Assert.Equal((page, 25, Properties), (result.Page, result.Size, result.Total));
            if (result.Items.Count == 0) break;
            if (page == 1)
            {
                // The late one comes first although it was registered last, with its tenant and the landlord masked.
                Assert.Equal(lateProperty, result.Items[0].PropertyId);
                Assert.True(result.Items[0].Late);
                Assert.Equal("逾期租客", Assert.Single(result.Items[0].Tenants).Name);
                Assert.Contains("136****0201", result.Items[0].Landlord);
                Assert.DoesNotContain("分页房东", result.Items[0].Landlord);
            }
            Assert.True(result.Items.Count <= 25);
            seen.AddRange(result.Items.Select(i => i.PropertyId));
        }
        Assert.Equal(Properties, seen.Count);
        Assert.Equal(ids.Order(), seen.Order());
        Assert.Equal(ids.Where(i => i != lateProperty), seen.Skip(1));

        // Beyond the last page: no rows, the same total.
        var beyond = (await cadre.GetFromJsonAsync<RentalPage>($"/api/v1/regions/{village}/rentals?page=9&size=25"))!;
        Assert.Equal((0, Properties), (beyond.Items.Count, beyond.Total));
    }

    [Theory]
    [InlineData("rentals?page=0", "page")]
    [InlineData("rentals?size=201", "size")]
    [InlineData("tenancies/late?page=0", "page")]
    [InlineData("tenancies/late?size=0", "size")]
    public async Task RegionLists_BadPaging_Answer400NamingTheFieldInBothLanguages(string path, string field)
    {
        var (village, _, _) = await SeedAsync();
        var cadre = await factory.SignInAsync("cadre");
        var response = await cadre.GetAsync($"/api/v1/regions/{village}/{path}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty(field)[0].GetString()!;
        Assert.Contains(" / ", message);
        Assert.Contains(field, message);
    }

    [Fact]
    public async Task RegionLate_IsPaged_WithTotal()
    {
        var (village, _, lateProperty) = await SeedAsync();
        var cadre = await factory.SignInAsync("cadre");
        var late = (await cadre.GetFromJsonAsync<LatePage>($"/api/v1/regions/{village}/tenancies/late?page=1&size=1"))!;
        Assert.Equal((1, 1, 1), (late.Page, late.Size, late.Total));
        Assert.Equal(lateProperty, Assert.Single(late.Items).PropertyId);
        Assert.Empty((await cadre.GetFromJsonAsync<LatePage>($"/api/v1/regions/{village}/tenancies/late?page=2&size=1"))!.Items);
    }

    [Fact]
    public async Task RentalsPage_SecondPage_ShowsTheRestAndWhereItIs()
    {
        await SeedAsync();
        var cadre = await factory.SignInAsync("cadre");
        var first = await cadre.GetStringAsync("/rentals");
        Assert.Equal(Rentals.DefaultPageSize, RentalRow().Count(first));
        Assert.Contains($"第 1 / 2 页 · 共 {Properties} 条", first);
        Assert.Contains("/rentals?page=2&amp;late=1", first);
        Assert.Contains("逾期租客", first);

        var second = await cadre.GetStringAsync("/rentals?page=2");
        Assert.Equal(Properties - Rentals.DefaultPageSize, RentalRow().Count(second));
        Assert.Contains($"第 2 / 2 页 · 共 {Properties} 条", second);
        // The late reports stay on top; the late rental itself was on the first page of the rentals list only.
        var rentalsOfSecond = second[second.IndexOf("出租房与在租租客", StringComparison.Ordinal)..];
        Assert.DoesNotContain("逾期租客", rentalsOfSecond);
        Assert.Contains("逾期租客", first[first.IndexOf("出租房与在租租客", StringComparison.Ordinal)..]);
    }
}
