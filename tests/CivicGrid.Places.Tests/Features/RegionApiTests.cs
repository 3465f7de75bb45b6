using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Regions;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Places.Tests.Features;

public class RegionApiTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private Region RegionNamed(string name, RegionLevel level) =>
        factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == name && r.Level == level));

    [Fact]
    public async Task GetRegion_OwnVillage_ListsItsGrids()
    {
        var client = await factory.SignInAsync("cadre");
        var village = RegionNamed("众联村", RegionLevel.Village);
        var page = await client.GetFromJsonAsync<RegionPage>($"/api/v1/regions/{village.Id}");
        Assert.Equal("众联村", page!.Region.Name);
        Assert.InRange(page.Children.Count, 4, 7);
        Assert.All(page.Children, c => Assert.Equal(RegionLevel.Grid, c.Level));
        Assert.All(page.Children, c => Assert.Matches(@"^\d{3}\*\*\*\*\d{4}$", c.WorkerPhoneMasked!));
    }

    [Theory]
    [InlineData("河上镇", RegionLevel.Town)]
    [InlineData("光明村", RegionLevel.Village)]
    public async Task GetRegion_OutsideCadresVillage_Returns404(string name, RegionLevel level)
    {
        var client = await factory.SignInAsync("cadre");
        var response = await client.GetAsync($"/api/v1/regions/{RegionNamed(name, level).Id}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.Contains("不在您的辖区", problem);
        Assert.Contains("outside your area", problem);
    }

    [Fact]
    public async Task GetRegion_Admin_SeesTheWholeDistrict()
    {
        var client = await factory.SignInAsync("admin");
        var district = RegionNamed("萧山区", RegionLevel.District);
        var page = await client.GetFromJsonAsync<RegionPage>($"/api/v1/regions/{district.Id}?size=200");
        Assert.Equal(22, page!.Total);
        var villages = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.Count(r => r.Level == RegionLevel.Village));
        Assert.Equal(539, villages);
    }

    [Fact]
    public async Task GetRegion_PageSizeTooLarge_Returns400NamingSize()
    {
        var client = await factory.SignInAsync("admin");
        var response = await client.GetAsync($"/api/v1/regions/{RegionNamed("萧山区", RegionLevel.District).Id}?size=5000");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"size\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task ExportGeoJson_Village_ReturnsItsGridsAsFeatures()
    {
        var client = await factory.SignInAsync("cadre");
        var village = RegionNamed("众联村", RegionLevel.Village);
        var json = await client.GetStringAsync($"/api/v1/regions/{village.Id}/geojson");
        using var doc = JsonDocument.Parse(json);
        Assert.Equal("FeatureCollection", doc.RootElement.GetProperty("type").GetString());
        var features = doc.RootElement.GetProperty("features");
        Assert.True(features.GetArrayLength() >= 4);
        Assert.Equal("Polygon", features[0].GetProperty("geometry").GetProperty("type").GetString());
    }

    private async Task<int> GridCountAsync(int villageId) =>
        await factory.WithScopeAsync(sp => sp.GetRequiredService<PlacesDbContext>().Regions.CountAsync(r => r.ParentId == villageId));

    private static StringContent GeoJson(string json) => new(json, Encoding.UTF8, "application/geo+json");

    [Fact]
    public async Task ImportGrids_MalformedJson_Returns400AndWritesNothing()
    {
        var client = await factory.SignInAsync("cadre");
        var village = RegionNamed("众联村", RegionLevel.Village);
        var before = await GridCountAsync(village.Id);
        var response = await client.PostAsync($"/api/v1/regions/{village.Id}/grids", GeoJson("{\"type\":\"FeatureCollection\",\"features\":[{"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("GeoJSON", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await GridCountAsync(village.Id));
    }

    [Fact]
    public async Task ImportGrids_SelfIntersectingPolygon_Returns400NamingTheFeature()
    {
        var client = await factory.SignInAsync("cadre");
        var village = RegionNamed("众联村", RegionLevel.Village);
        var (x0, y0, x1, y1) = (village.MinLon, village.MinLat, village.MaxLon, village.MaxLat);
        // A bow tie: the ring crosses itself.
        var bowTie = Feature("蝴蝶网格", $"[[{x0},{y0}],[{x1},{y1}],[{x1},{y0}],[{x0},{y1}],[{x0},{y0}]]");
        var before = await GridCountAsync(village.Id);
        var response = await client.PostAsync($"/api/v1/regions/{village.Id}/grids", GeoJson(Collection(bowTie)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("features[0].geometry", body);
        Assert.Contains("self-intersecting", body);
        Assert.Equal(before, await GridCountAsync(village.Id));
    }

    [Fact]
    public async Task ImportGrids_OverlapsExistingGrid_Returns400AndWritesNothing()
    {
        var client = await factory.SignInAsync("cadre");
        var village = RegionNamed("众联村", RegionLevel.Village);
        var (x0, y0) = (village.MinLon, village.MinLat);
        var (dx, dy) = ((village.MaxLon - x0) / 10, (village.MaxLat - y0) / 10);
        var square = Feature("新网格", Ring(x0 + dx, y0 + dy, x0 + 2 * dx, y0 + 2 * dy));
        var before = await GridCountAsync(village.Id);
        var response = await client.PostAsync($"/api/v1/regions/{village.Id}/grids", GeoJson(Collection(square)));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("overlaps existing grid", await response.Content.ReadAsStringAsync());
        Assert.Equal(before, await GridCountAsync(village.Id));
    }

    [Fact]
    public async Task ImportGrids_EmptyVillage_CreatesTilingGridsAndLookupFindsThem()
    {
        // A village of another town, emptied of its grids first, so that a valid tiling can be imported.
        var village = RegionNamed("光明村", RegionLevel.Village);
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PlacesDbContext>();
            await db.Addresses.Where(a => db.Regions.Any(r => r.Id == a.GridId && r.ParentId == village.Id)).ExecuteDeleteAsync();
            return await db.Regions.Where(r => r.ParentId == village.Id).ExecuteDeleteAsync();
        });
        factory.Services.GetRequiredService<CivicGrid.Places.Features.Grids.GridLookup>().Invalidate();
        var client = await factory.SignInAsync("admin");
        var (x0, y0, x1, y1) = (village.MinLon, village.MinLat, village.MaxLon, village.MaxLat);
        var xm = (x0 + x1) / 2;
        var body = Collection(Feature("光明村西网格", Ring(x0, y0, xm, y1)), Feature("光明村东网格", Ring(xm, y0, x1, y1)));
        var response = await client.PostAsync($"/api/v1/regions/{village.Id}/grids", GeoJson(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, await GridCountAsync(village.Id));

        var east = await client.GetFromJsonAsync<RegionApi.LookupResult>(
            FormattableString.Invariant($"/api/v1/grids/lookup?lon={(xm + x1) / 2}&lat={(y0 + y1) / 2}"));
        Assert.Equal("光明村东网格", east!.Name);
        var audited = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries
            .AnyAsync(a => a.Action == "places.grids.import" && a.Target == $"region:{village.Id}"));
        Assert.True(audited);
    }

    [Fact]
    public async Task Lookup_PointOutsideCallersGrids_Returns404()
    {
        var client = await factory.SignInAsync("cadre");
        var other = RegionNamed("通二村", RegionLevel.Village);
        var response = await client.GetAsync(FormattableString.Invariant(
            $"/api/v1/grids/lookup?lon={(other.MinLon + other.MaxLon) / 2}&lat={(other.MinLat + other.MaxLat) / 2}"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task UnmaskWorkerPhone_WithReason_ReturnsNumberAndAudits()
    {
        var client = await factory.SignInAsync("cadre");
        var grid = RegionNamed("众联村第1网格", RegionLevel.Grid);
        var noReason = await client.PostAsJsonAsync($"/api/v1/regions/{grid.Id}/worker-phone/unmask", new { purpose = "contact", reason = "" });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("reason", await noReason.Content.ReadAsStringAsync());

        var response = await client.PostAsJsonAsync($"/api/v1/regions/{grid.Id}/worker-phone/unmask", new { purpose = "contact", reason = "联系网格员核实走访" });
        response.EnsureSuccessStatusCode();
        var value = (await response.Content.ReadFromJsonAsync<RegionApi.UnmaskResult>())!.Value;
        Assert.Matches(@"^1[3-9]\d{9}$", value);
        Assert.Equal(grid.WorkerPhoneMasked, CivicGrid.Kernel.PersonalData.Mask.Phone(value));
        var entry = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries
            .Where(a => a.Action == "personal_data.unmask").OrderByDescending(a => a.Id).FirstAsync());
        Assert.Equal("cadre", entry.UserName);
        Assert.Equal("[联系本人] 联系网格员核实走访", entry.Details);
        Assert.DoesNotContain(value, entry.Details ?? "");
    }

    [Fact]
    public async Task UnmaskWorkerPhone_GridWorkerRole_IsForbidden()
    {
        var client = await factory.SignInAsync("grid");
        var grid = RegionNamed("众联村第1网格", RegionLevel.Grid);
        var response = await client.PostAsJsonAsync($"/api/v1/regions/{grid.Id}/worker-phone/unmask", new { purpose = "contact", reason = "想看看号码" });
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    internal static string Ring(double x0, double y0, double x1, double y1) =>
        FormattableString.Invariant($"[[{x0},{y0}],[{x1},{y0}],[{x1},{y1}],[{x0},{y1}],[{x0},{y0}]]");

    internal static string Feature(string name, string ring) =>
        $"{{\"type\":\"Feature\",\"properties\":{{\"name\":\"{name}\"}},\"geometry\":{{\"type\":\"Polygon\",\"coordinates\":[{ring}]}}}}";

    internal static string Collection(params string[] features) =>
        $"{{\"type\":\"FeatureCollection\",\"features\":[{string.Join(",", features)}]}}";
}
