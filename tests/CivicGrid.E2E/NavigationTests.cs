using CivicGrid.E2E.Pages;
using CivicGrid.Testing;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

/// <summary>What a grid worker meets on a phone: the home page's measures, a page their role may not open, an unknown page.</summary>
[Collection(BrowserTests.Name)]
public class NavigationTests(BrowserFixture browser)
{
    [Fact]
    public async Task GridWorker_OnAPhone_SeesMeasures_NoPermission_AndTheChinese404()
    {
        var page = await browser.NewPageAsync(390, 844);
        await new LoginPage(page).SignInAsync("grid", PlatformFactory.DemoPassword("grid"));
        // The home page reads the modules' measures: the grid's addresses and residents, each linking to its list.
        await page.GetByText("地址（智慧门牌）").WaitForAsync();
        await page.GetByText("居住人员").First.WaitForAsync();
        var residents = page.Locator("a[href^='population/figures?region=']");
        await residents.First.WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "home-grid-phone.png"), FullPage = true });

        await page.GotoAsync("/accounts");
        await page.GetByRole(AriaRole.Heading, new() { Name = "无权限" }).WaitForAsync();
        await page.GetByText("您的角色（网格员）无权打开此页面", new() { Exact = false }).WaitForAsync();
        Assert.DoesNotContain("/login", page.Url, StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "no-permission-phone.png"), FullPage = true });

        var response = await page.GotoAsync("/mediation");
        Assert.Equal(404, response!.Status);
        await page.GetByRole(AriaRole.Heading, new() { Name = "页面不存在" }).WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "not-found-phone.png"), FullPage = true });
    }
}
