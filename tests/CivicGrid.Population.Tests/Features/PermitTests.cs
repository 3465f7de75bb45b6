using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Permits;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CivicGrid.Population.Tests.Features;

public partial class PermitTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    [GeneratedRegex("id=\"lookup-code\">([A-Z0-9]{10})<")]
    private static partial Regex LookupCode();

    private static int people;

    private DateOnly Today => Permits.Today(factory.Time.GetUtcNow().UtcDateTime);

    /// <summary>A floating resident of 众联村第1网格 living at their address since <paramref name="since"/>; returns the ID number.</summary>
    private Task<(Resident Row, string Id)> ResidentAsync(string name, DateOnly since, ResidenceKind kind = ResidenceKind.Floating) => factory.WithScopeAsync(async sp =>
    {
        var db = sp.GetRequiredService<PopulationDbContext>();
        var protector = sp.GetRequiredService<PersonalDataProtector>();
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = await places.Regions.AsNoTracking().FirstAsync(r => r.Name == "众联村第1网格");
        var address = await places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(7).FirstAsync();
        var birth = new DateOnly(1993, 3, 1).AddDays(Interlocked.Increment(ref people));
        var id = CitizenId.Create("411521", birth, 303);
        var r = new Resident
        {
            Name = name, IdNumber = protector.Encrypt(id), IdIndex = protector.BlindIndex("id", id), IdMasked = Mask.IdNumber(id), BirthDate = birth,
            AddressId = address.Id, RegionPath = address.RegionPath, Kind = kind, Declared = true, Verified = true, Since = since,
        };
        db.Residents.Add(r);
        await db.SaveChangesAsync();
        return (r, id);
    });

    private Task<Permits.ApplyResult> ApplyAsync(string name, string id, string phone = "13612345678") => factory.WithScopeAsync(sp =>
        Permits.ApplyAsync(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<PersonalDataProtector>(),
            new PermitApplication { Name = name, IdNumber = id, Phone = phone, Employer = "萧山某厂" },
            sp.GetRequiredService<IOptions<PopulationOptions>>().Value, null, factory.Time.GetUtcNow().UtcDateTime, default));

    private async Task<string> PostFormAsync(HttpClient client, string url, string formName, Dictionary<string, string> fields)
    {
        var page = await client.GetStringAsync(url);
        var antiforgery = AntiforgeryField().Match(page).Groups[1].Value;
        Assert.NotEmpty(antiforgery);
        fields["_handler"] = formName;
        fields["__RequestVerificationToken"] = antiforgery;
        var response = await client.PostAsync(url, new FormUrlEncodedContent(fields));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadAsStringAsync();
    }

    [Fact]
    public async Task Eligibility_SixMonthsToTheDay_IsEligible_OneDayLessIsNot()
    {
        var (six, sixId) = await ResidentAsync("满六月", Today.AddMonths(-6));
        var (short1, shortId) = await ResidentAsync("差一天", Today.AddMonths(-6).AddDays(1));
        var (household, _) = await ResidentAsync("户籍人", Today.AddYears(-3), ResidenceKind.Household);
        var cadre = await factory.SignInAsync("cadre");
        var eligible = await cadre.GetFromJsonAsync<List<EligibleResident>>("/api/v1/permits/eligible");
        Assert.Contains(eligible!, e => e.ResidentId == six.Id);
        Assert.DoesNotContain(eligible!, e => e.ResidentId == short1.Id);
        Assert.DoesNotContain(eligible!, e => e.ResidentId == household.Id);

        var refused = await ApplyAsync("差一天", shortId);
        Assert.Null(refused.Permit);
        var message = Assert.Single(refused.Errors.ToDictionary()["idNumber"]);
        Assert.Contains("满 6 个月", message);
        Assert.Contains("6 months", message);

        // A day later (the platform's clock) the same person is eligible and may apply.
        factory.Time.Advance(TimeSpan.FromDays(1));
        var applied = await ApplyAsync("差一天", shortId);
        Assert.NotNull(applied.Permit);
        Assert.Equal(PermitStatus.Applied, applied.Permit!.Status);
        Assert.Equal(short1.Id, applied.Permit.ResidentId);
        // Once applied, the person leaves the eligible list and cannot apply twice.
        cadre = await factory.SignInAsync("cadre");
        Assert.DoesNotContain((await cadre.GetFromJsonAsync<List<EligibleResident>>("/api/v1/permits/eligible"))!, e => e.ResidentId == short1.Id);
        Assert.Contains("idNumber", (await ApplyAsync("差一天", shortId)).Errors.ToDictionary().Keys);
        Assert.NotNull((await ApplyAsync("满六月", sixId)).Permit);
    }

    [Fact]
    public async Task ApplyPage_NotEligibleOrWrongName_ShowsClearMessage_EligibleGetsLookupCode()
    {
        var (_, id) = await ResidentAsync("申请人", Today.AddMonths(-8));
        var (_, tooNew) = await ResidentAsync("新来者", Today.AddMonths(-2));
        var client = factory.CreateClient();
        var fields = (string name, string idNumber) => new Dictionary<string, string>
        {
            ["Form.Name"] = name, ["Form.IdNumber"] = idNumber, ["Form.Phone"] = "13712340000", ["Form.Employer"] = "",
        };
        var notYet = await PostFormAsync(client, "/permit/apply", "permit-apply", fields("新来者", tooNew));
        Assert.Contains("role=\"alert\"", notYet);
        Assert.Contains("居住满 6 个月", notYet);
        Assert.DoesNotContain("lookup-code", notYet);
        var wrongName = await PostFormAsync(client, "/permit/apply", "permit-apply", fields("冒名者", id));
        Assert.Contains("居住满 6 个月", wrongName);

        var ok = await PostFormAsync(client, "/permit/apply", "permit-apply", fields("申请人", id));
        var code = LookupCode().Match(ok).Groups[1].Value;
        Assert.NotEmpty(code);
        var status = await client.GetStringAsync($"/permit/{code}");
        Assert.Contains("待审批", status);
        Assert.Contains("137****0000", status);
        Assert.DoesNotContain(id, status);
    }

    [Fact]
    public async Task UpdateDetails_WithCodeAndTheRightIdNumber_ChangesPhoneAndEmployer_WrongIdChangesNothing()
    {
        var (_, id) = await ResidentAsync("更新者", Today.AddMonths(-7));
        var (_, otherId) = await ResidentAsync("旁人", Today.AddMonths(-7));
        var permit = (await ApplyAsync("更新者", id)).Permit!;
        var client = factory.CreateClient();
        var url = $"/permit/{permit.LookupCode}";

        var wrong = await PostFormAsync(client, url, "permit-update", new() { ["Form.IdNumber"] = otherId, ["Form.Phone"] = "13900001111", ["Form.Employer"] = "冒改" });
        Assert.Contains("查询码与身份证号不符", wrong);
        var bad = await PostFormAsync(client, url, "permit-update", new() { ["Form.IdNumber"] = id, ["Form.Phone"] = "12345", ["Form.Employer"] = "" });
        Assert.Contains("role=\"alert\"", bad);
        var unchanged = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Permits.AsNoTracking().FirstAsync(p => p.Id == permit.Id));
        Assert.Equal("136****5678", unchanged.PhoneMasked);
        Assert.Equal("萧山某厂", unchanged.Employer);

        var ok = await PostFormAsync(client, url, "permit-update", new() { ["Form.IdNumber"] = id.ToLowerInvariant(), ["Form.Phone"] = "13900001111", ["Form.Employer"] = "杭州某公司" });
        Assert.Contains("id=\"updated\"", ok);
        Assert.DoesNotContain(id, ok);
        await factory.WithScopeAsync(async sp =>
        {
            var p = await sp.GetRequiredService<PopulationDbContext>().Permits.AsNoTracking().FirstAsync(x => x.Id == permit.Id);
            Assert.Equal("139****1111", p.PhoneMasked);
            Assert.Equal("13900001111", sp.GetRequiredService<PersonalDataProtector>().Decrypt(p.Phone!));
            Assert.Equal("杭州某公司", p.Employer);
            Assert.Equal(1, await sp.GetRequiredService<KernelDbContext>().AuditEntries.CountAsync(a => a.Action == "population.permit.update" && a.Target == $"permit:{permit.Id}"));
            return 0;
        });
    }

    [Fact]
    public async Task Issue_SetsEndorsementAYearOn_EndorseMovesItAnotherYear()
    {
        var (_, id) = await ResidentAsync("持证人", Today.AddMonths(-9));
        var permit = (await ApplyAsync("持证人", id, "13588886666")).Permit!;
        var cadre = await factory.SignInAsync("cadre");
        var noNumber = await cadre.PostAsJsonAsync($"/api/v1/permits/{permit.Id}/issue", new { permitNumber = " " });
        Assert.Equal(HttpStatusCode.BadRequest, noNumber.StatusCode);
        Assert.Contains("\"permitNumber\"", await noNumber.Content.ReadAsStringAsync());
        var issuedOn = Today;
        Assert.Equal(HttpStatusCode.NoContent, (await cadre.PostAsJsonAsync($"/api/v1/permits/{permit.Id}/issue", new { permitNumber = "JZZ330109-0001" })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await cadre.PostAsJsonAsync($"/api/v1/permits/{permit.Id}/issue", new { permitNumber = "JZZ330109-0002" })).StatusCode);
        var issued = await cadre.GetFromJsonAsync<List<PermitDto>>("/api/v1/permits?status=Issued");
        var dto = Assert.Single(issued!, p => p.Id == permit.Id);
        Assert.Equal(issuedOn, dto.IssuedOn);
        Assert.Equal(issuedOn.AddYears(1), dto.EndorsementDue);

        // A second permit cannot take the same number.
        var (_, otherId) = await ResidentAsync("第二人", Today.AddMonths(-9));
        var other = (await ApplyAsync("第二人", otherId)).Permit!;
        var duplicate = await cadre.PostAsJsonAsync($"/api/v1/permits/{other.Id}/issue", new { permitNumber = "JZZ330109-0001" });
        Assert.Equal(HttpStatusCode.BadRequest, duplicate.StatusCode);
        Assert.Contains("\"permitNumber\"", await duplicate.Content.ReadAsStringAsync());

        cadre = await factory.SignInAsync("cadre");
        Assert.Equal(HttpStatusCode.NoContent, (await cadre.PostAsync($"/api/v1/permits/{permit.Id}/endorse", null)).StatusCode);
        var endorsed = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Permits.AsNoTracking().FirstAsync(p => p.Id == permit.Id));
        Assert.Equal(issuedOn.AddYears(2), endorsed.EndorsementDue);
        Assert.Equal(Today, endorsed.LastEndorsedOn);
        var audited = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries
            .Where(a => a.Target == $"permit:{permit.Id}").Select(a => a.Action).ToListAsync());
        Assert.Contains("population.permit.issue", audited);
        Assert.Contains("population.permit.endorse", audited);
        // The holder got an SMS on issue, through the outbox.
        Assert.True(await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Outbox
            .AnyAsync(m => m.RecipientMasked == "135****6666" && m.Body.Contains("JZZ330109-0001"))));
    }

    [Fact]
    public async Task Reminder_OpensEndorsementReminderDaysBeforeDue_IsSentOnce()
    {
        // A permit issued a year ago less (reminder days + 1): its endorsement falls due just after the reminder window opens.
        // (The clock is not moved by a year: the platform's periodic timers would tick through every interval of it.)
        var reminderDays = factory.Services.GetRequiredService<IOptions<PopulationOptions>>().Value.EndorsementReminderDays;
        var (_, id) = await ResidentAsync("提醒人", Today.AddMonths(-20));
        var permit = (await ApplyAsync("提醒人", id, "13577775555")).Permit!;
        var due = Today.AddDays(reminderDays + 1);
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var p = await db.Permits.FirstAsync(x => x.Id == permit.Id);
            (p.Status, p.PermitNumber, p.IssuedOn, p.EndorsementDue) = (PermitStatus.Issued, "JZZ-REMIND-1", due.AddYears(-1), due);
            return await db.SaveChangesAsync();
        });
        var reminders = factory.Services.GetRequiredService<EndorsementReminders>();
        async Task<(int Reminders, int Messages)> SentAsync() => await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            return (await db.Reminders.CountAsync(r => r.Kind == ReminderKind.EndorsementDue && r.TargetId == permit.Id && r.DueOn == due),
                await db.Outbox.CountAsync(m => m.RecipientMasked == "135****5555" && m.Body.Contains("签注提醒")));
        });

        await reminders.RunOnceAsync(default);
        Assert.Equal((0, 0), await SentAsync());
        factory.Time.Advance(TimeSpan.FromDays(1));
        await reminders.RunOnceAsync(default);
        await reminders.RunOnceAsync(default);
        Assert.Equal((1, 1), await SentAsync());
        var body = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Outbox.Where(m => m.RecipientMasked == "135****5555")
            .Select(m => m.Body).SingleAsync());
        Assert.Contains(due.ToString("yyyy-MM-dd"), body);
        Assert.DoesNotContain(id, body);
    }

    [Fact]
    public async Task IssuedPermit_Lapses_WhenTheHolderMovesAway_OrTheEndorsementIsAYearOverdue_WithOneSystemAuditLineEach()
    {
        var (movedRow, movedId) = await ResidentAsync("迁出人", Today.AddMonths(-9));
        var (_, lateId) = await ResidentAsync("逾期人", Today.AddMonths(-30));
        var (_, keptId) = await ResidentAsync("在住人", Today.AddMonths(-9));
        var moved = (await ApplyAsync("迁出人", movedId)).Permit!;
        var late = (await ApplyAsync("逾期人", lateId)).Permit!;
        var kept = (await ApplyAsync("在住人", keptId)).Permit!;
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            foreach (var p in await db.Permits.Where(x => x.Id == moved.Id || x.Id == late.Id || x.Id == kept.Id).ToListAsync())
            {
                (p.Status, p.PermitNumber, p.IssuedOn) = (PermitStatus.Issued, $"JZZ-LAPSE-{p.Id}", Today.AddMonths(-2));
                p.EndorsementDue = p.Id == late.Id ? Today.AddYears(-1).AddDays(-1) : Today.AddMonths(10);
            }
            // The first holder moved away: their residence is closed and they live nowhere else in the district.
            var row = await db.Residents.FirstAsync(r => r.Id == movedRow.Id);
            row.Until = Today.AddDays(-3);
            return await db.SaveChangesAsync();
        });

        await factory.Services.GetRequiredService<EndorsementReminders>().RunOnceAsync(default);

        var states = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Permits.AsNoTracking()
            .Where(p => p.Id == moved.Id || p.Id == late.Id || p.Id == kept.Id).ToDictionaryAsync(p => p.Id, p => p.Status));
        Assert.Equal(PermitStatus.Lapsed, states[moved.Id]);
        Assert.Equal(PermitStatus.Lapsed, states[late.Id]);
        Assert.Equal(PermitStatus.Issued, states[kept.Id]);

        // One audit line per lapsed permit, by the system, with the reason and no personal data; none for the permit kept.
        var lines = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Set<AuditEntry>().AsNoTracking()
            .Where(a => a.Action == EndorsementReminders.LapseAction).ToListAsync());
        var byTarget = lines.GroupBy(a => a.Target).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Single(byTarget[$"permit:{moved.Id}"]);
        Assert.Single(byTarget[$"permit:{late.Id}"]);
        Assert.False(byTarget.ContainsKey($"permit:{kept.Id}"));
        Assert.Equal("reason:moved_away", byTarget[$"permit:{moved.Id}"][0].Details);
        Assert.Equal("reason:endorsement_overdue", byTarget[$"permit:{late.Id}"][0].Details);
        foreach (var line in byTarget[$"permit:{moved.Id}"].Concat(byTarget[$"permit:{late.Id}"]))
        {
            Assert.Equal((Actor.System.UserName, Actor.System.Role), (line.UserName, line.Role));
            foreach (var secret in new[] { movedId, lateId, "迁出人", "逾期人" }) Assert.DoesNotContain(secret, line.Details + line.Target);
        }

        // The next run finds them lapsed already: no second line.
        await factory.Services.GetRequiredService<EndorsementReminders>().RunOnceAsync(default);
        Assert.Equal(lines.Count, await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Set<AuditEntry>()
            .CountAsync(a => a.Action == EndorsementReminders.LapseAction)));
    }

    [Fact]
    public async Task Reject_NeedsReason_AndShowsOnTheStatusPage()
    {
        var (_, id) = await ResidentAsync("被退回", Today.AddMonths(-10));
        var permit = (await ApplyAsync("被退回", id)).Permit!;
        var grid = await factory.SignInAsync("grid");
        var noReason = await grid.PostAsJsonAsync($"/api/v1/permits/{permit.Id}/reject", new { reason = "" });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Contains("\"reason\"", await noReason.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await grid.PostAsJsonAsync($"/api/v1/permits/{permit.Id}/reject", new { reason = "请补充劳动合同" })).StatusCode);
        var status = await factory.CreateClient().GetStringAsync($"/permit/{permit.LookupCode}");
        Assert.Contains("已退回", status);
        Assert.Contains("请补充劳动合同", status);
        var page = await grid.GetStringAsync("/permits");
        Assert.Contains("居住证", page);
    }
}
