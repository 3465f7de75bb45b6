using System.Net;
using System.Net.Http.Json;
using System.Text;
using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Features.Rules;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Files;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.AntiFraud.Tests.Features;

/// <summary>
/// The district centre's control of the running pack: replace a watchlist by upload (seen by the next event), refuse a
/// bad file whole, reload edited rule files (a bad one keeps the running rules), download a list, audit every change.
/// Each test runs on its own copy of the shipped pack, so the shipped files never change.
/// </summary>
public class RulePackAdminTests
{
    private sealed class OwnPackFactory : PlatformFactory
    {
        public OwnPackFactory()
        {
            Pack = Path.Combine(Path.GetTempPath(), "civicgrid-tests", "pack-" + Guid.NewGuid().ToString("N"));
            Copy(AntiFraudPack.RulesDirectory(), RulesDirectory);
            Copy(AntiFraudPack.WatchlistsDirectory(), WatchlistsDirectory);
        }

        public string Pack { get; }
        public string RulesDirectory => Path.Combine(Pack, "rules");
        public string WatchlistsDirectory => Path.Combine(Pack, "lists");

        private static void Copy(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var file in Directory.EnumerateFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CivicGrid:AntiFraud:RulesDirectory", RulesDirectory);
            builder.UseSetting("CivicGrid:AntiFraud:WatchlistsDirectory", WatchlistsDirectory);
            builder.UseSetting("CivicGrid:AntiFraud:SnapshotPath", Path.Combine(Pack, "antifraud.snap"));
        }

        protected override void Dispose(bool disposing)
        {
            base.Dispose(disposing);
            if (disposing) try { Directory.Delete(Pack, recursive: true); } catch (IOException) { }
        }
    }

