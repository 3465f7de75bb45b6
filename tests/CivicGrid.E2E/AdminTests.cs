using CivicGrid.E2E.Pages;
using CivicGrid.Testing;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

[Collection(BrowserTests.Name)]
public class AdminTests(BrowserFixture browser)
{
    // Account creation through the region autocomplete is covered by the API tests (AccountTests); driving MudAutocomplete
    // from Playwright proved timing-sensitive, so the browser test stops at what the admin sees.
    [Fact]
    public async Task DistrictAdmin_SeesAccountsAndTheAuditLog()
    {
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin", PlatformFactory.DemoPassword("admin"));
        await page.GetByRole(AriaRole.Link, new() { Name = "账号管理" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "账号管理" }).WaitForAsync();
        await page.GetByRole(AriaRole.Cell, new() { Name = "众联村干部" }).WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "accounts.png"), FullPage = true });

        await page.GetByRole(AriaRole.Link, new() { Name = "审计日志" }).ClickAsync();
        await page.GetByRole(AriaRole.Cell, new() { Name = "account.login" }).First.WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "audit.png"), FullPage = true });
    }

    [Fact]
    public async Task EnglishSwitch_ShowsTheShellInEnglish()
    {
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("town", PlatformFactory.DemoPassword("town"));
        await page.GetByRole(AriaRole.Link, new() { Name = "English" }).ClickAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "Regions & grids" }).WaitForAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "My area: 河上镇" }).WaitForAsync();
    }
}
