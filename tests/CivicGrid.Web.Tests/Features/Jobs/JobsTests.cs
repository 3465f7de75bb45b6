using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features.Jobs;

/// <summary>Counts its runs and remembers who the request context said was acting.</summary>
public sealed class CountingJob : IPlatformJob
{
    public string? LastActing { get; private set; }

    public Task RunAsync(Acting job, CancellationToken ct)
    {
        LastActing = job.UserName;
        return Task.CompletedTask;
    }
}

/// <summary>Sees the scope's request context: a body that resolves scoped services gets the job as the acting party.</summary>
public sealed class ContextJob(RequestContext context) : IPlatformJob
{
    public static string? Seen { get; private set; }

    public async Task RunAsync(Acting job, CancellationToken ct) => Seen = (await context.GetAsync()).UserName;
}

public sealed class ThrowingJob : IPlatformJob
{
    public const string Message = "测试：任务故意失败";

    public Task RunAsync(Acting job, CancellationToken ct) => throw new InvalidOperationException(Message);
}

/// <summary>The platform with three test jobs; one of them fires every second on the real scheduler.</summary>
public sealed class JobsFactory : PlatformFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("CivicGrid:Jobs:Schedules:test_counting", "00:00:01");
        builder.ConfigureServices(s =>
        {
            s.AddPlatformJob<CountingJob>("test_counting", "测试计数", "Test counting", JobSchedule.Every(TimeSpan.FromHours(1)));
            s.AddPlatformJob<ThrowingJob>("test_throwing", "测试失败", "Test failing", JobSchedule.Every(TimeSpan.FromHours(1)));
            // Scoped: resolved from the runner's scope, whose request context is the job.
            s.AddScoped<ContextJob>();
            s.AddPlatformJob<ContextJob>("test_context", "测试上下文", "Test context", JobSchedule.AtCron("0 0 4 1 1 ?"));
        });
    }
}

