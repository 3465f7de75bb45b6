using System.Text.RegularExpressions;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

[Collection(BrowserTests.Name)]
public partial class LandlordTests(BrowserFixture browser)
{
    private string Shot(string name) => Path.Combine(BrowserFixture.ScreenshotDir, name);

    [Fact]
    public async Task Tenant_DeclaresOnAPhone_LandlordSignsInWithCodeAndConfirms()
    {
        var address = await browser.Factory.WithScopeAsync(async sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var grid = await places.Regions.AsNoTracking().FirstAsync(r => r.Name == "众联村第2网格");
            return await places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderByDescending(a => a.Id).FirstAsync();
        });
        var tenantId = CitizenId.Create("511521", new DateOnly(1999, 9, 9), 555);

        // The tenant scans the doorplate and declares.
        var tenant = await browser.NewPageAsync(390, 844);
        await tenant.GotoAsync($"/d/{address.DoorplateToken}/declare");
        await tenant.GetByLabel("姓名").FillAsync("刘租客");
        await tenant.GetByLabel("身份证号").FillAsync(tenantId);
        await tenant.GetByLabel("入住日期").FillAsync("2026-11-25");
        await tenant.GetByLabel("与户主关系").SelectOptionAsync(new SelectOptionValue { Label = "租客" });
        await tenant.GetByRole(AriaRole.Button, new() { Name = "提交申报" }).ClickAsync();
        await tenant.GetByRole(AriaRole.Heading, new() { Name = "申报已提交" }).WaitForAsync();

        // The landlord scans the same doorplate, signs in with a code sent to their phone and registers.
        var landlord = await browser.NewPageAsync(390, 844);
        await landlord.GotoAsync($"/d/{address.DoorplateToken}");
        await landlord.GetByRole(AriaRole.Link, new() { Name = "房东登记出租房" }).ClickAsync();
        await landlord.GetByLabel("手机号").FillAsync("13588887777");
        await landlord.GetByRole(AriaRole.Button, new() { Name = "获取验证码" }).ClickAsync();
        await landlord.GetByLabel("验证码").WaitForAsync();
        var code = browser.Factory.LastCode("13588887777");
        await landlord.GetByLabel("验证码").FillAsync(code);
        await landlord.GetByLabel("姓名 / 企业名称").FillAsync("黄房东");
        await landlord.GetByLabel("身份证号（个人）").FillAsync(CitizenId.Create("330109", new DateOnly(1970, 2, 2), 123));
        await landlord.ScreenshotAsync(new() { Path = Shot("landlord-register-phone.png"), FullPage = true });
        await landlord.GetByRole(AriaRole.Button, new() { Name = "登录" }).ClickAsync();
        await landlord.GetByRole(AriaRole.Heading, new() { Name = "我的出租房" }).WaitForAsync();

        // The doorplate code came along: register the rental, then the tenant's declaration shows up to confirm.
        Assert.Equal(address.DoorplateToken, await landlord.GetByLabel("门牌码（扫描出租房门牌二维码）").InputValueAsync());
        await landlord.GetByRole(AriaRole.Button, new() { Name = "登记出租房" }).ClickAsync();
        // A doorplate code proves nothing: the claim waits for the village, and the declaration stays hidden.
        await landlord.GetByRole(AriaRole.Status).Filter(new() { HasText = "待网格员或村（社区）干部核实" }).WaitForAsync();
        Assert.Equal(0, await landlord.Locator(".declaration").CountAsync());
        await landlord.ScreenshotAsync(new() { Path = Shot("landlord-claim-pending-phone.png"), FullPage = true });

        // The village cadre has seen the ownership document and verifies the claim on the phone.
        var cadre = await browser.NewPageAsync(390, 844);
        await new Pages.LoginPage(cadre).SignInAsync("cadre", CivicGrid.Testing.PlatformFactory.DemoPassword("cadre"));
        await cadre.GotoAsync("/rentals/claims");
        await cadre.GetByRole(AriaRole.Heading, new() { Name = "房东认领核实" }).WaitForAsync();
        await Pages.LoginPage.WaitForCircuitAsync(cadre);
        var claim = cadre.Locator(".claim").Filter(new() { HasText = "135****7777" });
        await claim.GetByRole(AriaRole.Button, new() { Name = "核实通过" }).ClickAsync();
        await claim.GetByRole(AriaRole.Alert).Filter(new() { HasText = "核实依据" }).WaitForAsync();
        await claim.GetByRole(AriaRole.Radio, new() { Name = "产权证明材料" }).CheckAsync();
        await cadre.ScreenshotAsync(new() { Path = Shot("claims-phone.png"), FullPage = true });
        await claim.GetByRole(AriaRole.Button, new() { Name = "核实通过" }).ClickAsync();
        await claim.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        await landlord.GotoAsync("/landlord");
        var card = landlord.Locator(".declaration").Filter(new() { HasText = "刘租客" });
        await card.WaitForAsync();
        Assert.Contains(Mask.IdNumber(tenantId), await card.InnerTextAsync());
        await landlord.ScreenshotAsync(new() { Path = Shot("landlord-home-phone.png"), FullPage = true });
        await card.GetByRole(AriaRole.Button, new() { Name = "确认" }).ClickAsync();
        await landlord.GetByRole(AriaRole.Status).Filter(new() { HasText = "已确认" }).WaitForAsync();
        Assert.Equal(0, await landlord.Locator(".declaration").Filter(new() { HasText = "刘租客" }).CountAsync());

        var resident = await browser.Factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking()
            .FirstOrDefaultAsync(r => r.IdMasked == Mask.IdNumber(tenantId) && r.AddressId == address.Id && r.Until == null));
        Assert.NotNull(resident);
        Assert.True(resident.Verified);
    }
}
