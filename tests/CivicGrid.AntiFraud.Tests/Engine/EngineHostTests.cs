using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Engine;
using CivicGrid.AntiFraud.Tests.Features;
using CivicGrid.Streams;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.AntiFraud.Tests.Engine;

public class EngineHostTests
{
    private sealed class SnapshotFactory(string snapshot) : PlatformFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CivicGrid:AntiFraud:SnapshotPath", snapshot);
        }
    }

    [Fact]
    public async Task Restart_CallBeforeStopTransferAfter_AlertFromTheRestoredSnapshot()
    {
        var snapshot = Path.Combine(Path.GetTempPath(), "civicgrid-tests", Guid.NewGuid().ToString("N"), "antifraud.snap");
        const string subject = "restart-subject-key-001";
        var scenario = AlertBed.PoliceScenario(subject, new DateTimeOffset(2026, 11, 28, 2, 0, 0, TimeSpan.Zero), "restart");
        await using (var before = new SnapshotFactory(snapshot))
        {
            var admin = await before.SignInAsync("admin");
            (await AlertBed.PostAsync(admin, [scenario[0]])).EnsureSuccessStatusCode();
        }
        Assert.True(File.Exists(snapshot), "the platform writes the engine's snapshot when it stops");

        await using (var after = new SnapshotFactory(snapshot))
        {
            var client = await after.SignInAsync("admin");
            (await AlertBed.PostAsync(client, [scenario[1]])).EnsureSuccessStatusCode();
            var alerts = await AlertBed.WaitForAlertsAsync(after, subject, 1);
            Assert.Contains(alerts, a => a.RuleId == "police.call-no-verify-transfer");
        }
        Directory.Delete(Path.GetDirectoryName(snapshot)!, recursive: true);
    }

    [Fact]
    public async Task Store_SameAlertTwiceWithinCooldown_StoredOnce()
    {
        await using var factory = new PlatformFactory();
        _ = factory.Server;
        var writer = factory.Services.GetRequiredService<AlertWriter>();
        var now = factory.Time.GetUtcNow();
        var evidence = AlertBed.PoliceScenario("store-twice-subject-01", now, "twice");
        Alert Raise(TimeSpan later) => new("store-twice-subject-01", "police.call-no-verify-transfer", "冒充公检法", null, ResponseLevel.Visit, 140,
            now + later, now + later, evidence);
        // As after a restart without snapshot: the engine raises the same pattern again 10 minutes later.
        await writer.StoreAsync([Raise(TimeSpan.Zero)], default);
        await writer.StoreAsync([Raise(TimeSpan.FromMinutes(10))], default);
        await writer.StoreAsync([Raise(TimeSpan.FromHours(2))], default);
        var rows = await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Alerts.Where(a => a.Subject == "store-twice-subject-01").CountAsync());
        Assert.Equal(2, rows);
    }
}
