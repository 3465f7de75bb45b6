using System.Data.Common;
using System.Threading.Channels;
using CivicGrid.Kernel.Data;
using CivicGrid.Streams;
using Microsoft.Extensions.Logging;

namespace CivicGrid.AntiFraud.Engine;

/// <summary>
/// The platform's one rule engine (singleton): the shipped rule pack on the platform's clock, its snapshot restored at
/// start, alerts handed to <see cref="Pending"/> for the writer to store. Ingest (HTTP, JetStream) calls <see cref="Streams"/>.
/// </summary>
internal sealed class AntiFraudEngine : IAsyncDisposable
{
    private readonly Channel<Alert> pending;
    private Task? disposal;

    public AntiFraudEngine(TimeProvider time, AntiFraudOptions options, DatabaseOptions database, ILogger<AntiFraudEngine> log,
        System.Diagnostics.Metrics.IMeterFactory? meters = null)
    {
        RulesDirectory = options.RulesDirectory ?? AntiFraudPack.RulesDirectory();
        WatchlistsDirectory = options.WatchlistsDirectory ?? AntiFraudPack.WatchlistsDirectory();
        (var rules, Watchlists) = AntiFraudPack.LoadFrom(RulesDirectory, WatchlistsDirectory, time);
        pending = Channel.CreateBounded<Alert>(new BoundedChannelOptions(options.AlertQueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        SnapshotPath = options.SnapshotPath ?? DefaultSnapshotPath(database);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(SnapshotPath))!);
        EngineOptions Options() => new() { Time = time, OnAlert = Enqueue, SnapshotPath = SnapshotPath };
        try
        {
            Streams = new StreamEngine(rules, Options());
        }
        catch (Exception e) when (e is IOException or InvalidDataException or EndOfStreamException or FormatException or ArgumentException)
        {
            // A damaged snapshot must not keep the platform down: keep it aside for inspection and start empty.
            log.LogError(e, "Anti-fraud snapshot {Path} could not be restored; moved aside, starting without it", SnapshotPath);
            File.Move(SnapshotPath, SnapshotPath + ".bad-" + time.GetUtcNow().ToUnixTimeSeconds(), overwrite: true);
            Streams = new StreamEngine(rules, Options());
        }
        if (meters is not null) Observe(meters);
    }

    public StreamEngine Streams { get; }

    /// <summary>
    /// The engine's counts as observable instruments on the host's meter (one per host, so that a test host's engine is not
    /// kept alive by a static meter): events accepted (a rate in the backend gives events/s), duplicates, alerts raised, queue.
    /// </summary>
    private void Observe(System.Diagnostics.Metrics.IMeterFactory meters)
    {
        var meter = meters.Create(new System.Diagnostics.Metrics.MeterOptions(Kernel.Operations.PlatformMetrics.Name + ".AntiFraud"));
        meter.CreateObservableCounter("civicgrid.antifraud.events", () => Streams.Stats().Accepted, "{event}", "Events accepted by the engine");
        meter.CreateObservableCounter("civicgrid.antifraud.duplicates", () => Streams.Stats().Duplicates, "{event}", "Events dropped as repeats");
        meter.CreateObservableCounter("civicgrid.antifraud.alerts", () => Streams.Stats().Alerts, "{alert}", "Alerts raised by the engine");
        meter.CreateObservableGauge("civicgrid.antifraud.pending_alerts", () => pending.Reader.Count, "{alert}", "Alerts raised and not yet stored");
    }

    public Watchlists Watchlists { get; }

    public string SnapshotPath { get; }

    /// <summary>The rule files the engine runs (CivicGrid:AntiFraud:RulesDirectory, else the shipped pack).</summary>
    public string RulesDirectory { get; }

    /// <summary>The watchlist files (CivicGrid:AntiFraud:WatchlistsDirectory, else the shipped lists).</summary>
    public string WatchlistsDirectory { get; }

    /// <summary>Alerts raised and not yet stored.</summary>
    public ChannelReader<Alert> Pending => pending.Reader;

    /// <summary>
    /// Runs on the engine's processing thread. When the store falls behind and the queue is full, the shard waits here:
    /// backpressure reaches the ingest instead of alerts being dropped or memory growing without bound.
    /// </summary>
    private void Enqueue(Alert alert)
    {
        if (!pending.Writer.TryWrite(alert))
        {
            pending.Writer.WriteAsync(alert).AsTask().GetAwaiter().GetResult();
        }
    }

    /// <summary>The snapshot belongs to the database whose alerts it matches: beside the SQLite file, or named after the PostgreSQL database.</summary>
    internal static string DefaultSnapshotPath(DatabaseOptions database)
    {
        var parts = new DbConnectionStringBuilder { ConnectionString = database.ConnectionString };
        if (!database.IsPostgres)
        {
            var file = parts.TryGetValue("Data Source", out var ds) ? ds?.ToString() : null;
            var dir = string.IsNullOrEmpty(file) || file == ":memory:" ? "data" : Path.GetDirectoryName(Path.GetFullPath(file))!;
            return Path.Combine(dir, "antifraud.snap");
        }
        var name = parts.TryGetValue("Database", out var db) ? db?.ToString() : null;
        var safe = new string((name ?? "postgres").Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray());
        return Path.Combine("data", $"antifraud-{safe}.snap");
    }

    /// <summary>
    /// Stops the engine and writes its snapshot once. The host's stop (AlertWriter) and the container's disposal both
    /// call this, possibly overlapping when shutdown runs late; the second caller waits for the first.
    /// </summary>
    public ValueTask DisposeAsync()
    {
        lock (pending)
        {
            disposal ??= DisposeOnceAsync();
        }
        return new ValueTask(disposal);
    }

    private async Task DisposeOnceAsync()
    {
        try
        {
            await Streams.DisposeAsync();
        }
        finally
        {
            pending.Writer.TryComplete();
        }
    }
}
