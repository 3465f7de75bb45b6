using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

public class AccountTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private int VillageId(string name) => factory.WithScope(sp =>
        sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == name && r.Level == RegionLevel.Village).Id);

    [Fact]
    public async Task Login_FiveWrongPasswords_LocksTheAccountForThirtyMinutes()
    {
        var admin = await factory.SignInAsync("admin");
        var created = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName = "lockme", displayName = "锁定测试", role = Roles.VillageCadre, regionId = VillageId("众联村"), password = "Right@2021" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var client = factory.CreateClient();
        for (var i = 0; i < 5; i++)
        {
            var wrong = await client.PostAsJsonAsync("/api/v1/account/login", new { userName = "lockme", password = "Wrong@2021" });
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }
        var locked = await client.PostAsJsonAsync("/api/v1/account/login", new { userName = "lockme", password = "Right@2021" });
        Assert.Equal(HttpStatusCode.Unauthorized, locked.StatusCode);
        // Locked reads like a wrong password: the answer says nothing about which accounts exist or are locked.
        var lockedBody = await locked.Content.ReadAsStringAsync();
        Assert.Contains("用户名或密码错误", lockedBody);
        Assert.DoesNotContain("LockedOut", lockedBody);
        var unknown = await client.PostAsJsonAsync("/api/v1/account/login", new { userName = "nobody-here", password = "Wrong@2021" });
        Assert.Equal(System.Text.Json.JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString(),
            System.Text.Json.JsonDocument.Parse(lockedBody).RootElement.GetProperty("detail").GetString());

        // Identity in .NET 10 reads the wall clock for lockouts (TimeProvider support comes in .NET 11), so check the
        // lockout's length in the store, then let it expire by moving its end into the past.
        await factory.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<StaffUser>>();
            var user = (await users.FindByNameAsync("lockme"))!;
            var minutes = (user.LockoutEnd!.Value - DateTimeOffset.UtcNow).TotalMinutes;
            Assert.InRange(minutes, 28, 30.1);
            return await users.SetLockoutEndDateAsync(user, DateTimeOffset.UtcNow.AddSeconds(-1));
        });
        var again = await client.PostAsJsonAsync("/api/v1/account/login", new { userName = "lockme", password = "Right@2021" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
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
