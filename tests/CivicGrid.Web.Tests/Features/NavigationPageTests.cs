using System.Net;
using CivicGrid.Testing;

namespace CivicGrid.Web.Tests.Features;

/// <summary>What a signed-in user meets on a page they may not open, and on an address that does not exist.</summary>
public class NavigationPageTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task ForbiddenPage_SignedInGridWorker_SeesNoPermissionWithRole_NotTheSignInPage()
    {
        var client = await factory.SignInAsync("grid");
        var denied = await client.GetAsync("/accounts");
        Assert.Equal(HttpStatusCode.Redirect, denied.StatusCode);
        Assert.StartsWith("/no-permission", denied.Headers.Location!.IsAbsoluteUri ? denied.Headers.Location.PathAndQuery : denied.Headers.Location.OriginalString);
        var response = await client.GetAsync(denied.Headers.Location);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("无权限", html);
        Assert.Contains("网格员", html);
        Assert.DoesNotContain("name=\"password\"", html);
    }

    [Fact]
    public async Task UnknownPage_SignedIn_IsThePlatformsChinese404()
    {
        var client = await factory.SignInAsync("town");
        var response = await client.GetAsync("/mediation");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("页面不存在", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task UnknownApiPath_StaysProblemDetails()
    {
        var client = await factory.SignInAsync("town");
        var response = await client.GetAsync("/api/v1/no-such-thing");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.NotEqual("text/html", response.Content.Headers.ContentType?.MediaType);
    }
}
