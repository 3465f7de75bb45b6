using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace CivicGrid.Kernel.Jobs;

/// <summary>A job as the jobs page and <c>GET /api/v1/jobs</c> show it: times are UTC (the page shows China time).</summary>
public sealed record JobView(string Key, string Name, string Schedule, string ScheduleCode, JobRunView? LastRun, JobRunView? LastFailure,
    DateTime? NextRun, bool Paused);

public sealed record JobRunView(long Id, string Node, DateTime FireTime, string Trigger, DateTime StartedAt, DateTime? FinishedAt, string Outcome,
    string OutcomeTitle, string? Error)
{
    public static JobRunView Of(JobRun r) => new(r.Id, r.Node, r.FireTime, r.Trigger, r.StartedAt, r.FinishedAt, r.Outcome, JobOutcomes.Title(r.Outcome), r.Error);
}

/// <summary>The jobs' state for district admins: schedule, last run and outcome, next run; and "run now".</summary>
public sealed class JobBoard(IServiceProvider services, IEnumerable<PlatformJobDefinition> definitions, JobOptions options,
    IDbContextFactory<KernelDbContext> kernel, TimeProvider time)
{
    /// <summary>Job data key of a manual run: the account that asked for it (recorded as the run's trigger).</summary>
    public const string RequestedBy = "civicgrid.requested_by";

    public IReadOnlyList<PlatformJobDefinition> Jobs => PlatformJobs.Resolve(definitions, options);

    public async Task<IReadOnlyList<JobView>> ListAsync(CancellationToken ct)
    {
        var scheduler = await PlatformJobs.SchedulerAsync(services, ct);
        await using var db = await kernel.CreateDbContextAsync(ct);
        var views = new List<JobView>();
        foreach (var d in Jobs)
        {
            var last = await db.JobRuns.AsNoTracking().Where(r => r.JobKey == d.Key).OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct);
            var failure = last is null || last.Outcome == JobOutcomes.Failed ? null
                : await db.JobRuns.AsNoTracking().Where(r => r.JobKey == d.Key && r.Outcome == JobOutcomes.Failed).OrderByDescending(r => r.Id).FirstOrDefaultAsync(ct);
            var trigger = await scheduler.GetTrigger(PlatformJobs.TriggerOf(d.Key), ct);
            var state = trigger is null ? TriggerState.None : await scheduler.GetTriggerState(trigger.Key, ct);
            views.Add(new JobView(d.Key, d.DisplayName, d.Schedule.Describe(), d.Schedule.Code, last is null ? null : JobRunView.Of(last),
                failure is null ? null : JobRunView.Of(failure), trigger?.NextFireTimeUtc?.UtcDateTime, state == TriggerState.Paused));
        }
        return views;
    }

    /// <summary>The newest runs of one job, newest first.</summary>
    public async Task<List<JobRunView>> RunsAsync(string key, int count, CancellationToken ct)
    {
        await using var db = await kernel.CreateDbContextAsync(ct);
        return (await db.JobRuns.AsNoTracking().Where(r => r.JobKey == key).OrderByDescending(r => r.Id).Take(count).ToListAsync(ct))
            .Select(JobRunView.Of).ToList();
    }

    /// <summary>
    /// Asks the scheduler to run <paramref name="key"/> now (on whichever node picks it up; after the current run if one
    /// is going on) and audits who asked. False for an unknown key.
    /// </summary>
    public async Task<bool> RunNowAsync(string key, Actor actor, CancellationToken ct)
    {
        if (Jobs.All(d => d.Key != key)) return false;
        var scheduler = await PlatformJobs.SchedulerAsync(services, ct);
        await scheduler.TriggerJob(PlatformJobs.KeyOf(key), new JobDataMap { [RequestedBy] = actor.UserName }, ct);
        await using var db = await kernel.CreateDbContextAsync(ct);
        db.Audit(actor, time.GetUtcNow().UtcDateTime, "jobs.run", $"job:{key}");
        await db.SaveChangesAsync(ct);
        return true;
    }
}
