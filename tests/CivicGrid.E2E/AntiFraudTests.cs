using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CivicGrid.AntiFraud;
using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Features.Simulate;
using CivicGrid.AntiFraud.Simulation;
using CivicGrid.E2E.Pages;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Streams;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace CivicGrid.E2E;

[Collection(BrowserTests.Name)]
public class AntiFraudTests(BrowserFixture browser)
{
    [Fact]
    public async Task PoliceOfficer_SimulatedScenarioPostedOverHttp_AppearsLiveOnTheBoardAndIsDissuaded()
    {
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("police", PlatformFactory.DemoPassword("police"));
        var board = new AntiFraudBoardPage(page);
        await board.OpenFromMenuAsync();

        // A 冒充公检法 scenario from the simulator, happening to a resident of 河上镇 now. The board is already open:
        // the alert must arrive without a reload.
        var subject = await browser.Factory.WithScopeAsync(async sp =>
        {
            var town = await sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().FirstAsync(r => r.Name == "河上镇" && r.Level == RegionLevel.Town);
            return await sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking().InScope(new RegionScope(town.Id, town.RegionPath, town.Level))
                .OrderBy(r => r.Id).Select(r => r.IdIndex).FirstAsync();
        });
        var run = Simulator.Generate(new SimulationOptions { People = 50, Hours = 12, ScenariosPerType = 1, Seed = 7 });
        var scenario = run.Scenarios.Single(s => s.Type == FraudTypes.Police);
        var shift = browser.Factory.Time.GetUtcNow() - scenario.End;
        var events = run.Events.Where(e => e.Subject == scenario.Subject && e.Time >= scenario.Start && e.Time <= scenario.End)
            .Select(e => new StreamEvent("e2e-" + e.Id, subject, e.Kind, e.Time + shift, e.Attributes.ToArray())).ToList();

        using var http = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer() }) { BaseAddress = new Uri(browser.BaseUrl) };
        (await http.PostAsJsonAsync("/api/v1/account/login", new { userName = "admin", password = PlatformFactory.DemoPassword("admin") })).EnsureSuccessStatusCode();
        using var body = new ByteArrayContent(SimulateCommand.Ndjson(events));
        body.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        var posted = await http.PostAsync("/api/v1/antifraud/events", body);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        var row = board.Row("冒充公检法").Filter(new() { HasText = "上门" });
        await row.First.WaitForAsync(new() { Timeout = 15_000 });
        // Routed by the register: the resident is known here, and shown masked (张** 138****5678).
        Assert.Matches(@"\p{IsCJKUnifiedIdeographs}\*+ ", await row.First.InnerTextAsync());
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "antifraud-board.png"), FullPage = true });

        await board.HandleAsync("上门");
        // The evidence of the visit-level rule, in order: the call from abroad, then the money leaving.
        var evidence = await board.EvidenceItems.AllInnerTextsAsync();
        Assert.Equal(2, evidence.Count);
        Assert.Contains("通话", evidence[0]);
        Assert.Contains("转出", evidence[1]);
        Assert.Contains("境外", await page.ContentAsync()); // the rule's description
        // The identity is masked until the officer gives a reason; the unmask is audited.
        var idNumber = page.GetByTestId("identity-id");
        Assert.Contains("********", await idNumber.InnerTextAsync());
        await page.GetByLabel("查看理由（将记入审计）").FillAsync("上门劝阻前核实身份");
        await page.GetByRole(AriaRole.Button, new() { Name = "查看完整身份" }).ClickAsync();
        await page.GetByText("本次查看已记入审计").WaitForAsync();
        Assert.Matches(@"^\d{17}[\dX]$", (await idNumber.InnerTextAsync()).Trim());
        await board.RecordAsync("上门劝阻", "劝阻成功", 50_000);
        await row.First.Filter(new() { HasText = "劝阻成功" }).WaitForAsync();
        await page.GetByText("50,000").First.WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "antifraud-dissuaded.png"), FullPage = true });

        var stored = await browser.Factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Dissuasions.AsNoTracking()
            .SingleAsync(d => d.Outcome == "dissuaded" && d.AmountProtected == 50_000));
        Assert.Equal("visit", stored.Method);
        Assert.Equal("police", stored.OfficerName);
    }

    [Fact]
    public async Task TownOfficer_HasNoAlertBoard()
    {
        var page = await browser.NewPageAsync();
        await new LoginPage(page).SignInAsync("town", PlatformFactory.DemoPassword("town"));
        Assert.Equal(0, await page.GetByRole(AriaRole.Link, new() { Name = "反诈预警" }).CountAsync());
        await page.GotoAsync("/antifraud");
        Assert.Equal(0, await page.GetByRole(AriaRole.Heading, new() { Name = "反诈预警", Exact = true }).CountAsync());
    }

    [Fact]
    public async Task DistrictAdmin_OnAPhone_SeesTheRunningRules_ABadWatchlistIsRefusedByRow_AndReloads()
    {
        var page = await browser.NewPageAsync(390, 844);
        await new LoginPage(page).SignInAsync("admin", PlatformFactory.DemoPassword("admin"));
        await page.GotoAsync("/antifraud/rules");
        await LoginPage.WaitForCircuitAsync(page);
        await page.GetByRole(AriaRole.Heading, new() { Name = "预警规则与名单" }).WaitForAsync();
        Assert.True(await page.Locator(".rule-row").CountAsync() >= 20, "the shipped pack's rules are listed");
        var flagged = page.Locator(".watchlist-row[data-list=flagged_numbers]");
        var count = await flagged.Locator(".watchlist-count").InnerTextAsync();

        // One row too long: the whole file is refused, the row is named, the list keeps its values.
        var csv = System.Text.Encoding.UTF8.GetBytes("号码\n02188880001\n" + new string('9', 300) + "\n");
        await flagged.Locator("input[type=file]").SetInputFilesAsync(new FilePayload { Name = "flagged.csv", MimeType = "text/csv", Buffer = csv });
        await page.Locator(".rules-errors").GetByText("第 3 行").WaitForAsync();
        Assert.Equal(count, await flagged.Locator(".watchlist-count").InnerTextAsync());

        await page.GetByRole(AriaRole.Button, new() { Name = "重新加载规则与名单" }).ClickAsync();
        await page.Locator(".rules-message").GetByText("已加载").WaitForAsync();
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ScreenshotDir, "antifraud-rules-phone.png"), FullPage = true });
    }
}
