using CivicGrid.E2E.Pages;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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
    public async Task DistrictAdmin_DisablesAndEnablesAnAccount_EachWriteAuditedAsTheAdminFromTheBrowser()
    {
        // An account of this test's own, made directly in the register of accounts.
        var user = await browser.Factory.WithScopeAsync(async sp =>
        {
            var village = await sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking()
                .FirstAsync(r => r.Name == "众联村" && r.Level == RegionLevel.Village);
            var u = new StaffUser
            {
                UserName = "e2e.toggle", DisplayName = "停用测试员", Role = Roles.VillageCadre, RegionId = village.Id,
                RegionPath = village.RegionPath, RegionLevel = village.Level, CreatedAt = DateTimeOffset.UtcNow, LockoutEnabled = true,
            };
            Assert.True((await sp.GetRequiredService<UserManager<StaffUser>>().CreateAsync(u, "Toggle@2026x")).Succeeded);
            return u;
        });
        var admin = await browser.Factory.WithScopeAsync(async sp => (await sp.GetRequiredService<UserManager<StaffUser>>().FindByNameAsync("admin"))!);

        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("admin", PlatformFactory.DemoPassword("admin"));
        await page.GetByRole(AriaRole.Link, new() { Name = "账号管理" }).ClickAsync();
        await LoginPage.WaitForCircuitAsync(page);
        var row = page.GetByRole(AriaRole.Row).Filter(new() { HasText = "停用测试员" });
        await row.GetByRole(AriaRole.Button, new() { Name = "停用" }).ClickAsync();
        await row.GetByText("已停用").WaitForAsync();
        // The next write on the same page takes a context of its own and sees the account as it now is.
        await row.GetByRole(AriaRole.Button, new() { Name = "启用" }).ClickAsync();
        await row.GetByText("正常").WaitForAsync();

        var lines = await browser.Factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries.AsNoTracking()
            .Where(e => e.Target == $"user:{user.Id}" && (e.Action == "account.disable" || e.Action == "account.enable"))
            .OrderBy(e => e.Id).ToListAsync());
        Assert.Equal(["account.disable", "account.enable"], lines.Select(l => l.Action));
        Assert.All(lines, l => Assert.Equal((admin.Id, "admin", Roles.DistrictAdmin, admin.RegionPath, "127.0.0.1"),
            (l.UserId, l.UserName, l.Role, l.RegionPath, l.ClientAddress)));
        Assert.False(await browser.Factory.WithScopeAsync(async sp =>
            (await sp.GetRequiredService<UserManager<StaffUser>>().FindByIdAsync(user.Id))!.Disabled));
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
