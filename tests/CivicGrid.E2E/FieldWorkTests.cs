using CivicGrid.E2E.Pages;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Declarations;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

[Collection(BrowserTests.Name)]
public class FieldWorkTests(BrowserFixture browser)
{
    private string Shot(string name) => Path.Combine(BrowserFixture.ScreenshotDir, name);

    [Fact]
    public async Task GridWorker_OnAPhone_RecordsAConfirmedVisit_WhichConfirmsTheDeclaration()
    {
        var declaration = await browser.Factory.WithScopeAsync(async sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var grid = await places.Regions.AsNoTracking().FirstAsync(r => r.Name == "众联村第1网格");
            var address = await places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderByDescending(a => a.Id).Skip(1).FirstAsync();
            var result = await Declarations.SubmitAsync(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<PersonalDataProtector>(), address.Info(),
                new DeclarationForm
                {
                    Name = "走访测试", IdNumber = CitizenId.Create("510722", new DateOnly(1990, 7, 7), 555), MoveInDate = new DateOnly(2026, 11, 2),
                    Relation = Relation.Tenant,
                }, null, browser.Factory.Time.GetUtcNow().UtcDateTime, default);
            return result.Declaration!;
        });

        var phone = await browser.NewPageAsync(390, 844);
        await new LoginPage(phone).SignInAsync("grid", PlatformFactory.DemoPassword("grid"));
        await phone.GotoAsync("/visits");
        await LoginPage.WaitForCircuitAsync(phone);
        var card = phone.Locator(".mud-paper").Filter(new() { HasText = "走访测试" });
        await card.WaitForAsync();
        await card.GetByRole(AriaRole.Button, new() { Name = "登记走访" }).ClickAsync();
        await card.GetByText("核实无误").WaitForAsync();
        // A photo from the phone's camera (the input asks for the rear camera), checked and stored before the visit is saved.
        var input = card.Locator("#visit-photos");
        Assert.Equal("environment", await input.GetAttributeAsync("capture"));
        Assert.Equal("image/*", await input.GetAttributeAsync("accept"));
        await input.SetInputFilesAsync(new FilePayload { Name = "IMG_0042.JPG", MimeType = "image/jpeg", Buffer = TestImages.JpegWithExif(640, 480, 6, 30.18, 120.26) });
        await card.Locator("#visit-photo-list img").WaitForAsync();
        await phone.ScreenshotAsync(new() { Path = Shot("visits-phone.png"), FullPage = true });
        await card.GetByRole(AriaRole.Button, new() { Name = "保存走访" }).ClickAsync();
        await card.WaitForAsync(new() { State = WaitForSelectorState.Detached });
        await phone.GetByText("已登记：核实无误").WaitForAsync();

        var status = await browser.Factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Declarations.AsNoTracking()
            .Where(d => d.Id == declaration.Id).Select(d => d.Status).SingleAsync());
        Assert.Equal(DeclarationStatus.Confirmed, status);
        var photo = await browser.Factory.WithScopeAsync(sp => sp.GetRequiredService<CivicGrid.Kernel.Data.KernelDbContext>().StoredFiles.AsNoTracking()
            .Where(f => f.OwnerModule == "population.visit" && f.UploadedBy == "grid").OrderByDescending(f => f.UploadedAt).FirstAsync());
        Assert.Equal((480, 640), (photo.Width, photo.Height));
        // The box was not ticked: no position kept.
        Assert.Null(photo.Latitude);
    }

    [Fact]
    public async Task Cadre_ExportsTheRegister_AsAMaskedWorkbook()
    {
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("cadre", PlatformFactory.DemoPassword("cadre"));
        await page.GetByRole(AriaRole.Link, new() { Name = "人口查询" }).ClickAsync();
        await page.GetByLabel("姓名").FillAsync("王");
        var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "导出 Excel（脱敏）" }).ClickAsync());
        Assert.EndsWith(".xlsx", download.SuggestedFilename);
        var bytes = await File.ReadAllBytesAsync((await download.PathAsync())!);
        Assert.True(bytes.Length > 1000 && bytes[0] == (byte)'P' && bytes[1] == (byte)'K', "the export is not an xlsx file");
    }
}
