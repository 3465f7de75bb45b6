namespace CivicGrid.AntiFraud.Engine;

/// <summary>Settings under CivicGrid:AntiFraud.</summary>
public sealed class AntiFraudOptions
{
    public const string Section = "CivicGrid:AntiFraud";

    /// <summary>The station (a town region id) that receives alerts about people the register does not know; else the district.</summary>
    public int? DefaultStationRegionId { get; set; }

    /// <summary>Where the engine keeps its snapshot of open windows; by default beside the SQLite file, or under ./data.</summary>
    public string? SnapshotPath { get; set; }

    /// <summary>When set, a JetStream consumer feeds the engine (nats://host:port).</summary>
    public string? NatsUrl { get; set; }

    public string NatsStream { get; set; } = "CIVICGRID_EVENTS";

    public string NatsSubjects { get; set; } = "civicgrid.events.>";

    public string NatsDurable { get; set; } = "antifraud-engine";

    /// <summary>Alerts waiting to be stored; when full, the engine's shard waits (backpressure) instead of dropping.</summary>
    public int AlertQueueCapacity { get; set; } = 10_000;
}
