using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Units;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using CivicGrid.Web.Features.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

/// <summary>
/// The host's writes and their audit lines commit together: when the database refuses the line, the API answers 503 in both
/// languages and nothing of the write is left; the same request succeeds once the line can be stored.
/// </summary>
public class AuditedWriteTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private async Task RefusingAsync(string action, Func<Task> act)
    {
        await factory.WithScopeAsync(async sp => { await AuditFailures.RejectAsync(sp.GetRequiredService<KernelDbContext>(), action); return 0; });
        try
        {
            await act();
        }
        finally
        {
            await factory.WithScopeAsync(async sp => { await AuditFailures.AllowAsync(sp.GetRequiredService<KernelDbContext>()); return 0; });
        }
    }

    private static async Task AssertRefusedAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("保存失败", body);
        Assert.Contains("nothing of this request was written", body);
    }

    private Task<bool> AccountExistsAsync(string userName) =>
        factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Users.AnyAsync(u => u.UserName == userName));

    private string VillageCode() => factory.WithScope(sp =>
        sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == "众联村" && r.Level == RegionLevel.Village).Code);

    [Fact]
    public async Task ImportAccounts_AuditLinesRefused_Answers503AndCreatesNone()
    {
        var admin = await factory.SignInAsync("admin");
        var village = VillageCode();
        MultipartFormDataContent Sheet() => new()
        {
            { new ByteArrayContent(TabularFile.WriteXlsx("账号", AccountAdmin.Headers, [["aud.grid1", "审计一", "网格员", village, ""], ["aud.grid2", "审计二", "网格员", village, ""]])), "file", "accounts.xlsx" },
            { new StringContent("Start@2026"), "initialPassword" },
        };
        await RefusingAsync("account.create", async () =>
        {
            await AssertRefusedAsync(await admin.PostAsync("/api/v1/accounts/import", Sheet()));
            Assert.False(await AccountExistsAsync("aud.grid1"));
            Assert.False(await AccountExistsAsync("aud.grid2"));
        });

        var imported = await admin.PostAsync("/api/v1/accounts/import", Sheet());
        Assert.Equal(HttpStatusCode.OK, imported.StatusCode);
        Assert.True(await AccountExistsAsync("aud.grid2"));
    }

    [Fact]
    public async Task CreateAccount_AuditLineRefused_Answers503AndLeavesNoAccount()
    {
        var admin = await factory.SignInAsync("admin");
        var regionId = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == "众联村" && r.Level == RegionLevel.Village).Id);
        var body = new { userName = "aud.cadre", displayName = "审计村干部", role = Roles.VillageCadre, regionId, password = "Right@2021x" };
        await RefusingAsync("account.create", async () =>
        {
            await AssertRefusedAsync(await admin.PostAsJsonAsync("/api/v1/accounts", body));
            Assert.False(await AccountExistsAsync("aud.cadre"));
        });

        var created = await admin.PostAsJsonAsync("/api/v1/accounts", body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        // The account is whole: it signs in with its password.
        var client = factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/account/login", new { userName = "aud.cadre", password = "Right@2021x" })).StatusCode);
    }

    [Fact]
    public async Task UpdateUnit_AuditLineRefused_Answers503AndKeepsTheName()
    {
        var admin = await factory.SignInAsync("admin");
        var townId = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == "河上镇" && r.Level == RegionLevel.Town).Id);
        var created = await admin.PostAsJsonAsync("/api/v1/units", new { name = "审计科", kind = UnitKinds.Department, regionId = townId });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        Task<string> NameAsync() => factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Units.Where(u => u.Id == id).Select(u => u.Name).SingleAsync());

        await RefusingAsync("unit.update", async () =>
        {
            await AssertRefusedAsync(await admin.PutAsJsonAsync($"/api/v1/units/{id}", new { name = "审计二科", kind = UnitKinds.Department }));
            Assert.Equal("审计科", await NameAsync());
        });

        Assert.Equal(HttpStatusCode.NoContent, (await admin.PutAsJsonAsync($"/api/v1/units/{id}", new { name = "审计二科", kind = UnitKinds.Department })).StatusCode);
        Assert.Equal("审计二科", await NameAsync());
    }

    [Fact]
    public async Task CreateUnit_AuditLineRefused_Answers503AndLeavesNoUnit()
    {
        var admin = await factory.SignInAsync("admin");
        var townId = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == "河上镇" && r.Level == RegionLevel.Town).Id);
        await RefusingAsync("unit.create", async () =>
        {
            await AssertRefusedAsync(await admin.PostAsJsonAsync("/api/v1/units", new { name = "回滚科", kind = UnitKinds.Department, regionId = townId }));
            Assert.False(await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Units.AnyAsync(u => u.Name == "回滚科")));
        });
    }
}
