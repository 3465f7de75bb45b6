using System.Net;
using System.Net.Http.Json;
using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Features.Alerts;
using CivicGrid.AntiFraud.Features.Figures;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Regions;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.AntiFraud.Tests.Features;

public class DissuasionTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Dissuade_ThenFigures_CountPeopleAmountTimeToContactAndFalseAlarms()
    {
        var victim = AlertBed.ResidentOfHeshang(factory, skip: 10);
        var mistaken = AlertBed.ResidentOfHeshang(factory, skip: 11);
        var admin = await factory.SignInAsync("admin");
        var now = factory.Time.GetUtcNow();
        await AlertBed.PostAsync(admin, [.. AlertBed.PoliceScenario(victim.Subject, now, "fig-v"), .. AlertBed.PoliceScenario(mistaken.Subject, now, "fig-m")]);
        var victimAlert = (await AlertBed.WaitForAlertsAsync(factory, victim.Subject, 2)).Single(a => a.Response == "visit");
        var mistakenAlert = (await AlertBed.WaitForAlertsAsync(factory, mistaken.Subject, 2)).Single(a => a.Response == "visit");

        var police = await factory.SignInAsync("police");
        factory.Time.Advance(TimeSpan.FromMinutes(2));
        var unreachable = await police.PostAsJsonAsync($"/api/v1/antifraud/alerts/{victimAlert.Id}/dissuasions", new { method = "call_96110", outcome = "unreachable" });
        Assert.Equal(HttpStatusCode.OK, unreachable.StatusCode);
        factory.Time.Advance(TimeSpan.FromMinutes(4));
        var visit = await police.PostAsJsonAsync($"/api/v1/antifraud/alerts/{victimAlert.Id}/dissuasions",
            new { method = "visit", outcome = "dissuaded", amountProtected = 1_250_000, note = "已到家中劝阻" });
        Assert.Equal(HttpStatusCode.OK, visit.StatusCode);
        factory.Time.Advance(TimeSpan.FromMinutes(4));
        var falseAlarm = await police.PostAsJsonAsync($"/api/v1/antifraud/alerts/{mistakenAlert.Id}/dissuasions", new { method = "call_96110", outcome = "false_alarm" });
        Assert.Equal(HttpStatusCode.OK, falseAlarm.StatusCode);

        var detail = await police.GetFromJsonAsync<AlertDetail>($"/api/v1/antifraud/alerts/{victimAlert.Id}");
        Assert.Equal(["unreachable", "dissuaded"], detail!.Dissuasions.Select(d => d.Outcome).ToArray());
        Assert.False(detail.Alert.Open);
        Assert.Equal(1_250_000, detail.Alert.AmountProtected);

        var audit = await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Set<AuditEntry>().AsNoTracking()
            .Where(e => e.Action == "antifraud.dissuasion.record").ToListAsync());
        Assert.Equal(3, audit.Count);
        Assert.All(audit, e => Assert.Equal("police", e.UserName));
        Assert.DoesNotContain(audit, e => e.Details!.Contains("家中"));

        var town = AlertBed.RegionId(factory, "河上镇", RegionLevel.Town);
        var figures = (await police.GetFromJsonAsync<AreaFigures>($"/api/v1/antifraud/regions/{town}/figures"))!;
        Assert.Equal("河上镇", figures.RegionName);
        Assert.Equal(4, figures.Total.Alerts);
        Assert.Equal(1, figures.Total.DissuadedPeople);
        Assert.Equal(1_250_000, figures.Total.AmountProtected);
        // First contact: 6 minutes for the victim (the unanswered call does not count), 10 for the false alarm.
        Assert.Equal(8.0, figures.Total.MedianMinutesToFirstContact);
        var rule = figures.Total.PerRule.Single(r => r.RuleId == "police.call-no-verify-transfer");
        Assert.Equal((2, 2, 1, 0.5), (rule.Alerts, rule.Decided, rule.FalseAlarms, rule.FalseAlarmRate!.Value));
        Assert.Equal("河上镇", Assert.Single(figures.Stations).StationName);

        // The district's figures include the town's.
        var district = AlertBed.RegionId(factory, "萧山区", RegionLevel.District);
        var all = (await admin.GetFromJsonAsync<AreaFigures>($"/api/v1/antifraud/regions/{district}/figures"))!;
        Assert.True(all.Total.AmountProtected >= 1_250_000);
    }

    [Fact]
    public async Task Dissuade_BadInput_Returns400NamingEachFieldAndWritesNothing()
    {
        // Someone the register does not know: the alert goes to the district, and 河上镇's figures stay as the other test expects.
        const string subject = "bad-input-subject-key-01";
        var admin = await factory.SignInAsync("admin");
        await AlertBed.PostAsync(admin, AlertBed.PoliceScenario(subject, factory.Time.GetUtcNow(), "bad-input"));
        var alert = (await AlertBed.WaitForAlertsAsync(factory, subject, 2))[0];
        var police = admin;
        var response = await police.PostAsJsonAsync($"/api/v1/antifraud/alerts/{alert.Id}/dissuasions", new { method = "telepathy", outcome = "maybe", amountProtected = -5 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"method\"", problem);
        Assert.Contains("\"outcome\"", problem);
        Assert.Contains("\"amountProtected\"", problem);
        Assert.Contains("劝阻方式", problem);
        Assert.Contains("method must be one of", problem);
        var count = await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Dissuasions.CountAsync(d => d.AlertId == alert.Id));
        Assert.Equal(0, count);

        var malformed = await police.PostAsync($"/api/v1/antifraud/alerts/{alert.Id}/dissuasions", new StringContent("{\"amountProtected\":\"lots\"}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
    }
}
