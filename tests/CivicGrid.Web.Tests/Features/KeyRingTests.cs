using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Data;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

/// <summary>
/// Two web nodes on one database (as behind a load balancer): a sign-in cookie issued by one is accepted by the other,
/// because the data-protection key ring lives in the Kernel's database, not in a machine's home folder.
/// </summary>
public class KeyRingTests
{
    /// <summary>A second node: the same platform pointed at another factory's database.</summary>
    private sealed class SecondNode(PlatformFactory first) : PlatformFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CivicGrid:Database:ConnectionString", first.ConnectionString);
        }
    }

    [Fact]
    public async Task SignInOnOneNode_CookieWorksOnAnother_KeysAreInTheDatabase()
    {
        await using var first = new PlatformFactory();
        var one = first.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        var login = await one.PostAsJsonAsync("/api/v1/account/login", new { userName = "admin", password = PlatformFactory.DemoPassword("admin") });
        login.EnsureSuccessStatusCode();
        var cookie = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));

        var keys = await first.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().DataProtectionKeys.CountAsync());
        Assert.True(keys >= 1, "the key ring is stored in the database");

        await using var second = new SecondNode(first);
        var other = second.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = false });
        using var me = new HttpRequestMessage(HttpMethod.Get, "/api/v1/account/me");
        me.Headers.Add("Cookie", cookie);
        var response = await other.SendAsync(me);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("admin", await response.Content.ReadAsStringAsync());

        // A cookie that no node signed is refused (the check above is not "any cookie passes").
        using var forged = new HttpRequestMessage(HttpMethod.Get, "/api/v1/account/me");
        forged.Headers.Add("Cookie", cookie[..cookie.IndexOf('=')] + "=CfDJ8forged");
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.SendAsync(forged)).StatusCode);
    }
}
