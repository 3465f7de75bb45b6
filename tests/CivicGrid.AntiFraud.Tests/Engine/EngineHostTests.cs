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

    [Fact]
    public async Task Store_OneBatchOfSeveralPeople_EachRoutedToTheirStation_DuplicatesInTheBatchStoredOnce()
    {
        await using var factory = new PlatformFactory();
        _ = factory.Server;
        var writer = factory.Services.GetRequiredService<AlertWriter>();
        var heshang = AlertBed.ResidentOfHeshang(factory, skip: 5);
        var jingjiang = AlertBed.ResidentOfJingjiang(factory, "batch-jingjiang-subject-01");
        const string stranger = "batch-unregistered-subject-01";
        var now = factory.Time.GetUtcNow();
        Alert Raise(string subject, string rule, TimeSpan later) => new(subject, rule, "冒充公检法", null, ResponseLevel.Visit, 140,
            now + later, now + later, AlertBed.PoliceScenario(subject, now, $"batch-{subject}-{rule}-{later.TotalMinutes}"));
        await writer.StoreAsync(
        [
            Raise(heshang.Subject, "police.call-no-verify-transfer", TimeSpan.Zero),
            Raise(jingjiang.Subject, "police.call-no-verify-transfer", TimeSpan.Zero),
            Raise(heshang.Subject, "police.call-no-verify-transfer", TimeSpan.FromMinutes(5)), // same pattern within the cooldown
            Raise(stranger, "police.call-no-verify-transfer", TimeSpan.Zero),
            Raise(heshang.Subject, "police.overseas-long-call", TimeSpan.Zero), // another rule: its own alert
        ], default);

        var rows = await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Alerts.AsNoTracking()
            .Where(a => a.Subject == heshang.Subject || a.Subject == jingjiang.Subject || a.Subject == stranger).ToListAsync());
        Assert.Equal(4, rows.Count);
        Assert.Equal(["police.call-no-verify-transfer", "police.overseas-long-call"], rows.Where(a => a.Subject == heshang.Subject).Select(a => a.RuleId).Order().ToArray());
        Assert.All(rows.Where(a => a.Subject == heshang.Subject), a =>
        {
            Assert.Equal("河上镇", a.StationName);
            Assert.Equal(heshang.ResidentId, a.ResidentId);
            Assert.Equal(heshang.RegionPath, a.RegionPath);
        });
        var j = Assert.Single(rows, a => a.Subject == jingjiang.Subject);
        Assert.Equal(("靖江街道", jingjiang.ResidentId, jingjiang.RegionPath), (j.StationName, j.ResidentId!.Value, j.RegionPath));
        var s = Assert.Single(rows, a => a.Subject == stranger);
        Assert.Equal("萧山区", s.StationName);
        Assert.Null(s.ResidentId);
    }
}
