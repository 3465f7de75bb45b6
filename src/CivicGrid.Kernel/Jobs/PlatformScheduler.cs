using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Time;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Quartz;

namespace CivicGrid.Kernel.Jobs;

/// <summary>The scheduler's settings (<c>CivicGrid:Jobs</c>).</summary>
public sealed class JobOptions
{
    public const string Section = "CivicGrid:Jobs";

    /// <summary>Whether this node runs jobs. A node with false still lists them and stores "run now" for the others.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>This node's name in the cluster and in <c>job_runs</c>; default host name and process id.</summary>
    public string? NodeId { get; set; }

    /// <summary>How often a node records in the database that it is alive (PostgreSQL only).</summary>
    public TimeSpan CheckinInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long past a missed check-in the others take a node for dead and recover its jobs.</summary>
    public TimeSpan CheckinMisfireThreshold { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Per job key, a schedule that replaces the built-in one: an interval ("00:30:00") or a cron expression.</summary>
    public Dictionary<string, string> Schedules { get; set; } = new(StringComparer.Ordinal);

    public string ResolvedNodeId => string.IsNullOrWhiteSpace(NodeId) ? DefaultNodeId(Environment.ProcessId) : NodeId.Trim();

    private static string DefaultNodeId(int processId) => $"{Environment.MachineName}:{processId}";

    /// <summary>
    /// Whether <paramref name="nodeId"/> is a default node id (host:pid) of this machine whose process no longer runs: a node
    /// restarted here has a new id, so its old claims (leases on imports, later on messages) can be given up at once instead
    /// of when their lease runs out. Ids of other machines, and configured ids, are never taken for dead here.
    /// </summary>
    public static bool IsDeadOnThisMachine(string nodeId)
    {
        var prefix = Environment.MachineName + ":";
        if (!nodeId.StartsWith(prefix, StringComparison.Ordinal)
            || !int.TryParse(nodeId.AsSpan(prefix.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var pid)
            || pid == Environment.ProcessId)
            return false;
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return true; // no such process
        }
    }
}

public static class PlatformJobs
{
    /// <summary>The scheduler's name, the same on every node: Quartz clusters the schedulers of one name on one database.</summary>
    public const string SchedulerName = "CivicGrid";

    public const string Group = "civicgrid";

    /// <summary>
    /// The platform scheduler: Quartz.NET with its clustered ADO.NET store on PostgreSQL (the qrtz_ tables come with the
    /// Kernel's migrations), so each fire time runs on one node of the cluster and a dead node's runs are recovered by
    /// another; the in-memory store on SQLite, which is one node by construction.
    /// </summary>
    public static IServiceCollection AddPlatformScheduler(this IServiceCollection services, DatabaseOptions database, IConfiguration config)
    {
        var options = config.GetSection(JobOptions.Section).Get<JobOptions>() ?? new JobOptions();
        services.AddSingleton(options);
        services.TryAddSingleton<JobRunner>();
        services.TryAddSingleton<JobBoard>();
        // A named scheduler: its parts are registered under its own key, so the clock given here is its own. The default
        // scheduler shares the container's unkeyed services, and would run its store on the platform's TimeProvider (a
        // test's fake clock never fires a trigger).
        services.AddQuartz(SchedulerName, q =>
        {
            q.ConfigureScheduler(s => s.InstanceId = options.ResolvedNodeId);
            // Triggers run on the wall clock; the job bodies read the platform's TimeProvider.
            q.UseTimeProvider(TimeProvider.System);
            q.UseDefaultThreadPool(2);
            if (database.IsPostgres)
            {
                q.UsePersistentStore(store =>
                {
                    store.UsePostgres(database.ConnectionString);
                    store.UseClustering(c =>
                    {
                        c.CheckinInterval = options.CheckinInterval;
                        c.CheckinMisfireThreshold = options.CheckinMisfireThreshold;
                    });
                });
            }
            else
            {
                q.UseInMemoryStore();
            }
        });
        services.AddQuartzHostedService(o =>
        {
            o.WaitForJobsToComplete = true;
            o.AutoStart = options.Enabled;
        });
        // After Quartz's hosted service: puts each registered job and its trigger in the store.
        services.AddHostedService<JobScheduling>();
        return services;
    }

    /// <summary>
    /// Registers a job body (a singleton that opens its own short-lived contexts) with its key, names and default
    /// schedule; <c>CivicGrid:Jobs:Schedules:{key}</c> replaces the schedule.
    /// </summary>
    public static IServiceCollection AddPlatformJob<T>(this IServiceCollection services, string key, string name, string englishName, JobSchedule schedule)
        where T : class, IPlatformJob
    {
        services.TryAddSingleton<T>();
        services.AddSingleton(new PlatformJobDefinition(key, name, englishName, schedule, typeof(T)));
        return services;
    }