    private static MultipartFormDataContent Upload(byte[] bytes, string fileName)
    {
        var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(bytes), "file", fileName);
        return form;
    }

    private static async Task<RulePackView> ViewAsync(HttpClient client) => (await client.GetFromJsonAsync<RulePackView>("/api/v1/antifraud/rules"))!;

    [Fact]
    public async Task RulesPageAndApi_NeverShowServerFolders()
    {
        await using var factory = new OwnPackFactory();
        var admin = await factory.SignInAsync("admin");
        var page = await admin.GetStringAsync("/antifraud/rules");
        Assert.Contains("预警规则", page);
        var api = await admin.GetStringAsync("/api/v1/antifraud/rules");
        foreach (var text in new[] { page, api })
        {
            Assert.DoesNotContain(factory.Pack, text);
            Assert.DoesNotContain(Path.GetTempPath().TrimEnd('/'), text);
            Assert.DoesNotContain(AppContext.BaseDirectory.TrimEnd('/'), text);
        }
    }

    [Fact]
    public async Task UploadWatchlist_NewFlaggedNumber_NextCallFromItRaisesAnAlert_AndTheChangeIsAudited()
    {
        await using var factory = new OwnPackFactory();
        var admin = await factory.SignInAsync("admin");
        const string subject = "watchlist-upload-subject-01";
        var now = factory.Time.GetUtcNow();
        var call = (string id) => StreamEventCall(id, subject, "02188880001", now);

        // Not flagged yet: no alert.
        (await AlertBed.PostAsync(admin, [call("wl-before")])).EnsureSuccessStatusCode();
        var before = (await ViewAsync(admin)).Watchlists.Single(l => l.Name == "flagged_numbers").Count;

        // GB18030, as Excel in China saves a CSV, with a Chinese header and a repeated value.
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var csv = Encoding.GetEncoding("GB18030").GetBytes("号码,来源\n02188880001,市反诈中心通报\n02188880002,市反诈中心通报\n02188880001,重复\n");
        var response = await admin.PutAsync("/api/v1/antifraud/watchlists/flagged_numbers", Upload(csv, "涉诈号码.csv"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<WatchlistReplaceResult>())!;
        Assert.Equal(2, result.Count);
        Assert.Equal(2, result.Added);
        Assert.Equal(before, result.Removed); // the shipped values were replaced

        (await AlertBed.PostAsync(admin, [StreamEventCall("wl-after", subject, "02188880001", now + TimeSpan.FromMinutes(1))])).EnsureSuccessStatusCode();
        var alerts = await AlertBed.WaitForAlertsAsync(factory, subject, 1);
        Assert.Contains(alerts, a => a.RuleId == "common.flagged-number-call");

        Assert.Equal(2, (await ViewAsync(admin)).Watchlists.Single(l => l.Name == "flagged_numbers").Count);
        var onDisk = await File.ReadAllLinesAsync(Path.Combine(factory.WatchlistsDirectory, "flagged_numbers.csv"));
        Assert.Equal(["value,source", "02188880001,市反诈中心通报", "02188880002,市反诈中心通报"], onDisk);
        var audit = await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Set<AuditEntry>().AsNoTracking()
            .SingleAsync(e => e.Action == "antifraud.watchlist.replace" && e.Target == "watchlist:flagged_numbers"));
        Assert.Equal("admin", audit.UserName);
        Assert.DoesNotContain("02188880001", audit.Details); // the values themselves are not copied into the log
    }

    private static Streams.StreamEvent StreamEventCall(string id, string subject, string number, DateTimeOffset at) =>
        Streams.StreamEvent.Create(id, subject, "call", at, ("number", number), ("direction", "in"), ("duration", 30));

    [Fact]
    public async Task UploadWatchlist_OneBadRow_NothingChanges_AndTheRowIsNamed()
    {
        await using var factory = new OwnPackFactory();
        var admin = await factory.SignInAsync("admin");
        var path = Path.Combine(factory.WatchlistsDirectory, "flagged_accounts.csv");
        var fileBefore = await File.ReadAllBytesAsync(path);
        var countBefore = (await ViewAsync(admin)).Watchlists.Single(l => l.Name == "flagged_accounts").Count;

        var bad = Encoding.UTF8.GetBytes("value\n6217000011112222\n" + new string('9', 200) + "\n6217000011113333\n");
        var response = await admin.PutAsync("/api/v1/antifraud/watchlists/flagged_accounts", Upload(bad, "accounts.csv"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<ValidationProblemDetails>())!;
        var message = Assert.Single(problem.Errors["row 3"]);
        Assert.Contains("值过长", message);
        Assert.Contains("longer than", message);

        Assert.Equal(fileBefore, await File.ReadAllBytesAsync(path));
        Assert.Equal(countBefore, (await ViewAsync(admin)).Watchlists.Single(l => l.Name == "flagged_accounts").Count);

        // Not a workbook at all, and an invalid list name: clear answers too.
        var broken = await admin.PutAsync("/api/v1/antifraud/watchlists/flagged_accounts", Upload([0x50, 0x4B, 0x03, 0x04, 1, 2, 3], "accounts.xlsx"));
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
        Assert.Contains("Excel", await broken.Content.ReadAsStringAsync());
        var badName = await admin.PutAsync("/api/v1/antifraud/watchlists/Flagged..x", Upload(Encoding.UTF8.GetBytes("1\n"), "x.csv"));
        Assert.Equal(HttpStatusCode.BadRequest, badName.StatusCode);
        Assert.Equal(fileBefore, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task Reload_BrokenRuleFile_RefusedWithFileAndLine_RunningRulesStay_FixedFileLoads()
    {
        await using var factory = new OwnPackFactory();
        var admin = await factory.SignInAsync("admin");
        var running = (await ViewAsync(admin)).Rules.Count;
        var extra = Path.Combine(factory.RulesDirectory, "zz_local.yaml");
        await File.WriteAllTextAsync(extra, "rules:\n  - id: local.big-transfer\n    category: 涉诈通用\n    weight: 10\n    match:\n      kind: transfer_out\n      where: { amount: { gte: lots } }\n");

        var refused = await admin.PostAsync("/api/v1/antifraud/rules/reload", null);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var problem = (await refused.Content.ReadFromJsonAsync<ValidationProblemDetails>())!;
        Assert.Contains(problem.Errors.Keys, k => k.StartsWith("zz_local.yaml:", StringComparison.Ordinal));
        Assert.Contains("原规则继续运行", string.Join(" ", problem.Errors.Values.SelectMany(v => v)));
        Assert.Equal(running, (await ViewAsync(admin)).Rules.Count);

        // The running pack still works.
        var person = AlertBed.ResidentOfHeshang(factory, skip: 7);
        await AlertBed.PostAsync(admin, AlertBed.PoliceScenario(person.Subject, factory.Time.GetUtcNow(), "reload-stays"));
        await AlertBed.WaitForAlertsAsync(factory, person.Subject, 2);

        await File.WriteAllTextAsync(extra, "rules:\n  - id: local.big-transfer\n    category: 涉诈通用\n    weight: 10\n    match:\n      kind: transfer_out\n      where: { amount: { gte: 1000000 } }\n");
        var reloaded = await admin.PostAsync("/api/v1/antifraud/rules/reload", null);
        Assert.Equal(HttpStatusCode.OK, reloaded.StatusCode);
        Assert.Equal(running + 1, (await reloaded.Content.ReadFromJsonAsync<ReloadResult>())!.Rules);
        Assert.Contains((await ViewAsync(admin)).Rules, r => r.Id == "local.big-transfer" && r.Source.StartsWith("zz_local.yaml", StringComparison.Ordinal));
        var audits = await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Set<AuditEntry>().AsNoTracking()
            .Where(e => e.Action == "antifraud.rules.reload").CountAsync());
        Assert.Equal(2, audits);
    }

    [Fact]
    public async Task Police_ReadsRulesAndLists_ButATownAccountCannotChangeThem()
    {
        await using var factory = new OwnPackFactory();
        var police = await factory.SignInAsync("police");
        var view = await ViewAsync(police);
        Assert.Contains(view.Rules, r => r.Id == "police.call-no-verify-transfer");
        Assert.Contains(view.Watchlists, l => l.Name == "flagged_numbers" && l.Count > 0);

        var xlsx = await police.GetAsync("/api/v1/antifraud/watchlists/flagged_numbers");
        Assert.Equal(HttpStatusCode.OK, xlsx.StatusCode);
        var rows = TabularFile.Read(await xlsx.Content.ReadAsStreamAsync(), "flagged_numbers.xlsx");
        Assert.Equal(view.Watchlists.Single(l => l.Name == "flagged_numbers").Count, rows.Count - 1);
        Assert.Equal(HttpStatusCode.NotFound, (await police.GetAsync("/api/v1/antifraud/watchlists/no_such_list")).StatusCode);

        var path = Path.Combine(factory.WatchlistsDirectory, "flagged_numbers.csv");
        var fileBefore = await File.ReadAllBytesAsync(path);
        Assert.Equal(HttpStatusCode.Forbidden, (await police.PutAsync("/api/v1/antifraud/watchlists/flagged_numbers", Upload(Encoding.UTF8.GetBytes("13800000000\n"), "x.csv"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await police.PostAsync("/api/v1/antifraud/rules/reload", null)).StatusCode);
        Assert.Equal(fileBefore, await File.ReadAllBytesAsync(path));
        var cadre = await factory.SignInAsync("cadre");
        Assert.Equal(HttpStatusCode.Forbidden, (await cadre.GetAsync("/api/v1/antifraud/rules")).StatusCode);
    }
}
