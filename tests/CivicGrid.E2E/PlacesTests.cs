using CivicGrid.E2E.Pages;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Data;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

[Collection(BrowserTests.Name)]
public class PlacesTests(BrowserFixture browser)
{
    private string Shot(string name) => Path.Combine(BrowserFixture.ScreenshotDir, name);

    [Fact]
    public async Task VillageCadre_BrowsesToGridOpensAddressAndPrintsLabels()
    {
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("cadre", PlatformFactory.DemoPassword("cadre"));
        await page.GetByRole(AriaRole.Link, new() { Name = "辖区与网格" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "众联村" }).WaitForAsync();
        await page.Locator(".map svg polygon").First.WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Shot("village.png"), FullPage = true });

        // The sub-region table lists the grids; open the first.
        await page.GetByRole(AriaRole.Link, new() { Name = "众联村第1网格" }).First.ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "众联村第1网格" }).WaitForAsync();
        await page.GetByText("网格员:").WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Shot("grid.png"), FullPage = true });

        // Open the first address of the grid.
        var firstAddress = page.Locator("table a[href^='addresses/']").First;
        var addressText = (await firstAddress.InnerTextAsync()).Trim();
        await firstAddress.ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = addressText }).WaitForAsync();
        await page.GetByText("智慧门牌").WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Shot("address.png"), FullPage = true });

        // The label sheet of the grid: a static page with one QR label per address, ready to print.
        var gridLink = page.Locator("a[href^='regions/']").Last;
        await gridLink.ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "众联村第1网格" }).WaitForAsync();
        var sheetTask = page.Context.WaitForPageAsync();
        await page.GetByRole(AriaRole.Link, new() { Name = "打印门牌标签" }).ClickAsync();
        var sheet = await sheetTask;
        await sheet.GetByRole(AriaRole.Button, new() { Name = "打印" }).WaitForAsync();
        var labels = await sheet.Locator(".label").CountAsync();
        Assert.True(labels >= 10, $"only {labels} labels");
        await sheet.EmulateMediaAsync(new() { Media = Media.Print });
        Assert.False(await sheet.GetByRole(AriaRole.Button, new() { Name = "打印" }).IsVisibleAsync());
        await sheet.ScreenshotAsync(new() { Path = Shot("labels-print.png") });
        var pdf = await sheet.PdfAsync(new() { Format = "A4" });
        Assert.True(pdf.Length > 10_000);
    }

    [Fact]
    public async Task VillageCadre_DoubleClicksConfirmRotate_DoorplateRotatedOnce_AuditedAsTheCadreFromTheBrowser()
    {
        // The newest address of the cadre's village: no other browser test touches it.
        var (cadre, address) = await browser.Factory.WithScopeAsync(async sp =>
        {
            var user = (await sp.GetRequiredService<UserManager<StaffUser>>().FindByNameAsync("cadre"))!;
            var a = await sp.GetRequiredService<PlacesDbContext>().Addresses.AsNoTracking()
                .Where(x => x.RegionPath.StartsWith(user.RegionPath)).OrderByDescending(x => x.Id).FirstAsync();
            return (user, a);
        });
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("cadre", PlatformFactory.DemoPassword("cadre"));
        await page.GotoAsync($"/addresses/{address.Id}");
        await LoginPage.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "更换门牌码" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "确认更换" }).DblClickAsync();
        // The confirmation closes once the rotation is done.
        await page.GetByRole(AriaRole.Button, new() { Name = "更换门牌码" }).WaitForAsync();

        var (now, retired, lines) = await browser.Factory.WithScopeAsync(async sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var token = await places.Addresses.AsNoTracking().Where(a => a.Id == address.Id).Select(a => a.DoorplateToken).FirstAsync();
            var old = await places.RetiredDoorplates.AsNoTracking().Where(r => r.AddressId == address.Id).Select(r => r.Token).ToListAsync();
            var audit = await sp.GetRequiredService<KernelDbContext>().AuditEntries.AsNoTracking()
                .Where(e => e.Action == "places.doorplate.rotate" && e.Target == $"address:{address.Id}").ToListAsync();
            return (token, old, audit);
        });
        Assert.NotEqual(address.DoorplateToken, now);
        Assert.Equal([address.DoorplateToken], retired);
        // The new code is what the page shows.
        Assert.Contains(now, await page.GetByRole(AriaRole.Link, new() { Name = "打开门牌页" }).GetAttributeAsync("href") ?? "");
        // Written from the circuit: the cadre, its role and region, and the browser's address captured when the circuit began.
        var line = Assert.Single(lines);
        Assert.Equal((cadre.Id, "cadre", Roles.VillageCadre, cadre.RegionPath, "127.0.0.1"),
            (line.UserId, line.UserName, line.Role, line.RegionPath, line.ClientAddress));
    }

    [Fact]
    public async Task VillageCadre_ImportsABadGridFile_TheVillagePageSaysWhyAndImportsNothing()
    {
        var (village, grids) = await browser.Factory.WithScopeAsync(async sp =>
        {
            var regions = sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking();
            var v = await regions.FirstAsync(r => r.Name == "众联村" && r.Level == Kernel.Regions.RegionLevel.Village);
            return (v, await regions.CountAsync(r => r.ParentId == v.Id));
        });
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("cadre", PlatformFactory.DemoPassword("cadre"));
        await page.GotoAsync($"/regions/{village.Id}");
        await LoginPage.WaitForCircuitAsync(page);
        await page.GetByText("导入网格（GeoJSON）").WaitForAsync();
        await page.Locator("input[type=file]").SetInputFilesAsync(new FilePayload
        {
            Name = "grids.geojson", MimeType = "application/geo+json", Buffer = "{ not geojson"u8.ToArray(),
        });
        await page.GetByText("不是有效的 GeoJSON").WaitForAsync();
        Assert.Equal(grids, await browser.Factory.WithScopeAsync(sp =>
            sp.GetRequiredService<PlacesDbContext>().Regions.CountAsync(r => r.ParentId == village.Id)));
    }

    [Fact]
    public async Task Doorplate_ScannedOnAPhone_ShowsTheAddressInChinese()
    {
        var (token, street) = await browser.Factory.WithScopeAsync(async sp =>
        {
            var a = await sp.GetRequiredService<PlacesDbContext>().Addresses.AsNoTracking().OrderBy(x => x.Id).FirstAsync();
            return (a.DoorplateToken, a.Street);
        });
        var page = await browser.NewPageAsync(390, 844);
        var response = await page.GotoAsync($"/d/{token}");
        Assert.Equal(200, response!.Status);
        await page.GetByRole(AriaRole.Heading).Filter(new() { HasText = street }).WaitForAsync();
        Assert.Contains("所属网格", await page.ContentAsync());
        Assert.Contains("网格员", await page.ContentAsync());
        var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the page is {width}px wide on a 390px phone");
        await page.ScreenshotAsync(new() { Path = Shot("doorplate-phone.png"), FullPage = true });
    }

    [Fact]
    public async Task Doorplate_UnknownToken_Says404InChinese()
    {
        var page = await browser.NewPageAsync(390, 844);
        var response = await page.GotoAsync("/d/AAAAAAAAAAAAAAAAAAAA");
        Assert.Equal(404, response!.Status);
        await page.GetByRole(AriaRole.Heading, new() { Name = "未找到门牌" }).WaitForAsync();
    }
}