    /// <summary>The registered jobs with the schedule in force on this node.</summary>
    internal static IReadOnlyList<PlatformJobDefinition> Resolve(IEnumerable<PlatformJobDefinition> definitions, JobOptions options) =>
        definitions.GroupBy(d => d.Key).Select(g => g.Last())
            .Select(d => options.Schedules.TryGetValue(d.Key, out var s) && !string.IsNullOrWhiteSpace(s) ? d with { Schedule = Configured(d.Key, s) } : d)
            .OrderBy(d => d.Key, StringComparer.Ordinal).ToList();

    /// <summary>A configured schedule, or a start-up error naming the setting (a typo must not leave a job silently unscheduled).</summary>
    private static JobSchedule Configured(string key, string text)
    {
        var schedule = JobSchedule.Parse(text);
        if (schedule.Cron is { } cron)
        {
            try
            {
                _ = new CronExpression(cron);
            }
            catch (FormatException e)
            {
                throw new InvalidOperationException(
                    $"{JobOptions.Section}:Schedules:{key} = '{text}' is neither an interval (00:30:00) nor a cron expression (0 30 3 * * ?): {e.Message}", e);
            }
        }
        return schedule;
    }

    /// <summary>The platform scheduler of this node (built on first use, started by Quartz's hosted service).</summary>
    internal static async Task<IScheduler> SchedulerAsync(IServiceProvider services, CancellationToken ct) =>
        await services.GetRequiredKeyedService<ISchedulerFactory>(SchedulerName).GetScheduler(ct);

    internal static JobKey KeyOf(string key) => new(key, Group);

    internal static TriggerKey TriggerOf(string key) => new(key, Group);

