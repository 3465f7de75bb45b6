using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Features.Alerts;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Population.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.AntiFraud.Tests.Features;

/// <summary>Officers see a masked identity on an alert; the full one needs the unmask permission and a reason, and is audited.</summary>
public class UnmaskTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private async Task<(AlertBed.Person Person, FraudAlert Alert)> AlertAboutHeshangResidentAsync(int skip, string tag)
    {
        var person = AlertBed.ResidentOfHeshang(factory, skip);
        var admin = await factory.SignInAsync("admin");
        await AlertBed.PostAsync(admin, AlertBed.PoliceScenario(person.Subject, factory.Time.GetUtcNow(), tag));
        var alert = (await AlertBed.WaitForAlertsAsync(factory, person.Subject, 2)).Single(a => a.Response == "visit");
        return (person, alert);
    }

    private Task<List<AuditEntry>> UnmaskAuditAsync() => factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>()
        .Set<AuditEntry>().AsNoTracking().Where(e => e.Action == "personal_data.unmask").ToListAsync());

    [Fact]
    public async Task GetAlert_RegisteredResident_ShowsMaskedIdentityOnly()
    {
        var (person, alert) = await AlertAboutHeshangResidentAsync(20, "mask-default");
        var police = await factory.SignInAsync("police");

        var response = await police.GetAsync($"/api/v1/antifraud/alerts/{alert.Id}");
        var detail = (await response.Content.ReadFromJsonAsync<AlertDetail>())!;

        var card = detail.Resident!;
        Assert.Equal(person.ResidentId, card.ResidentId);
        Assert.Matches(@"^\w\*+$", card.NameMasked);
        Assert.Matches(@"^\d{6}\*{8}\d{3}[\dX]$", card.IdMasked);
        Assert.Equal(person.RegionPath, card.RegionPath);
        var (name, id) = await factory.WithScopeAsync(async sp =>
        {
            var r = await sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking().SingleAsync(x => x.Id == person.ResidentId);
            return (r.Name, sp.GetRequiredService<PersonalDataProtector>().Decrypt(r.IdNumber));
        });
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(id, body);
        Assert.DoesNotContain($"\"{name}\"", body);
    }

    [Fact]
    public async Task Unmask_WithReason_RevealsAndAuditsActorAndReason()
    {
        var (person, alert) = await AlertAboutHeshangResidentAsync(21, "unmask-ok");
        var police = await factory.SignInAsync("police");

        var response = await police.PostAsJsonAsync($"/api/v1/antifraud/alerts/{alert.Id}/unmask", new { purpose = "antifraud", reason = "上门劝阻前核实身份" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<AlertUnmaskResult>())!;
        Assert.Equal(person.ResidentId, result.ResidentId);
        var index = factory.WithScope(sp => sp.GetRequiredService<PersonalDataProtector>().BlindIndex("id", result.IdNumber));
        Assert.Equal(person.Subject, index);
        var entry = Assert.Single(await UnmaskAuditAsync(), e => e.Target.StartsWith($"resident:{person.ResidentId}:", StringComparison.Ordinal));
        Assert.Equal(("police", Roles.PoliceOfficer), (entry.UserName, entry.Role));
        Assert.Contains("上门劝阻前核实身份", entry.Details);
        Assert.Contains($"alert:{alert.Id}", entry.Details);
        Assert.DoesNotContain(result.IdNumber, entry.Details);
    }

    [Fact]
    public async Task Unmask_WithoutReason_Returns400AndWritesNoAudit()
    {
        var (person, alert) = await AlertAboutHeshangResidentAsync(22, "unmask-noreason");
        var police = await factory.SignInAsync("police");

        var response = await police.PostAsJsonAsync($"/api/v1/antifraud/alerts/{alert.Id}/unmask", new { purpose = "antifraud", reason = " 看 " });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"reason\"", problem);
        Assert.Contains("理由", problem);
        Assert.DoesNotContain(await UnmaskAuditAsync(), e => e.Target.StartsWith($"resident:{person.ResidentId}:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unmask_WithoutPermission_IsRefusedAndWritesNoAudit()
    {
        var (person, alert) = await AlertAboutHeshangResidentAsync(23, "unmask-forbidden");
        // Not an alert role (the grid worker has no unmask either).
        foreach (var user in new[] { "grid", "town" })
        {
            var client = await factory.SignInAsync(user);
            var response = await client.PostAsJsonAsync($"/api/v1/antifraud/alerts/{alert.Id}/unmask", new { purpose = "antifraud", reason = "上门劝阻前核实身份" });
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        // The contract itself refuses a caller without the permission, whatever the area.
        var outcome = await factory.WithScopeAsync(async sp =>
        {
            var town = await sp.GetRequiredService<CivicGrid.Places.Data.PlacesDbContext>().Regions.AsNoTracking().FirstAsync(r => r.Name == "河上镇");
            var grid = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Role, Roles.GridWorker)], "test"));
            return await sp.GetRequiredService<ResidentCard>().UnmaskAsync(person.Subject, grid, new RegionScope(town.Id, town.RegionPath, town.Level),
                new Actor(null, "grid", Roles.GridWorker, town.RegionPath, null), "antifraud", "上门劝阻前核实身份", "test", DateTime.UtcNow, default);
        });
        Assert.Equal(ResidentUnmaskStatus.Forbidden, outcome.Status);
        Assert.Null(outcome.IdNumber);
        Assert.DoesNotContain(await UnmaskAuditAsync(), e => e.Target.StartsWith($"resident:{person.ResidentId}:", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unmask_AlertOfAnotherStation_Returns404()
    {
        var stranger = AlertBed.ResidentOfJingjiang(factory, "unmask-foreign-subject-01");
        var admin = await factory.SignInAsync("admin");
        await AlertBed.PostAsync(admin, AlertBed.PoliceScenario(stranger.Subject, factory.Time.GetUtcNow(), "unmask-foreign"));
        var alert = (await AlertBed.WaitForAlertsAsync(factory, stranger.Subject, 2))[0];
        var police = await factory.SignInAsync("police");

        var response = await police.PostAsJsonAsync($"/api/v1/antifraud/alerts/{alert.Id}/unmask", new { purpose = "antifraud", reason = "上门劝阻前核实身份" });

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain(await UnmaskAuditAsync(), e => e.Target.StartsWith($"resident:{stranger.ResidentId}:", StringComparison.Ordinal));
        var missing = await police.PostAsJsonAsync("/api/v1/antifraud/alerts/999999999/unmask", new { purpose = "antifraud", reason = "上门劝阻前核实身份" });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }
}