public class JobsTests(JobsFactory factory) : IClassFixture<JobsFactory>
{
    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe, string what) where T : class
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            if (await probe() is { } found) return found;
            try
            {
                await Task.Delay(100, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail($"timed out waiting for {what}");
            }
        }
    }

    private Task<List<JobRun>> RunsAsync(string key) => factory.WithScopeAsync(sp =>
        sp.GetRequiredService<KernelDbContext>().JobRuns.AsNoTracking().Where(r => r.JobKey == key).OrderBy(r => r.Id).ToListAsync());

    [Fact]
    public async Task ScheduledJob_ShortRealInterval_RunsOncePerFireTimeAndIsRecorded()
    {
        await factory.CreateClient().GetAsync("/healthz");
        var runs = await WaitForAsync(async () => await RunsAsync("test_counting") is { Count: >= 3 } r && r.Take(3).All(x => x.FinishedAt != null) ? r : null,
            "three runs of test_counting");
        var node = factory.Services.GetRequiredService<JobOptions>().ResolvedNodeId;
        Assert.All(runs.Take(3), r =>
        {
            Assert.Equal(JobOutcomes.Succeeded, r.Outcome);
            Assert.Equal("schedule", r.Trigger);
            Assert.Equal(node, r.Node);
            Assert.Null(r.Error);
        });
        // One run per fire time, a second apart.
        Assert.Equal(runs.Count, runs.Select(r => r.FireTime).Distinct().Count());
        Assert.Equal(TimeSpan.FromSeconds(1), runs[1].FireTime - runs[0].FireTime);
        Assert.Equal("job:test_counting", factory.Services.GetRequiredService<CountingJob>().LastActing);
    }

    [Fact]
    public async Task RunNow_FailingJob_RecordsTheErrorOnTheListAndThePlatformGoesOn()
    {
        var admin = await factory.SignInAsync("admin");
        var response = await admin.PostAsync("/api/v1/jobs/test_throwing/run", null);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);

        var run = await WaitForAsync(async () => (await RunsAsync("test_throwing")).FirstOrDefault(r => r.FinishedAt != null), "the failed run");
        Assert.Equal(JobOutcomes.Failed, run.Outcome);
        Assert.Equal("manual:admin", run.Trigger);
        Assert.Contains(ThrowingJob.Message, run.Error);
        Assert.Contains(nameof(InvalidOperationException), run.Error);

        var jobs = (await admin.GetFromJsonAsync<List<JobView>>("/api/v1/jobs"))!;
        var view = Assert.Single(jobs, j => j.Key == "test_throwing");
        Assert.Equal(JobOutcomes.Failed, view.LastRun!.Outcome);
        Assert.Contains(ThrowingJob.Message, view.LastRun.Error);
        Assert.NotNull(view.NextRun);
        Assert.Contains(jobs, j => j.Key == "audit_retention" && j.Name == "审计日志到期清理" && j.ScheduleCode == "cron:0 30 3 * * ?");
        Assert.Contains(jobs, j => j.Key == "late_report_reminders");
        Assert.Contains(jobs, j => j.Key == "permit_endorsement_reminders");
        Assert.Contains(jobs, j => j.Key == "sign_in_code_purge");
        Assert.Contains(jobs, j => j.Key == "import_lease_sweep");
        Assert.Equal(HttpStatusCode.OK, (await factory.CreateClient().GetAsync("/healthz")).StatusCode);
        var audited = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries
            .AnyAsync(a => a.Action == "jobs.run" && a.Target == "job:test_throwing" && a.UserName == "admin"));
        Assert.True(audited);
    }

    [Fact]
    public async Task Runner_ScopedBody_SeesTheJobAsTheActingParty()
    {
        var runner = factory.Services.GetRequiredService<JobRunner>();
        var run = await runner.RunAsync("test_context", DateTime.UtcNow, "manual", "test-node", default);
        Assert.Equal(JobOutcomes.Succeeded, run!.Outcome);
        Assert.Equal("job:test_context", ContextJob.Seen);
    }

    [Fact]
    public async Task Runner_RowLeftRunningByADeadNode_IsMarkedInterruptedByTheNextRun()
    {
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<KernelDbContext>();
            db.JobRuns.Add(new JobRun { JobKey = "test_context", Node = "dead-node", FireTime = DateTime.UtcNow, Trigger = "schedule", StartedAt = DateTime.UtcNow });
            return await db.SaveChangesAsync();
        });
        await factory.Services.GetRequiredService<JobRunner>().RunAsync("test_context", DateTime.UtcNow, "manual", "test-node", default);
        var runs = await RunsAsync("test_context");
        Assert.Equal(JobOutcomes.Interrupted, runs.Single(r => r.Node == "dead-node").Outcome);
        Assert.Equal(JobOutcomes.Succeeded, runs[^1].Outcome);
    }

    [Fact]
    public async Task RunNow_UnknownKey_Is404_AndOtherRolesAreRefused()
    {
        var admin = await factory.SignInAsync("admin");
        var missing = await admin.PostAsync("/api/v1/jobs/no_such_job/run", null);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("没有该定时任务", await missing.Content.ReadAsStringAsync());
        var town = await factory.SignInAsync("town");
        Assert.Equal(HttpStatusCode.Forbidden, (await town.GetAsync("/api/v1/jobs")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await town.PostAsync("/api/v1/jobs/audit_retention/run", null)).StatusCode);
    }

    [Fact]
    public async Task JobsPage_Admin_ListsEachJobWithItsScheduleAndRunNow()
    {
        var admin = await factory.SignInAsync("admin");
        var html = await admin.GetStringAsync("/jobs");
        Assert.Contains("定时任务", html);
        Assert.Contains("审计日志到期清理", html);
        Assert.Contains("房东逾期登记短信提醒", html);
        Assert.Contains("每隔 1 小时", html);
        Assert.Contains("立即运行", html);
        var town = await factory.SignInAsync("town");
        var refused = await town.GetAsync("/jobs");
        Assert.DoesNotContain("立即运行", await refused.Content.ReadAsStringAsync());
    }
}
