using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Features.Simulate;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.AntiFraud.Tests.Features;

public class SimulateCommandTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Simulate_PostToPlatform_PrintsPrecisionRecallPerTypeAndStoresAlerts()
    {
        var output = new StringWriter();
        var handler = new CookieContainerHandler { InnerHandler = factory.Server.CreateHandler() };
        var rc = await SimulateCommand.RunAsync(
            ["fraud", "--people", "300", "--hours", "12", "--rate", "2", "--scenarios", "2", "--post", "http://localhost/", "--user", "admin", "--password", "District@2021", "--eps", "100000"],
            output, handler, factory.Time);
        var text = output.ToString();
        Assert.True(rc == 0, text);
        foreach (var type in FraudTypes.All) Assert.Contains(type, text);
        Assert.Contains("precision", text);
        Assert.Contains("median_latency", text);
        Assert.Matches(@"posted [\d,]+ events to http://localhost/ in [\d.]+ s: [\d,]+ accepted, 0 duplicates, 0 rejected", text);
        using var timeout = new CancellationTokenSource(10_000);
        while (await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Alerts.CountAsync()) == 0)
        {
            await Task.Delay(20, timeout.Token);
        }
        // In the demo district the simulated people are its residents: the alerts name registered people and go to the
        // town's police station, not to the district as "not registered here".
        Assert.Contains("residents of the demo district", text);
        var alerts = await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Alerts.AsNoTracking().ToListAsync());
        Assert.All(alerts, a => Assert.NotNull(a.ResidentId));
        Assert.Contains(alerts, a => a.StationName.Contains("河上", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DemoSubjects_OnlyDistrictAdmins_CountChecked()
    {
        var admin = await factory.SignInAsync("admin");
        var subjects = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<List<string>>(admin, "/api/v1/antifraud/demo-subjects?count=5");
        Assert.Equal(5, subjects!.Count);
        Assert.Equal(5, subjects.Distinct().Count());
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/antifraud/demo-subjects?count=0")).StatusCode);
        var police = await factory.SignInAsync("police");
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, (await police.GetAsync("/api/v1/antifraud/demo-subjects")).StatusCode);
    }

    [Fact]
    public async Task Simulate_BadNumber_Returns2()
    {
        Assert.Equal(2, await SimulateCommand.RunAsync(["fraud", "--people", "many"], new StringWriter()));
        Assert.Equal(2, await SimulateCommand.RunAsync(["weather"], new StringWriter()));
    }
}
