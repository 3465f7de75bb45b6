namespace CivicGrid.AntiFraud.Engine;

/// <summary>Settings under CivicGrid:AntiFraud.</summary>
internal sealed class AntiFraudOptions
{
    public const string Section = "CivicGrid:AntiFraud";

    /// <summary>The station (a town region id) that receives alerts about people the register does not know; else the district.</summary>
    public int? DefaultStationRegionId { get; set; }

    /// <summary>Where the engine keeps its snapshot of open windows; by default beside the SQLite file, or under ./data.</summary>
    public string? SnapshotPath { get; set; }

    /// <summary>
    /// The rule files (*.yaml) the engine runs; by default the shipped pack beside the binaries. A district that edits its
    /// rules points this at its own folder, so an upgrade does not overwrite them, and reloads them on /antifraud/rules.
    /// </summary>
    public string? RulesDirectory { get; set; }

    /// <summary>The watchlists (*.csv, one list per file); by default the shipped ones. Uploads on /antifraud/rules write here.</summary>
    public string? WatchlistsDirectory { get; set; }

    /// <summary>When set, a JetStream consumer feeds the engine (nats://host:port).</summary>
    public string? NatsUrl { get; set; }

    public string NatsStream { get; set; } = "CIVICGRID_EVENTS";

    public string NatsSubjects { get; set; } = "civicgrid.events.>";

    public string NatsDurable { get; set; } = "antifraud-engine";

    /// <summary>Alerts waiting to be stored; when full, the engine's shard waits (backpressure) instead of dropping.</summary>
    public int AlertQueueCapacity { get; set; } = 10_000;
}
