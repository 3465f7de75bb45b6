using System.Net;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

/// <summary>Staff pages refuse regions and addresses outside the account's subtree, like the API does.</summary>
public class PageScopeTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Theory]
    [InlineData("cadre")]
    [InlineData("town")]
    [InlineData("grid")]
    public async Task RegionAndLabelPages_ForeignVillage_ShowNothingOfIt(string user)
    {
        var foreign = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking()
            .First(r => r.Name == "光明村" && r.Level == RegionLevel.Village));
        var foreignGrid = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.ParentId == foreign.Id));
        var client = await factory.SignInAsync(user);
        foreach (var url in new[] { $"/regions/{foreign.Id}", $"/regions/{foreign.Id}/labels", $"/regions/{foreignGrid.Id}", $"/population/figures?region={foreign.Id}" })
        {
            var response = await client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var html = await response.Content.ReadAsStringAsync();
            Assert.Contains("不在您的辖区内", html);
            Assert.DoesNotContain(foreignGrid.Name, html);
            Assert.DoesNotContain(foreign.Code, html);
        }
    }

    [Fact]
    public async Task AddressPage_ForeignAddress_ShowsNothingOfIt()
    {
        // Demo addresses all lie in 河上镇: one of them is foreign to an account of another town.
        var (address, townOfficer) = await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PlacesDbContext>();
            var a = await db.Addresses.AsNoTracking().OrderBy(x => x.Id).FirstAsync();
            var otherTown = await db.Regions.AsNoTracking().FirstAsync(r => r.Level == RegionLevel.Town && r.Name == "靖江街道");
            return (a, otherTown);
        });
        var admin = await factory.SignInAsync("admin");
        var created = await admin.PostAsync("/api/v1/accounts", System.Net.Http.Json.JsonContent.Create(new
        {
            userName = "jingjiang", displayName = "靖江干部", role = "town_officer", regionId = townOfficer.Id, password = "Strong@2021",
        }));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var client = await factory.SignInAsync("jingjiang", "Strong@2021");
        var html = await client.GetStringAsync($"/addresses/{address.Id}");
        Assert.Contains("不在您的辖区内", html);
        Assert.DoesNotContain(address.Street, html);
        Assert.DoesNotContain(address.DoorplateToken, html);
    }
}
