using System.Net;
using System.Net.Http.Json;
using System.Text;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Import;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CivicGrid.Population.Tests.Features;

/// <summary>What goes wrong around an import (a late batch, a failing job, a crash) never breaks the register or the platform.</summary>
public class ImportFaultTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static string Id(int n) => CitizenId.Create("330110", new DateOnly(1975, 1, 1).AddDays(n * 5), 101 + 2 * n);

    private List<string> Tokens(string gridName, int count) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = places.Regions.AsNoTracking().First(r => r.Name == gridName);
        return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Take(count).Select(a => a.DoorplateToken).ToList();
    });

    private static List<string[]> Sheet(List<string> tokens, int first, int count)
    {
        var lines = new List<string[]> { new[] { "姓名", "身份证号", "手机号", "门牌码" } };
        for (var n = first; n < first + count; n++) lines.Add([$"韩{n}", Id(n), "", tokens[n % tokens.Count]]);
        return lines;
    }

    private Task<ImportSummary> RunDirectAsync(IServiceProvider sp, List<string[]> lines)
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var district = places.Regions.AsNoTracking().Single(r => r.Level == RegionLevel.District);
        return ResidentImport.RunAsync(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<CivicGrid.Places.Contracts.AddressDirectory>(), sp.GetRequiredService<PersonalDataProtector>(),
            lines, new RegionScope(district.Id, district.RegionPath, district.Level), new Actor(null, "test", "district_admin", district.RegionPath, null),
            DateTime.UtcNow, null, CancellationToken.None, largeLoad: false);
    }

    private Task<int> CountAsync(int first, int count) => factory.WithScopeAsync(async sp =>
    {
        var masks = Enumerable.Range(first, count).Select(n => Mask.IdNumber(Id(n))).ToList();
        return await sp.GetRequiredService<PopulationDbContext>().Residents.CountAsync(r => masks.Contains(r.IdMasked) && r.Until == null);
    });

    private static async Task<ImportJobDto> WaitAsync(HttpClient client, long jobId)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            var job = (await client.GetFromJsonAsync<ImportJobDto>($"/api/v1/imports/{jobId}", timeout.Token))!;
            if (job.Status is not (ImportStatus.Queued or ImportStatus.Running)) return job;
            await Task.Delay(50, timeout.Token);
        }
    }

    [Fact]
    public async Task Write_BatchPreparedAfterTheLoopMovedOn_InsertsEveryRowOnce()
    {
        var tokens = Tokens("众联村第3网格", 4);
        var lines = Sheet(tokens, 0, 47);
        // Each batch after the first is prepared only once the loop has handed the previous one on: the moment a
        // task that read the loop variable late would prepare the wrong rows (ids already used: UNIQUE failed).
        var handed = new SemaphoreSlim(0);
        var calls = 0;
        ResidentImport.Hooks.Value = new ResidentImport.WriteHooks
        {
            BatchSize = 10,
            BeforePrepare = async () => { if (Interlocked.Increment(ref calls) > 1) await handed.WaitAsync(); },
            AfterBatch = () => handed.Release(),
        };
        try
        {
            var summary = await factory.WithScopeAsync(sp => RunDirectAsync(sp, lines));
            Assert.True(summary.Succeeded, string.Join("; ", summary.Errors.Select(e => e.Reason)));
            Assert.Equal(47, summary.Inserted);
        }
        finally
        {
            ResidentImport.Hooks.Value = null;
        }
        Assert.Equal(5, calls);
        Assert.Equal(47, await CountAsync(0, 47));
    }

    [Fact]
    public async Task Write_FailingMidway_LeavesNothingAndTheContextStillWorks()
    {
        var tokens = Tokens("众联村第3网格", 4);
        var lines = Sheet(tokens, 100, 30);
        var batches = 0;
        ResidentImport.Hooks.Value = new ResidentImport.WriteHooks
        {
            BatchSize = 10,
            AfterBatch = () => { if (++batches == 2) throw new IOException("disk gone"); },
        };
        try
        {
            await factory.WithScopeAsync(async sp =>
            {
                await Assert.ThrowsAsync<IOException>(() => RunDirectAsync(sp, lines));
                // The same context records what happened: its connection no longer carries the dead transaction.
                var db = sp.GetRequiredService<PopulationDbContext>();
                db.ImportJobs.Add(new ImportJob { FileName = "after-failure.csv", Status = ImportStatus.Failed, RegionPath = "/", CreatedAt = DateTime.UtcNow });
                await db.SaveChangesAsync();
                return true;
            });
        }
        finally
        {
            ResidentImport.Hooks.Value = null;
        }
        Assert.Equal(0, await CountAsync(100, 30));
        Assert.True(await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().ImportJobs.AnyAsync(j => j.FileName == "after-failure.csv")));
    }

    private async Task<(StaffUser User, long JobId)> StoreJobAsync(string fileName, string csv, ImportStatus status, int? regionId = null, string? regionPath = null) =>
        await factory.WithScopeAsync(async sp =>
        {
            var cadre = (await sp.GetRequiredService<UserManager<StaffUser>>().FindByNameAsync("cadre"))!;
            var db = sp.GetRequiredService<PopulationDbContext>();
            var job = new ImportJob
            {
                FileName = fileName, Content = Encoding.UTF8.GetBytes(csv), RegionPath = regionPath ?? cadre.RegionPath, RegionId = regionId ?? cadre.RegionId,
                UserName = cadre.UserName!, UserId = cadre.Id, Role = cadre.Role, Status = status, CreatedAt = DateTime.UtcNow,
            };
            db.ImportJobs.Add(job);
            await db.SaveChangesAsync();
            return (cadre, job.Id);
        });

    [Fact]
    public async Task Worker_JobThatThrows_IsMarkedFailed_AndTheNextJobRuns()
    {
        var tokens = Tokens("众联村第3网格", 2);
        // A job whose area no longer exists: the run throws outside the import's own error handling.
        var (_, broken) = await StoreJobAsync("orphan.csv", $"姓名,身份证号,门牌码\n韩甲,{Id(200)},{tokens[0]}\n", ImportStatus.Queued, regionId: -4711);
        factory.Services.GetRequiredService<Importer>().Enqueue(broken);
        var client = await factory.SignInAsync("cadre");
        var failed = await WaitAsync(client, broken);
        Assert.Equal(ImportStatus.Failed, failed.Status);
        Assert.Contains("未导入任何数据", failed.Message);

        // The worker (and the platform) go on: an ordinary upload after it is imported.
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes($"姓名,身份证号,门牌码\n韩乙,{Id(201)},{tokens[1]}\n")), "file", "next.csv" } };
        var response = await client.PostAsync("/api/v1/imports/residents", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var next = await WaitAsync(client, (await response.Content.ReadFromJsonAsync<ImportJobDto>())!.Id);
        Assert.Equal(ImportStatus.Succeeded, next.Status);
        Assert.Equal(1, await CountAsync(201, 1));
        Assert.Equal(0, await CountAsync(200, 1));
    }

    [Fact]
    public async Task Restart_JobLeftRunning_IsInterruptedNotRerun_AndTheUserResumesIt()
    {
        var tokens = Tokens("众联村第3网格", 2);
        var (_, jobId) = await StoreJobAsync("crashed.csv", $"姓名,身份证号,门牌码\n韩丙,{Id(300)},{tokens[0]}\n韩丁,{Id(301)},{tokens[1]}\n", ImportStatus.Running);
        var worker = factory.Services.GetServices<IHostedService>().OfType<ImportWorker>().Single();
        await worker.RestoreAsync(CancellationToken.None);

        var client = await factory.SignInAsync("cadre");
        var job = (await client.GetFromJsonAsync<ImportJobDto>($"/api/v1/imports/{jobId}"))!;
        Assert.Equal(ImportStatus.Interrupted, job.Status);
        Assert.Contains("继续导入", job.Message);
        Assert.Equal(0, await CountAsync(300, 2));

        // An interrupted job outside the cadre's area is not theirs to resume; their own is, once.
        var (_, elsewhere) = await StoreJobAsync("elsewhere.csv", "姓名,身份证号,门牌码\n", ImportStatus.Interrupted, regionPath: "/9999/");
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/v1/imports/{elsewhere}/resume", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsync($"/api/v1/imports/{jobId}/resume", null)).StatusCode);
        var done = await WaitAsync(client, jobId);
        Assert.Equal(ImportStatus.Succeeded, done.Status);
        Assert.Equal(2, await CountAsync(300, 2));
        Assert.Equal(HttpStatusCode.NotFound, (await client.PostAsync($"/api/v1/imports/{jobId}/resume", null)).StatusCode);
    }

    [Fact]
    public async Task Import_HeadersButNoRows_SaysTheFileHasNoRows()
    {
        var client = await factory.SignInAsync("cadre");
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("姓名,身份证号,门牌码\n")), "file", "empty.csv" } };
        var response = await client.PostAsync("/api/v1/imports/residents", form);
        var job = await WaitAsync(client, (await response.Content.ReadFromJsonAsync<ImportJobDto>())!.Id);
        Assert.Equal(ImportStatus.Rejected, job.Status);
        Assert.Equal(ResidentImport.NoRows, job.Message);
    }
}
