using System.Text.RegularExpressions;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

[Collection(BrowserTests.Name)]
public partial class TenancyTests(BrowserFixture browser)
{
    [Fact]
    public async Task Landlord_OnAPhone_ReportsATenantMovingInAndOut()
    {
        var address = await browser.Factory.WithScopeAsync(async sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var grid = await places.Regions.AsNoTracking().FirstAsync(r => r.Name == "众联村第3网格");
            return await places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderByDescending(a => a.Id).FirstAsync();
        });
        var tenantId = CitizenId.Create("511521", new DateOnly(1998, 8, 8), 321);

        var landlord = await browser.NewPageAsync(390, 844);
        await landlord.GotoAsync($"/landlord/login?token={address.DoorplateToken}");
        await landlord.GetByLabel("手机号").FillAsync("13566665555");
        await landlord.GetByRole(AriaRole.Button, new() { Name = "获取验证码" }).ClickAsync();
        await landlord.GetByLabel("验证码").WaitForAsync();
        var code = browser.Factory.LastCode("13566665555");
        await landlord.GetByLabel("验证码").FillAsync(code);
        await landlord.GetByLabel("姓名 / 企业名称").FillAsync("许房东");
        await landlord.GetByLabel("身份证号（个人）").FillAsync(CitizenId.Create("330109", new DateOnly(1971, 3, 3), 125));
        await landlord.GetByRole(AriaRole.Button, new() { Name = "登录" }).ClickAsync();
        await landlord.GetByRole(AriaRole.Heading, new() { Name = "我的出租房" }).WaitForAsync();
        await landlord.GetByRole(AriaRole.Button, new() { Name = "登记出租房" }).ClickAsync();
        await landlord.GetByRole(AriaRole.Status).Filter(new() { HasText = "出租房已登记" }).WaitForAsync();
        // The village verifies the claim (its page is tried in LandlordTests); then the landlord reports tenants.
        await browser.Factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var property = await db.RentalProperties.AsNoTracking().Where(p => p.AddressId == address.Id).OrderByDescending(p => p.Id).FirstAsync();
            var district = await sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().SingleAsync(r => r.Level == CivicGrid.Kernel.Regions.RegionLevel.District);
            var (outcome, _) = await CivicGrid.Population.Features.Landlords.Claims.DecideAsync(db, property.Id, true,
                new CivicGrid.Population.Features.Landlords.ClaimDecision { Evidence = "visit" }, new CivicGrid.Kernel.Regions.RegionScope(district.Id, district.RegionPath, district.Level),
                CivicGrid.Kernel.Audit.Actor.System, DateTime.UtcNow, default);
            Assert.Equal(CivicGrid.Population.Features.Landlords.Claims.Outcome.Done, outcome);
            return true;
        });
        await landlord.GotoAsync("/landlord");

        await landlord.GetByText("登记租客入住").ClickAsync();
        await landlord.GetByLabel("租客姓名").FillAsync("何租客");
        await landlord.GetByLabel("身份证号", new() { Exact = true }).FillAsync(tenantId);
        await landlord.GetByLabel("手机号（选填）").FillAsync("13755554444");
        await landlord.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "landlord-move-in-phone.png"), FullPage = true });
        await landlord.GetByRole(AriaRole.Button, new() { Name = "登记入住" }).ClickAsync();
        await landlord.GetByRole(AriaRole.Status).Filter(new() { HasText = "已登记入住" }).WaitForAsync();
        var card = landlord.Locator(".tenancy").Filter(new() { HasText = "何租客" });
        Assert.Contains(Mask.IdNumber(tenantId), await card.InnerTextAsync());
        await landlord.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "landlord-tenants-phone.png"), FullPage = true });

        await card.GetByRole(AriaRole.Button, new() { Name = "登记退租" }).ClickAsync();
        await landlord.GetByRole(AriaRole.Status).Filter(new() { HasText = "已登记退租" }).WaitForAsync();
        Assert.Equal(0, await landlord.Locator(".tenancy").Filter(new() { HasText = "何租客" }).CountAsync());
        var residence = await browser.Factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking()
            .FirstAsync(r => r.IdMasked == Mask.IdNumber(tenantId) && r.AddressId == address.Id));
        Assert.NotNull(residence.Until);
    }

    [Fact]
    public async Task Cadre_PicksTheLandlordsImport_AndGetsAnErrorReport()
    {
        var page = await browser.NewPageAsync();
        await new Pages.LoginPage(page).SignInAsync("cadre", Testing.PlatformFactory.DemoPassword("cadre"));
        await page.GetByRole(AriaRole.Link, new() { Name = "批量导入" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "批量导入居住人员" }).WaitForAsync();
        await Pages.LoginPage.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Button, new() { Name = "房东", Exact = true }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "批量导入房东" }).WaitForAsync();
        Assert.Equal("api/v1/imports/templates/landlords", await page.GetByRole(AriaRole.Link, new() { Name = "下载模板" }).GetAttributeAsync("href"));
        var csv = "类型,姓名或名称,证件号码,手机号\n个人,错误行,110105194912310021,13800001111\n"u8.ToArray();
        await page.Locator("input[type=file]").SetInputFilesAsync(new FilePayload { Name = "landlords.csv", MimeType = "text/csv", Buffer = csv });
        var report = page.GetByRole(AriaRole.Link).Filter(new() { HasText = "下载错误报告" });
        await report.WaitForAsync(new() { Timeout = 60_000 });
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "imports-landlords.png"), FullPage = true });
        Assert.Contains("房东", await page.Locator("tr.import-job").First.InnerTextAsync());
    }
}
