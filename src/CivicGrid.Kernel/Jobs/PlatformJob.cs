using System.Globalization;
using CivicGrid.Kernel.Context;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Kernel.Jobs;

/// <summary>
/// A scheduled job of the platform: its body. The scheduler runs it once per fire time across all nodes; a body must be
/// idempotent all the same (a node killed mid-run has its run recovered by another node, which runs the body again).
/// </summary>
public interface IPlatformJob
{
    /// <summary>Does one run; <paramref name="job"/> is the acting party (audit lines name it).</summary>
    Task RunAsync(Acting job, CancellationToken ct);
}

/// <summary>When a job runs: a Quartz cron expression in China time (seconds first) or a fixed interval.</summary>
public sealed record JobSchedule(string? Cron, TimeSpan? Interval)
{
    public static JobSchedule Every(TimeSpan interval) => new(null, interval);

    /// <summary>A Quartz cron expression ("0 30 3 * * ?" is 03:30 every day), read in China time.</summary>
    public static JobSchedule AtCron(string cron) => new(cron, null);

    /// <summary>A configured schedule: an interval ("01:00:00", "00:00:02") or a cron expression.</summary>
    public static JobSchedule Parse(string text) =>
        TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var interval) && interval > TimeSpan.Zero ? Every(interval) : AtCron(text.Trim());

    /// <summary>The same text for the same schedule, kept on the trigger so that a restart leaves an unchanged schedule alone.</summary>
    public string Code => Cron is { } cron ? $"cron:{cron}" : $"every:{Interval!.Value.ToString("c", CultureInfo.InvariantCulture)}";

    /// <summary>For the jobs page.</summary>
    public string Describe() => Cron is { } cron
        ? Bilingual.Pick($"定时（cron：{cron}，北京时间）", $"cron {cron} (China time)")
        : Bilingual.Pick($"每隔 {Span(Interval!.Value, true)}", $"every {Span(Interval!.Value, false)}");

    private static string Span(TimeSpan t, bool chinese) => (t.TotalHours, t.TotalMinutes, t.TotalSeconds) switch
    {
        var (h, _, _) when h >= 1 && t.Ticks % TimeSpan.TicksPerHour == 0 => chinese ? $"{h:0} 小时" : $"{h:0} h",
        var (_, m, _) when m >= 1 && t.Ticks % TimeSpan.TicksPerMinute == 0 => chinese ? $"{m:0} 分钟" : $"{m:0} min",
        var (_, _, s) => chinese ? $"{s:0.###} 秒" : $"{s:0.###} s",
    };
}

/// <summary>A registered job: its key (the code in URLs, configuration and <c>job_runs</c>), its names and schedule.</summary>
public sealed record PlatformJobDefinition(string Key, string Name, string EnglishName, JobSchedule Schedule, Type JobType)
{
    public string DisplayName => Bilingual.Pick(Name, EnglishName);
}

/// <summary>How a run ended.</summary>
public static class JobOutcomes
{
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    /// <summary>The node stopped (shut down or killed) before the run ended.</summary>
    public const string Interrupted = "interrupted";

    public static string Title(string outcome) => outcome switch
    {
        Running => Bilingual.Pick("运行中", "Running"),
        Succeeded => Bilingual.Pick("成功", "Succeeded"),
        Failed => Bilingual.Pick("失败", "Failed"),
        Interrupted => Bilingual.Pick("已中断", "Interrupted"),
        _ => outcome,
    };
}

/// <summary>One run of a job, on one node: what the jobs page shows and what the cluster tests count.</summary>
public sealed class JobRun
{
    public long Id { get; set; }
    public string JobKey { get; set; } = "";
    /// <summary>The scheduler instance (node) that ran it.</summary>
    public string Node { get; set; } = "";
    /// <summary>The fire time the trigger was scheduled for (UTC); the same for a run and its recovery on another node.</summary>
    public DateTime FireTime { get; set; }
    /// <summary>"schedule", "manual" (run now, with the account that asked) or "recovery".</summary>
    public string Trigger { get; set; } = "";
    public DateTime StartedAt { get; set; }
    public DateTime? FinishedAt { get; set; }
    public string Outcome { get; set; } = JobOutcomes.Running;
    /// <summary>The exception's type and message (no stack, no personal data: bodies log ids only).</summary>
    public string? Error { get; set; }
}

public static class JobRunModel
{
    public static void MapJobRuns(this ModelBuilder model) => model.Entity<JobRun>(e =>
    {
        e.ToTable("job_runs");
        e.Property(x => x.JobKey).HasMaxLength(64);
        e.Property(x => x.Node).HasMaxLength(128);
        e.Property(x => x.Trigger).HasMaxLength(64);
        e.Property(x => x.Outcome).HasMaxLength(16);
        e.Property(x => x.Error).HasMaxLength(2000);
        e.HasIndex(x => new { x.JobKey, x.StartedAt });
        e.HasIndex(x => new { x.JobKey, x.FireTime });
    });
}
