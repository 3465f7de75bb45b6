using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Declarations;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

public partial class DeclarationTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex("id=\"lookup-code\">([A-Z0-9]{10})<")]
    private static partial Regex LookupCode();

    private Address AddressInGrid(string gridName, int skip = 0) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = places.Regions.AsNoTracking().First(r => r.Name == gridName);
        return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(skip).First();
    });

    /// <summary>Fills the doorplate's declaration form as a phone browser does: GET the form, POST it with its antiforgery token.</summary>
    private async Task<string> DeclareAsync(HttpClient client, string token, string name, string idNumber, string? phone, string moveIn, string relation)
    {
        var form = await client.GetStringAsync($"/d/{token}/declare");
        var antiforgery = AntiforgeryField().Match(form).Groups[1].Value;
        Assert.NotEmpty(antiforgery);
        var fields = new Dictionary<string, string>
        {
            ["_handler"] = "declare", ["__RequestVerificationToken"] = antiforgery,
            ["Form.Name"] = name, ["Form.IdNumber"] = idNumber, ["Form.Phone"] = phone ?? "", ["Form.MoveInDate"] = moveIn, ["Form.Relation"] = relation,
        };
        var response = await client.PostAsync($"/d/{token}/declare", new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    private static string ValidId(int n) => CitizenId.Create("330109", new DateOnly(1990, 1, 1).AddDays(n), 101 + 2 * n);

    [Fact]
    public async Task Declare_InvalidIdNumber_ShowsFieldErrorAndWritesNothing()
    {
        var address = AddressInGrid("众联村第1网格");
        var before = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Declarations.CountAsync());
        var html = await DeclareAsync(factory.CreateClient(), address.DoorplateToken, "李四", "11010519491231002Y", "13812345678", "2026-11-01", "Tenant");
        Assert.Contains("身份证号", html);
        Assert.Contains("role=\"alert\"", html);
        Assert.DoesNotContain("11010519491231002Y", html.Replace("value=\"11010519491231002Y\"", ""));
        Assert.Equal(before, await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Declarations.CountAsync()));
    }

    [Fact]
    public async Task Declare_TwiceAtSameAddress_IsMergedIntoOneDeclaration()
    {
        var address = AddressInGrid("众联村第1网格", 1);
        var id = ValidId(1);
        var client = factory.CreateClient();
        var first = LookupCode().Match(await DeclareAsync(client, address.DoorplateToken, "王五", id, "13912345678", "2026-11-01", "Tenant")).Groups[1].Value;
        var second = LookupCode().Match(await DeclareAsync(client, address.DoorplateToken, "王五", id.ToLowerInvariant(), "13912345679", "2026-11-02", "Tenant")).Groups[1].Value;
        Assert.NotEmpty(first);
        Assert.Equal(first, second);
        var rows = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Declarations.AsNoTracking()
            .Where(d => d.AddressId == address.Id && d.IdMasked == Mask.IdNumber(id)).ToListAsync());
        var row = Assert.Single(rows);
        Assert.Equal(2, row.Submissions);
        Assert.Equal("139****5679", row.PhoneMasked);
        Assert.Equal(new DateOnly(2026, 11, 2), row.MoveInDate);

        var status = await client.GetStringAsync($"/declarations/status?code={first}");
        Assert.Contains("待核实", status);
    }

    [Fact]
    public async Task Confirm_DeclarationAtNewAddress_CreatesResidenceAndClosesTheOldOne()
    {
        var oldAddress = AddressInGrid("众联村第1网格", 2);
        var newAddress = AddressInGrid("众联村第2网格", 2);
        var id = ValidId(2);
        var client = factory.CreateClient();
        // The person already lives at the old address (a confirmed earlier declaration).
        await DeclareAsync(client, oldAddress.DoorplateToken, "赵六", id, null, "2024-03-01", "Family");
        var cadre = await factory.SignInAsync("cadre");
        var pendingOld = await PendingAsync(cadre, oldAddress.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await cadre.PostAsync($"/api/v1/declarations/{pendingOld}/confirm", null)).StatusCode);

        await DeclareAsync(client, newAddress.DoorplateToken, "赵六", id, "13712345678", "2026-11-10", "Tenant");
        var grid = await factory.SignInAsync("cadre");
        var pendingNew = await PendingAsync(grid, newAddress.Id);
        Assert.Equal(HttpStatusCode.NoContent, (await grid.PostAsync($"/api/v1/declarations/{pendingNew}/confirm", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await grid.PostAsync($"/api/v1/declarations/{pendingNew}/confirm", null)).StatusCode);

        var residences = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking()
            .Where(r => r.IdMasked == Mask.IdNumber(id)).OrderBy(r => r.Id).ToListAsync());
        Assert.Equal(2, residences.Count);
        Assert.Equal(oldAddress.Id, residences[0].AddressId);
        Assert.Equal(new DateOnly(2026, 11, 9), residences[0].Until);
        Assert.Equal(newAddress.Id, residences[1].AddressId);
        Assert.Null(residences[1].Until);
        Assert.True(residences[1].Declared && residences[1].Verified);
        Assert.Equal(new DateOnly(1990, 1, 3), residences[1].BirthDate);
        Assert.Equal(ResidenceKind.Floating, residences[1].Kind);
        var audited = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries
            .CountAsync(a => a.Action == "population.declaration.confirm" && a.UserName == "cadre"));
        Assert.True(audited >= 2);
    }

    [Fact]
    public async Task Reject_WithoutReason_Returns400_WithReason_IsVisibleToTheDeclarant()
    {
        var address = AddressInGrid("众联村第3网格");
        var client = factory.CreateClient();
        var code = LookupCode().Match(await DeclareAsync(client, address.DoorplateToken, "钱七", ValidId(3), null, "2026-10-01", "Other")).Groups[1].Value;
        var cadre = await factory.SignInAsync("cadre");
        var pending = await PendingAsync(cadre, address.Id);
        var noReason = await cadre.PostAsJsonAsync($"/api/v1/declarations/{pending}/reject", new { reason = " " });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("\"reason\"", await noReason.Content.ReadAsStringAsync());
        var ok = await cadre.PostAsJsonAsync($"/api/v1/declarations/{pending}/reject", new { reason = "该地址无此住户，请核对门牌" });
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        var status = await client.GetStringAsync($"/declarations/status?code={code}");
        Assert.Contains("已退回", status);
        Assert.Contains("该地址无此住户", status);
    }

    [Fact]
    public async Task Confirm_ByMediator_IsForbidden()
    {
        var mediator = await factory.SignInAsync("mediator");
        var response = await mediator.PostAsync("/api/v1/declarations/1/confirm", null);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    private async Task<long> PendingAsync(HttpClient client, long addressId)
    {
        var village = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == "众联村" && r.Level == RegionLevel.Village));
        var list = await client.GetFromJsonAsync<List<DeclarationDto>>($"/api/v1/regions/{village.Id}/declarations?status=Pending");
        return list!.Last(d => d.AddressId == addressId).Id;
    }
}
