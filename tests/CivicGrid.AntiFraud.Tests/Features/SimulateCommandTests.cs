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
    }

    [Fact]
    public async Task Simulate_BadNumber_Returns2()
    {
        Assert.Equal(2, await SimulateCommand.RunAsync(["fraud", "--people", "many"], new StringWriter()));
        Assert.Equal(2, await SimulateCommand.RunAsync(["weather"], new StringWriter()));
    }
}
