using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using CivicGrid.Web.Features.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

public class PasswordRuleTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private int VillageId() => factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == "众联村").Id);

    [Theory]
    [InlineData("pw.common", "P@ssw0rd", "常见")]
    [InlineData("pw.common2", "Qwer@1234", "常见")]
    [InlineData("zhangwei", "Zhangwei@2024", "用户名")]
    [InlineData("pw.short", "Ab1!", "8")]
    [InlineData("pw.kinds", "abcdefgh1", "三类")]
    public async Task CreateAccount_WeakPassword_Returns400NamingPassword(string userName, string password, string says)
    {
        var admin = await factory.SignInAsync("admin");
        var response = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName, displayName = "密码规则", role = Roles.VillageCadre, regionId = VillageId(), password });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"password\"", body);
        Assert.Contains(says, body);
        Assert.Null(await factory.WithScopeAsync(sp => sp.GetRequiredService<UserManager<StaffUser>>().FindByNameAsync(userName)));
    }

    [Fact]
    public async Task DisabledAccount_SignIn_ReadsLikeAWrongPassword()
    {
        var admin = await factory.SignInAsync("admin");
        var created = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName = "pw.disabled", displayName = "停用测试", role = Roles.VillageCadre, regionId = VillageId(), password = "Kept#Safe2026" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<Accounts.AccountDto>())!.Id;
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/v1/accounts/{id}/disable", null)).StatusCode);

        var client = factory.CreateClient();
        var disabled = await client.PostAsJsonAsync("/api/v1/account/login", new { userName = "pw.disabled", password = "Kept#Safe2026" });
        var wrong = await client.PostAsJsonAsync("/api/v1/account/login", new { userName = "pw.nobody", password = "Kept#Safe2026" });
        Assert.Equal((HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized), (disabled.StatusCode, wrong.StatusCode));
        static async Task<string> Detail(HttpResponseMessage r) =>
            System.Text.Json.JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString()!;
        Assert.Equal(await Detail(wrong), await Detail(disabled));
        var form = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["userName"] = "pw.disabled", ["password"] = "Kept#Safe2026" }));
        Assert.DoesNotContain("Disabled", form.Headers.Location?.OriginalString ?? "");
    }
}

/// <summary>A district that turns the demo off: demo accounts still on their published passwords must choose their own.</summary>
public class DemoOffTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task DemoOff_DemoAccountOnItsPublishedPassword_MustChangeIt()
    {
        // One demo account already chose its own password; it is left alone.
        await factory.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<StaffUser>>();
            var cadre = (await users.FindByNameAsync("cadre"))!;
            return await users.ChangePasswordAsync(cadre, PlatformFactory.DemoPassword("cadre"), "Own#Choice2026");
        });
        var shown = await DemoAccounts.EnsureAsync(factory.Services, default, demo: false);
        Assert.Empty(shown);
        var (town, cadreMust) = await factory.WithScopeAsync(async sp =>
        {
            var users = sp.GetRequiredService<UserManager<StaffUser>>();
            return ((await users.FindByNameAsync("town"))!.MustChangePassword, (await users.FindByNameAsync("cadre"))!.MustChangePassword);
        });
        Assert.True(town);
        Assert.False(cadreMust);
        var client = await factory.SignInAsync("town");
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/units")).StatusCode);
    }
}

/// <summary>A district that sets passwords to expire after 30 days.</summary>
public sealed class ExpiringFactory : PlatformFactory
{
    protected override int PasswordMaxAgeDays => 30;
}

public class PasswordExpiryTests(ExpiringFactory factory) : IClassFixture<ExpiringFactory>
{
    [Fact]
    public async Task SignIn_PasswordOlderThanThePolicy_MustChooseANewOne_ThenWorksAgain()
    {
        var fresh = await factory.SignInAsync("grid");
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/api/v1/units")).StatusCode);

        factory.Time.Advance(TimeSpan.FromDays(31));
        var client = await factory.SignInAsync("grid");
        Assert.True(await factory.WithScopeAsync(async sp => (await sp.GetRequiredService<UserManager<StaffUser>>().FindByNameAsync("grid"))!.MustChangePassword));
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/units")).StatusCode);
        var changed = await client.PostAsJsonAsync("/api/v1/account/password", new { currentPassword = PlatformFactory.DemoPassword("grid"), newPassword = "Fresh#Wang2027" });
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/units")).StatusCode);
        // A new sign-in the next day is not sent back to change it again.
        factory.Time.Advance(TimeSpan.FromDays(1));
        var next = await factory.SignInAsync("grid", "Fresh#Wang2027");
        Assert.Equal(HttpStatusCode.OK, (await next.GetAsync("/api/v1/units")).StatusCode);
    }
}
