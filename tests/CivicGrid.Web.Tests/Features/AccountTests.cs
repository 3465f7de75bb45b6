using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using CivicGrid.Web.Features.Accounts;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

public class AccountTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private int VillageId(string name) => factory.WithScope(sp =>
        sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == name && r.Level == RegionLevel.Village).Id);

    private static HttpRequestMessage Login(string userName, string password, string from) =>
        new(HttpMethod.Post, "/api/v1/account/login")
        {
            Content = JsonContent.Create(new { userName, password }),
            Headers = { { "X-Forwarded-For", from } },
        };

    private static async Task<string> DetailAsync(HttpResponseMessage r) =>
        System.Text.Json.JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;

    [Fact]
    public async Task Login_FiveWrongPasswordsFromOneAddress_ThatAddressWaitsLongerEachTime_TheOwnerElsewhereSignsIn()
    {
        var admin = await factory.SignInAsync("admin");
        var created = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName = "lockme", displayName = "锁定测试", role = Roles.VillageCadre, regionId = VillageId("众联村"), password = "Right@2021" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var client = factory.CreateClient();
        const string attacker = "203.0.113.7", owner = "198.51.100.20";
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Login("lockme", "Wrong@2021", attacker))).StatusCode);
        }
        // The guessing address now waits, even with the right password; the answer reads like any wrong password.
        var waiting = await client.SendAsync(Login("lockme", "Right@2021", attacker));
        Assert.Equal(HttpStatusCode.Unauthorized, waiting.StatusCode);
        var unknown = await client.SendAsync(Login("nobody-here", "Wrong@2021", attacker));
        Assert.Equal(await DetailAsync(unknown), await DetailAsync(waiting));
        Assert.DoesNotContain("LockedOut", await waiting.Content.ReadAsStringAsync());

        // The owner, elsewhere, is not locked out by someone else's guesses.
        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().SendAsync(Login("lockme", "Right@2021", owner))).StatusCode);

        // One minute later the guessing address may try once more; another failure makes it wait two minutes.
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Login("lockme", "Wrong@2021", attacker))).StatusCode);
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.SendAsync(Login("lockme", "Right@2021", attacker))).StatusCode);
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(Login("lockme", "Right@2021", attacker))).StatusCode);
        Assert.Equal(TimeSpan.FromMinutes(30), SignInThrottle.Delay(20));
    }

    [Theory]
    [InlineData("short1A")]
    [InlineData("alllowercase")]
    [InlineData("lowercase123")]
    public async Task CreateAccount_WeakPassword_Returns400NamingPassword(string password)
    {
        var admin = await factory.SignInAsync("admin");
        var response = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName = "weak" + password.Length, displayName = "弱密码", role = Roles.VillageCadre, regionId = VillageId("众联村"), password });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"password\"", body);
        Assert.Contains("密码", body);
    }

    [Fact]
    public async Task CreateAccount_RoleDoesNotFitRegionLevel_Returns400NamingRole()
    {
        var admin = await factory.SignInAsync("admin");
        var response = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName = "wrongfit", displayName = "错配", role = Roles.TownOfficer, regionId = VillageId("众联村"), password = "Strong@2021" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"role\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task DisableAccount_ThenLogin_IsRefusedAndAudited()
    {
        var admin = await factory.SignInAsync("admin");
        var created = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName = "leaver", displayName = "离职", role = Roles.GridWorker, regionId = VillageId("众联村"), password = "Strong@2021" });
        var id = (await created.Content.ReadFromJsonAsync<CivicGrid.Web.Features.Accounts.Accounts.AccountDto>())!.Id;
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/v1/accounts/{id}/disable", null)).StatusCode);

        var login = await factory.CreateClient().PostAsJsonAsync("/api/v1/account/login", new { userName = "leaver", password = "Strong@2021" });
        Assert.Equal(HttpStatusCode.Unauthorized, login.StatusCode);
        var audited = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries
            .AnyAsync(a => a.Action == "account.disable" && a.Target == $"user:{id}" && a.UserName == "admin"));
        Assert.True(audited);
    }

    [Fact]
    public async Task Accounts_NonAdmin_IsForbidden()
    {
        var town = await factory.SignInAsync("town");
        Assert.Equal(HttpStatusCode.Forbidden, (await town.GetAsync("/api/v1/accounts")).StatusCode);
    }

    [Fact]
    public async Task StaffPage_Anonymous_RedirectsToLogin()
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        var response = await client.GetAsync("/regions");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.StartsWith("/login", response.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LoginPage_IsChineseByDefault()
    {
        var html = await factory.CreateClient().GetStringAsync("/login");
        Assert.Contains("工作人员登录", html);
        Assert.Contains("lang=\"zh-CN\"", html);
    }
}