    internal static ITrigger BuildTrigger(PlatformJobDefinition d, DateTimeOffset now)
    {
        var builder = TriggerBuilder.Create().WithIdentity(TriggerOf(d.Key)).ForJob(KeyOf(d.Key)).WithDescription(d.Schedule.Code);
        if (d.Schedule.Cron is { } cron)
        {
            // After downtime a missed fire runs once at once, then the schedule goes on (not once per missed fire).
            return builder.WithCronSchedule(cron, c => c.InTimeZone(ChinaTime.Zone).WithMisfireInstruction(CronTriggerMisfireInstruction.FireAndProceed))
                .StartAt(now).Build();
        }
        var interval = d.Schedule.Interval!.Value;
        // The first run one interval after start, so a platform restarted (or a test started) does not fire every job at
        // once; a missed fire runs once at once and the count starts again from there.
        return builder.WithSimpleSchedule(s => s.WithInterval(interval).RepeatForever().WithMisfireInstruction(SimpleTriggerMisfireInstruction.NowWithExistingCount))
            .StartAt(now + interval).Build();
    }
}

/// <summary>
/// Puts every registered job in the scheduler's store at start: the job itself (replaced, so a changed class is picked
/// up), and its trigger only when none with the same schedule is stored. A node starting next to a running one so leaves
/// the cluster's next fire time alone, and two nodes starting at once store one trigger (the store decides under its lock).
/// </summary>
internal sealed class JobScheduling(IServiceProvider services, IEnumerable<PlatformJobDefinition> definitions, JobOptions options,
    ILogger<JobScheduling> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var scheduler = await PlatformJobs.SchedulerAsync(services, cancellationToken);
        var now = DateTimeOffset.UtcNow;
        foreach (var d in PlatformJobs.Resolve(definitions, options))
        {
            var job = JobBuilder.Create<PlatformQuartzJob>().WithIdentity(PlatformJobs.KeyOf(d.Key)).WithDescription(d.Name)
                .StoreDurably().RequestRecovery().Build();
            await scheduler.AddJob(job, AddJobOptions.Replacing, cancellationToken);
            var stored = await scheduler.GetTrigger(PlatformJobs.TriggerOf(d.Key), cancellationToken);
            var trigger = PlatformJobs.BuildTrigger(d, now);
            if (stored is null)
            {
                await scheduler.ScheduleTrigger(trigger, TriggerConflict.Keep, cancellationToken);
            }
            else if (stored.Description != d.Schedule.Code)
            {
                logger.LogInformation("Job {Job}: schedule changed to {Schedule}", d.Key, d.Schedule.Code);
                await scheduler.ScheduleTrigger(trigger, TriggerConflict.Replace, cancellationToken);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Quartz's side of every platform job: finds the body by the job's key and hands it to <see cref="JobRunner"/>.</summary>
[DisallowConcurrentExecution]
internal sealed class PlatformQuartzJob(JobRunner runner) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        var key = context.JobDetail.Key.Name;
        var fireTime = (context.ScheduledFireTimeUtc ?? context.FireTimeUtc).UtcDateTime;
        var trigger = context.Recovering ? "recovery"
            : context.MergedJobDataMap.TryGetValue(JobBoard.RequestedBy, out var by) && by is string user ? $"manual:{user}"
            : context.Trigger.Key.Equals(PlatformJobs.TriggerOf(key)) ? "schedule" : "manual";
        await runner.RunAsync(key, fireTime, trigger, context.Scheduler.SchedulerInstanceId, cancellationToken);
    }
}

/// <summary>
/// Runs one job body: in a DI scope of its own whose request context is the job, every exception caught (a job never
/// takes the host down; the next fire time tries again), each run recorded in <c>job_runs</c>.
/// </summary>
public sealed class JobRunner(IServiceScopeFactory scopes, IDbContextFactory<KernelDbContext> kernel, IEnumerable<PlatformJobDefinition> definitions,
    TimeProvider time, ILogger<JobRunner> logger)
{
    /// <summary>Runs the job <paramref name="key"/> now, in this process; returns its recorded run (null for an unknown key).</summary>
    public async Task<JobRun?> RunAsync(string key, DateTime fireTime, string trigger, string node, CancellationToken ct)
    {
        var definition = definitions.LastOrDefault(d => d.Key == key);
        if (definition is null)
        {
            logger.LogWarning("Job {Job} is in the scheduler's store but not registered on this node", key);
            return null;
        }
        var run = new JobRun
        {
            JobKey = key, Node = node, FireTime = DateTime.SpecifyKind(fireTime, DateTimeKind.Utc), Trigger = trigger,
            StartedAt = time.GetUtcNow().UtcDateTime,
        };
        await RecordAsync(run, start: true);
        using var activity = Operations.PlatformMetrics.Source.StartActivity($"job {key}");
        activity?.SetTag("civicgrid.job", key);
        activity?.SetTag("civicgrid.node", node);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            using var scope = scopes.CreateScope();
            var acting = Acting.Job(key);
            scope.ServiceProvider.GetService<RequestContext>()?.Use(acting);
            var body = (IPlatformJob)scope.ServiceProvider.GetRequiredService(definition.JobType);
            await body.RunAsync(acting, ct);
            run.Outcome = JobOutcomes.Succeeded;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            run.Outcome = JobOutcomes.Interrupted;
            run.Error = Bilingual.Both("节点停止，运行被取消", "the node stopped; the run was cancelled");
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {Job} failed", key);
            run.Outcome = JobOutcomes.Failed;
            run.Error = Truncate($"{e.GetType().Name}: {e.Message}", 2000);
        }
        run.FinishedAt = time.GetUtcNow().UtcDateTime;
        await RecordAsync(run, start: false);
        Operations.PlatformMetrics.JobRuns.Add(1, Operations.PlatformMetrics.Tag("job", key), Operations.PlatformMetrics.Tag("outcome", run.Outcome));
        Operations.PlatformMetrics.JobDuration.Record(watch.Elapsed.TotalSeconds, Operations.PlatformMetrics.Tag("job", key));
        activity?.SetTag("civicgrid.outcome", run.Outcome);
        if (run.Outcome == JobOutcomes.Failed) activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error);
        return run;
    }

    /// <summary>
    /// Writes the run's row. At start, earlier runs of the same job still marked running are marked interrupted: runs of a
    /// job never overlap in the cluster, so such a row is a node that died mid-run. A failure to record is logged, not
    /// thrown: the database being away must not stop the body from being tried.
    /// </summary>
    private async Task RecordAsync(JobRun run, bool start)
    {
        try
        {
            await using var db = await kernel.CreateDbContextAsync(CancellationToken.None);
            if (start)
            {
                var message = Bilingual.Both("节点在运行中停止，由后续运行接替", "the node stopped mid-run; a later run took over");
                await db.JobRuns.Where(r => r.JobKey == run.JobKey && r.Outcome == JobOutcomes.Running)
                    .ExecuteUpdateAsync(u => u.SetProperty(r => r.Outcome, JobOutcomes.Interrupted).SetProperty(r => r.Error, message), CancellationToken.None);
                db.JobRuns.Add(run);
            }
            else if (run.Id != 0)
            {
                db.JobRuns.Attach(run);
                db.Entry(run).Property(r => r.Outcome).IsModified = true;
                db.Entry(run).Property(r => r.Error).IsModified = true;
                db.Entry(run).Property(r => r.FinishedAt).IsModified = true;
            }
            await db.SaveChangesAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {Job}: the run could not be recorded", run.JobKey);
        }
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max];
}
