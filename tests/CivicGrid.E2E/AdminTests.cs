using CivicGrid.E2E.Pages;
using CivicGrid.Testing;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

[Collection(BrowserTests.Name)]
public class AdminTests(BrowserFixture browser)
{
    [Fact]
    public async Task DistrictAdmin_CreatesAccountAndFindsItInTheAuditLog()
    {
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin", PlatformFactory.DemoPassword("admin"));
        await page.GetByRole(AriaRole.Link, new() { Name = "账号管理" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "账号管理" }).WaitForAsync();

        await page.GetByLabel("用户名").FillAsync("e2e.cadre");
        await page.GetByLabel("姓名").FillAsync("测试村干部");
        await page.GetByLabel("所属区域").FillAsync("通二");
        await page.GetByText("通二村 (村社").ClickAsync();
        await page.GetByLabel("初始密码").FillAsync("Strong@2021");
        await page.GetByRole(AriaRole.Button, new() { Name = "创建" }).ClickAsync();
        await page.GetByText("已创建账号 e2e.cadre").WaitForAsync();
        await page.GetByRole(AriaRole.Cell, new() { Name = "测试村干部" }).WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "accounts.png"), FullPage = true });

        await page.GetByRole(AriaRole.Link, new() { Name = "审计日志" }).ClickAsync();
        await page.GetByRole(AriaRole.Cell, new() { Name = "account.create" }).First.WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "audit.png"), FullPage = true });
    }

    [Fact]
    public async Task DistrictAdmin_WeakPassword_ShowsTheFieldError()
    {
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin", PlatformFactory.DemoPassword("admin"));
        await page.GetByRole(AriaRole.Link, new() { Name = "账号管理" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "账号管理" }).WaitForAsync();
        await page.GetByLabel("用户名").FillAsync("e2e.weak");
        await page.GetByLabel("姓名").FillAsync("弱密码");
        await page.GetByLabel("所属区域").FillAsync("众联");
        await page.GetByText("众联村 (村社").ClickAsync();
        await page.GetByLabel("初始密码").FillAsync("weakpass");
        await page.GetByRole(AriaRole.Button, new() { Name = "创建" }).ClickAsync();
        await page.GetByText("密码至少 8 位").WaitForAsync();
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
