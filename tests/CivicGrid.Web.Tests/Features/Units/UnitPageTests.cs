using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Units;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features.Units;

public class UnitPageTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task DemoSeed_ThreeUnitsWithMembersAndARosterFromToday()
    {
        var units = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Units.AsNoTracking().Include(u => u.Members).ToListAsync());
        Assert.Contains(units, u => u.Kind == UnitKinds.PoliceStation && u.Name == "河上派出所");
        Assert.Contains(units, u => u.Kind == UnitKinds.MediationCommittee && u.Name == "众联村人民调解委员会");
        Assert.Contains(units, u => u.Name == "河上镇社会治理综合指挥中心" && u.Members.Count == 3 && u.HeadUserId != null);

        var police = await factory.SignInAsync("police");
        var station = units.First(u => u.Name == "河上派出所");
        var onDuty = await police.GetFromJsonAsync<JsonElement>($"/api/v1/units/{station.Id}/on-duty");
        Assert.Equal("police", Assert.Single(onDuty.EnumerateArray()).GetProperty("userName").GetString());
    }

    [Fact]
    public async Task UnitsPage_TownOfficer_ShowsItsUnitsMembersAndWhoIsOnDuty()
    {
        var station = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Units.AsNoTracking().FirstAsync(u => u.Name == "河上派出所"));
        var town = await factory.SignInAsync("town");
        var html = await (await town.GetAsync($"/units/{station.Id}")).Content.ReadAsStringAsync();
        Assert.Contains("单位与值班", html);
        Assert.Contains("众联村人民调解委员会", html);
        Assert.Contains("河上派出所民警", html);
        Assert.Contains("当前在岗", html);
        Assert.Contains("上传值班表", html);
    }

    [Fact]
    public async Task UnitsPage_ForeignUnit_ShowsNothingOfIt()
    {
        var admin = await factory.SignInAsync("admin");
        var regionId = factory.WithScope(sp => sp.GetRequiredService<CivicGrid.Places.Data.PlacesDbContext>().Regions
            .First(r => r.Name == "光明村" && r.Level == CivicGrid.Kernel.Regions.RegionLevel.Village).Id);
        var created = await admin.PostAsJsonAsync("/api/v1/units", new { name = "光明村保密调委会", kind = UnitKinds.MediationCommittee, regionId });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();

        var cadre = await factory.SignInAsync("cadre");
        var response = await cadre.GetAsync($"/units/{id}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain("光明村保密调委会", html);
        // A village cadre reads the units it belongs to and does not manage them.
        Assert.Contains("众联村人民调解委员会", html);
        Assert.DoesNotContain("上传值班表", html);
    }
}
