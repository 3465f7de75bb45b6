namespace CivicGrid.Streams;

public sealed class EngineOptions
{
    /// <summary>Clock for validation ("absurd time"), timers (negation deadlines, eviction, snapshots) and alert timestamps.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public EventSchema Schema { get; init; } = EventSchema.Default;

    /// <summary>Called for every alert, on the thread that processed the event: keep it short (write to a channel).</summary>
    public Action<Alert>? OnAlert { get; init; }
    /// <summary>Called for every rule match, before cooldown and scoring.</summary>
    public Action<RuleMatch>? OnMatch { get; init; }

    /// <summary>State is partitioned by subject into this many shards, each with its own lock and ingest channel.</summary>
    public int Shards { get; init; } = Environment.ProcessorCount;
    /// <summary>Bounded ingest channel per shard: writers wait when it is full (backpressure).</summary>
    public int ChannelCapacity { get; init; } = 8192;

    /// <summary>Same rule, same subject: counted and alerted once within this time (a rule may override it).</summary>
    public TimeSpan DefaultCooldown { get; init; } = TimeSpan.FromMinutes(30);
    public int MaxPartialsPerRule { get; init; } = 16;
    public int MaxWindowEntries { get; init; } = 1024;
    public int MaxSubjects { get; init; } = 4_000_000;
    /// <summary>A subject not seen for this long is forgotten even if it still has state.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromDays(30);
    /// <summary>Below this the decayed score counts as zero and an idle subject can be evicted.</summary>
    public double ScoreFloor { get; init; } = 1.0;
    /// <summary>How many recent event ids are remembered to drop duplicates (across all shards).</summary>
    public int DedupWindow { get; init; } = 1_000_000;

    /// <summary>How often timers run: negation deadlines, incremental eviction sweep.</summary>
    public TimeSpan TickInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Subjects examined per shard per tick by the eviction sweep.</summary>
    public int SweepBatch { get; init; } = 2000;
    /// <summary>A negation ("no call-back within 30m") is decided this long after its deadline, to let late events in.</summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>File for the periodic snapshot of open windows; restored when the engine is created. Null: no snapshots.</summary>
    public string? SnapshotPath { get; init; }
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromMinutes(1);
}
