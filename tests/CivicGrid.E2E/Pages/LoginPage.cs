using Microsoft.Playwright;

namespace CivicGrid.E2E.Pages;

/// <summary>Page object for /login.</summary>
public sealed class LoginPage(IPage page)
{
    public async Task SignInAsync(string userName, string password)
    {
        await page.GotoAsync("/login");
        await page.GetByLabel("用户名").FillAsync(userName);
        await page.GetByLabel("密码").FillAsync(password);
        await page.GetByRole(AriaRole.Button, new() { Name = "登录" }).ClickAsync();
        // Signed in when the staff shell's sign-out button shows.
        await page.GetByRole(AriaRole.Button, new() { Name = "退出" }).WaitForAsync();
        await WaitForCircuitAsync(page);
    }

    /// <summary>Blazor Server pages are interactive once the circuit is up; clicking before that does nothing.</summary>
    public static async Task WaitForCircuitAsync(IPage page) =>
        await page.WaitForFunctionAsync("() => window.Blazor !== undefined && document.documentElement.dataset.circuit === 'up'");
}
