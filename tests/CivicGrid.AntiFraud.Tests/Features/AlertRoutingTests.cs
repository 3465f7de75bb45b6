using System.Net;
using System.Net.Http.Json;
using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Features.Alerts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Regions;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.AntiFraud.Tests.Features;

/// <summary>Alerts go to the station of the town where the resident lives; an officer sees only their town's alerts.</summary>
public class AlertRoutingTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Ingest_ResidentOfHeshang_AlertRoutedToHeshangStationWithEvidenceInOrder()
    {
        var person = AlertBed.ResidentOfHeshang(factory);
        var admin = await factory.SignInAsync("admin");
        var response = await AlertBed.PostAsync(admin, AlertBed.PoliceScenario(person.Subject, factory.Time.GetUtcNow(), "route-1"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var alerts = await AlertBed.WaitForAlertsAsync(factory, person.Subject, 2);
        var town = AlertBed.RegionId(factory, "河上镇", RegionLevel.Town);
        Assert.All(alerts, a =>
        {
            Assert.Equal(town, a.StationRegionId);
            Assert.Equal("河上镇", a.StationName);
            Assert.Equal(person.RegionPath, a.RegionPath);
            Assert.Equal(person.ResidentId, a.ResidentId);
        });
        var visit = alerts.Single(a => a.RuleId == "police.call-no-verify-transfer");
        Assert.Equal("visit", visit.Response);
        var police = await factory.SignInAsync("police");
        var detail = await police.GetFromJsonAsync<AlertDetail>($"/api/v1/antifraud/alerts/{visit.Id}");
        Assert.Equal(["call", "transfer_out"], detail!.Evidence.Select(e => e.Kind).ToArray());
        Assert.Equal(["route-1-call", "route-1-pay"], detail.Evidence.Select(e => e.Id).ToArray());
        // Stored with an audit line by the system.
        var audited = await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Set<AuditEntry>()
            .AnyAsync(e => e.Action == "antifraud.alert.raise" && e.Target == $"alert:{visit.Id}"));
        Assert.True(audited);
    }

    [Fact]
    public async Task List_PoliceOfHeshang_SeesOnlyHeshangAlerts_AdminSeesAll()
    {
        var mine = AlertBed.ResidentOfHeshang(factory, skip: 1);
        var foreign = AlertBed.ResidentOfJingjiang(factory, "jingjiang-resident-key-01");
        var stranger = "unregistered-subject-key-1";
        var admin = await factory.SignInAsync("admin");
        var now = factory.Time.GetUtcNow();
        await AlertBed.PostAsync(admin, [.. AlertBed.PoliceScenario(mine.Subject, now, "own"), .. AlertBed.PoliceScenario(foreign.Subject, now, "foreign"),
            .. AlertBed.PoliceScenario(stranger, now, "stranger")]);
        var foreignAlerts = await AlertBed.WaitForAlertsAsync(factory, foreign.Subject, 2);
        var strangerAlerts = await AlertBed.WaitForAlertsAsync(factory, stranger, 2);
        await AlertBed.WaitForAlertsAsync(factory, mine.Subject, 2);
        Assert.All(foreignAlerts, a => Assert.Equal("靖江街道", a.StationName));
        // Nobody in the register: the default station, the district when none is configured.
        Assert.All(strangerAlerts, a => Assert.Equal("萧山区", a.StationName));

        var police = await factory.SignInAsync("police");
        var town = AlertBed.RegionId(factory, "河上镇", RegionLevel.Town);
        var seen = await AlertBed.ListAsync(police, town);
        Assert.Contains(seen.Items, a => a.Subject == mine.Subject);
        Assert.DoesNotContain(seen.Items, a => a.Subject == foreign.Subject || a.Subject == stranger);
        // Highest risk first.
        Assert.Equal(seen.Items.OrderByDescending(a => a.Open).ThenByDescending(a => a.Score).Select(a => a.Id), seen.Items.Select(a => a.Id));

        var jingjiang = AlertBed.RegionId(factory, "靖江街道", RegionLevel.Town);
        Assert.Equal(HttpStatusCode.NotFound, (await police.GetAsync($"/api/v1/antifraud/regions/{jingjiang}/alerts")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await police.GetAsync($"/api/v1/antifraud/regions/{jingjiang}/figures")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await police.GetAsync($"/api/v1/antifraud/alerts/{foreignAlerts[0].Id}")).StatusCode);
        var dissuade = await police.PostAsJsonAsync($"/api/v1/antifraud/alerts/{foreignAlerts[0].Id}/dissuasions", new { method = "visit", outcome = "dissuaded", amountProtected = 1 });
        Assert.Equal(HttpStatusCode.NotFound, dissuade.StatusCode);

        var district = AlertBed.RegionId(factory, "萧山区", RegionLevel.District);
        var all = await AlertBed.ListAsync(admin, district);
        Assert.Contains(all.Items, a => a.Subject == foreign.Subject);
        Assert.Contains(all.Items, a => a.Subject == stranger);
    }

    [Theory]
    [InlineData("town")]
    [InlineData("cadre")]
    [InlineData("grid")]
    [InlineData("mediator")]
    public async Task AlertEndpoints_OtherRoles_AreRefused(string user)
    {
        var client = await factory.SignInAsync(user);
        var town = AlertBed.RegionId(factory, "河上镇", RegionLevel.Town);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/api/v1/antifraud/regions/{town}/alerts")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync($"/api/v1/antifraud/regions/{town}/figures")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/antifraud/alerts/1")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await AlertBed.PostAsync(client, AlertBed.PoliceScenario("x-subject-key-000001", factory.Time.GetUtcNow(), user))).StatusCode);
    }

    [Fact]
    public async Task Ingest_SameScenarioAgainWithinCooldown_NoSecondAlert()
    {
        var person = AlertBed.ResidentOfHeshang(factory, skip: 2);
        var admin = await factory.SignInAsync("admin");
        await AlertBed.PostAsync(admin, AlertBed.PoliceScenario(person.Subject, factory.Time.GetUtcNow(), "dedup-a"));
        await AlertBed.WaitForAlertsAsync(factory, person.Subject, 2);
        // Same pattern, new event ids, minutes later: the engine counts the rule once per cooldown; the store agrees.
        var again = await AlertBed.PostAsync(admin, AlertBed.PoliceScenario(person.Subject, factory.Time.GetUtcNow() + TimeSpan.FromMinutes(2), "dedup-b"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        await Task.Delay(500);
        Assert.Equal(2, (await AlertBed.WaitForAlertsAsync(factory, person.Subject, 2)).Count);
    }
}
