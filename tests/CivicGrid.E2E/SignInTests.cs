using CivicGrid.E2E.Pages;
using CivicGrid.Testing;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

[Collection(BrowserTests.Name)]
public class SignInTests(BrowserFixture browser)
{
    [Fact]
    public async Task SignIn_VillageCadre_SeesTheirVillageOnTheHomePage()
    {
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("cadre", PlatformFactory.DemoPassword("cadre"));
        await page.GetByRole(AriaRole.Heading, new() { Name = "我的辖区: 众联村" }).WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "home-cadre.png"), FullPage = true });
    }

    [Fact]
    public async Task SignIn_WrongPassword_ShowsBilingualErrorAndStaysOnLogin()
    {
        var page = await browser.NewPageAsync();
        await page.GotoAsync("/login");
        await page.GetByLabel("用户名").FillAsync("cadre");
        await page.GetByLabel("密码").FillAsync("wrong-password");
        await page.GetByRole(AriaRole.Button, new() { Name = "登录" }).ClickAsync();
        await page.GetByRole(AriaRole.Alert).WaitForAsync();
        Assert.Contains("用户名或密码错误", await page.GetByRole(AriaRole.Alert).InnerTextAsync());
        Assert.Contains("/login", page.Url);
    }
}
