using CivicGrid.E2E.Pages;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

[Collection(BrowserTests.Name)]
public class PopulationTests(BrowserFixture browser)
{
    private string Shot(string name) => Path.Combine(BrowserFixture.ScreenshotDir, name);

    [Fact]
    public async Task Resident_ScansDoorplateAndDeclares_GridWorkerConfirms()
    {
        var address = await browser.Factory.WithScopeAsync(async sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var grid = await places.Regions.AsNoTracking().FirstAsync(r => r.Name == "众联村第1网格");
            return await places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderByDescending(a => a.Id).FirstAsync();
        });
        var id = CitizenId.Create("330109", new DateOnly(1995, 6, 18), 777);

        // On a phone: scan the doorplate, choose "居住申报", fill the form.
        var phone = await browser.NewPageAsync(390, 844);
        await phone.GotoAsync($"/d/{address.DoorplateToken}");
        await phone.GetByRole(AriaRole.Link, new() { Name = "居住申报" }).ClickAsync();
        await phone.GetByLabel("姓名").FillAsync("陈小明");
        await phone.GetByLabel("身份证号").FillAsync(id);
        await phone.GetByLabel("手机号（选填）").FillAsync("13612345678");
        await phone.GetByLabel("入住日期").FillAsync("2026-11-20");
        await phone.GetByLabel("与户主关系").SelectOptionAsync(new SelectOptionValue { Label = "租客" });
        await phone.ScreenshotAsync(new() { Path = Shot("declare-form-phone.png"), FullPage = true });
        await phone.GetByRole(AriaRole.Button, new() { Name = "提交申报" }).ClickAsync();
        await phone.GetByRole(AriaRole.Heading, new() { Name = "申报已提交" }).WaitForAsync();
        var code = await phone.Locator("#lookup-code").InnerTextAsync();
        await phone.ScreenshotAsync(new() { Path = Shot("declare-done-phone.png"), FullPage = true });

        // The grid worker confirms it.
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("grid", PlatformFactory.DemoPassword("grid"));
        await page.GetByRole(AriaRole.Link, new() { Name = "居住申报核实" }).ClickAsync();
        var card = page.Locator(".mud-paper").Filter(new() { HasText = "陈小明" });
        await card.WaitForAsync();
        Assert.Contains(Mask.IdNumber(id), await card.InnerTextAsync());
        await page.ScreenshotAsync(new() { Path = Shot("declarations.png"), FullPage = true });
        await card.GetByRole(AriaRole.Button, new() { Name = "确认" }).ClickAsync();
        await card.WaitForAsync(new() { State = WaitForSelectorState.Detached });

        // The declarant sees it confirmed.
        await phone.GotoAsync($"/declarations/status?code={code}");
        await phone.Locator("#status").GetByText("已确认").WaitForAsync();

        // And the person is in the register, masked.
        await page.GetByRole(AriaRole.Link, new() { Name = "人口查询" }).ClickAsync();
        await page.GetByLabel("身份证号").FillAsync(id);
        await page.GetByRole(AriaRole.Button, new() { Name = "查询" }).ClickAsync();
        await page.GetByRole(AriaRole.Cell, new() { Name = Mask.IdNumber(id) }).WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Shot("residents.png"), FullPage = true });
    }

    [Fact]
    public async Task Cadre_ImportsAFileWithErrors_AndDownloadsTheReport()
    {
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("cadre", PlatformFactory.DemoPassword("cadre"));
        await page.GetByRole(AriaRole.Link, new() { Name = "批量导入" }).ClickAsync();
        await page.GetByRole(AriaRole.Heading, new() { Name = "批量导入居住人员" }).WaitForAsync();
        var csv = "姓名,身份证号,门牌码\n错误行,110105194912310021,AAAAAAAAAAAAAAAAAAAA\n"u8.ToArray();
        await page.Locator("input[type=file]").SetInputFilesAsync(new FilePayload { Name = "errors.csv", MimeType = "text/csv", Buffer = csv });
        var report = page.GetByRole(AriaRole.Link).Filter(new() { HasText = "下载错误报告" });
        await report.WaitForAsync(new() { Timeout = 60_000 });
        await page.ScreenshotAsync(new() { Path = Shot("imports.png"), FullPage = true });
        var download = await page.RunAndWaitForDownloadAsync(() => report.ClickAsync());
        var path = await download.PathAsync();
        var bytes = await File.ReadAllBytesAsync(path!);
        Assert.True(bytes.Length > 1000 && bytes[0] == (byte)'P' && bytes[1] == (byte)'K', "the report is not an xlsx file");
    }
}
