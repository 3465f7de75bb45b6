namespace CivicGrid.Streams;

/// <summary>
/// A warning about one resident: which rule fired, the response the score calls for, and the
/// evidence (the events that fired the rule, in event-time order).
/// </summary>
public sealed record Alert(
    string Subject,
    string RuleId,
    string Category,
    string? Description,
    ResponseLevel Response,
    double Score,
    DateTimeOffset Time,
    DateTimeOffset RaisedAt,
    IReadOnlyList<StreamEvent> Evidence);

/// <summary>Every rule match, before cooldown and scoring (for audit, tests and benchmarks).</summary>
public readonly record struct RuleMatch(string Subject, Rule Rule, DateTimeOffset Time, IReadOnlyList<StreamEvent> Evidence);

/// <summary>What became of one event handed to the engine.</summary>
public readonly record struct EventOutcome(EventStatus Status, Rejection? Rejection = null)
{
    public static EventOutcome Accepted { get; } = new(EventStatus.Accepted);
    public static EventOutcome Duplicate { get; } = new(EventStatus.Duplicate);
}

public enum EventStatus
{
    Accepted,
    Duplicate,
    Rejected,
}

/// <summary>Counters of the engine since it started (a consistent-enough snapshot, read without stopping the shards).</summary>
public sealed record EngineStats
{
    public long Accepted { get; init; }
    public long Duplicates { get; init; }
    public IReadOnlyDictionary<string, long> Rejected { get; init; } = new Dictionary<string, long>();
    public long Matches { get; init; }
    public long Alerts { get; init; }
    /// <summary>Matches not counted again because the same rule fired for the subject within its cooldown.</summary>
    public long Suppressed { get; init; }
    /// <summary>Oldest partial sequence matches dropped because a subject hit the per-rule cap.</summary>
    public long PartialsDropped { get; init; }
    /// <summary>Oldest window entries dropped because a window hit its cap.</summary>
    public long WindowEntriesDropped { get; init; }
    /// <summary>Events whose subject could not be tracked because the engine was full.</summary>
    public long SubjectsDropped { get; init; }
    /// <summary>Idle subjects removed (nothing open, score decayed).</summary>
    public long SubjectsEvicted { get; init; }
    public long Subjects { get; init; }
    public long RejectedTotal => Rejected.Values.Sum();
}
