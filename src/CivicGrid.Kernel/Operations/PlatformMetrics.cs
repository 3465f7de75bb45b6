using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace CivicGrid.Kernel.Operations;

/// <summary>
/// The platform's own traces and metrics (System.Diagnostics, exported by the web host over OTLP when configured). Tags are
/// codes (a job key, an outcome, a channel, an import kind), never a person: no ID number, phone or name reaches telemetry.
/// </summary>
public static class PlatformMetrics
{
    public const string Name = "CivicGrid";

    public static readonly ActivitySource Source = new(Name);

    public static readonly Meter Meter = new(Name, "1.0");

    public static readonly Counter<long> JobRuns = Meter.CreateCounter<long>("civicgrid.jobs.runs", "{run}", "Scheduled job runs, by job and outcome");

    public static readonly Histogram<double> JobDuration = Meter.CreateHistogram<double>("civicgrid.jobs.duration", "s", "How long a job run took");

    public static readonly Counter<long> ImportRows = Meter.CreateCounter<long>("civicgrid.imports.rows", "{row}", "Rows read by finished imports, by kind and outcome");

    public static readonly Counter<long> OutboxSent = Meter.CreateCounter<long>("civicgrid.outbox.sent", "{message}", "Messages delivered, by channel");

    public static readonly Counter<long> OutboxFailed = Meter.CreateCounter<long>("civicgrid.outbox.failed", "{message}", "Failed delivery attempts, by channel");

    public static readonly Histogram<double> AlertStoreLatency = Meter.CreateHistogram<double>("civicgrid.antifraud.alert_store_latency", "ms",
        "From the engine raising an alert to the alert stored and visible on the boards");

    /// <summary>Tag helper: one key and value.</summary>
    public static KeyValuePair<string, object?> Tag(string key, string? value) => new(key, value);
}
