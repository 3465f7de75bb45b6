using System.Collections.Concurrent;
using System.Collections.Frozen;

namespace CivicGrid.Streams;

/// <summary>How the police respond to a subject's risk score (thresholds come from the rule pack's `scoring`).</summary>
public enum ResponseLevel
{
    None = 0,
    /// <summary>An SMS from 12381, the national anti-fraud warning line.</summary>
    Sms12381 = 1,
    /// <summary>A call from 96110, the anti-fraud hotline.</summary>
    Call96110 = 2,
    /// <summary>Officers or grid workers visit the resident in person.</summary>
    Visit = 3,
}

/// <summary>The risk score: each rule match adds the rule's weight; the score halves every <see cref="HalfLife"/>.</summary>
public sealed record Scoring(TimeSpan HalfLife, double Sms12381, double Call96110, double Visit)
{
    public static Scoring Default { get; } = new(TimeSpan.FromHours(6), 40, 70, 100);

    public ResponseLevel LevelFor(double score) =>
        score >= Visit ? ResponseLevel.Visit
        : score >= Call96110 ? ResponseLevel.Call96110
        : score >= Sms12381 ? ResponseLevel.Sms12381
        : ResponseLevel.None;

    /// <summary>The score <paramref name="elapsed"/> after it was <paramref name="score"/>.</summary>
    public double Decay(double score, TimeSpan elapsed) =>
        elapsed <= TimeSpan.Zero ? score : score * Math.Pow(0.5, elapsed / HalfLife);
}

public enum RuleType
{
    /// <summary>A condition on one event.</summary>
    Match,
    /// <summary>Count, sum or distinct count over a per-subject sliding window.</summary>
    Window,
    /// <summary>Steps in order within a time, correlated on attributes, possibly with an absent step.</summary>
    Sequence,
}

internal enum Aggregate
{
    Count,
    Sum,
    Distinct,
}

/// <summary>`same: { number: call.number }`: this event's attribute equals the attribute of an earlier step's event.</summary>
internal readonly record struct Correlation(string Attribute, int Step, string OtherAttribute);

internal sealed class SequenceStep
{
    public required string Name { get; init; }
    public required string[] Kinds { get; init; }
    public required Func<StreamEvent, bool> Where { get; init; }
    public required Correlation[] Same { get; init; }
    public bool Absent { get; init; }
    /// <summary>Max time after the previous step (0 = only the sequence's `within` applies).</summary>
    public long WithinTicks { get; init; }

    public bool Matches(StreamEvent e, StreamEvent?[] bound)
    {
        if (Array.IndexOf(Kinds, e.Kind) < 0 || !Where(e))
        {
            return false;
        }
        foreach (var c in Same)
        {
            var mine = e.Text(c.Attribute);
            var theirs = bound[c.Step]?.Text(c.OtherAttribute);
            if (mine is null || theirs is null || !string.Equals(mine, theirs, StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }
        return true;
    }
}

/// <summary>A validated, compiled rule: predicates are delegates built once at load.</summary>
public sealed class Rule
{
    public required string Id { get; init; }
    public required string Category { get; init; }
    public string? Description { get; init; }
    public required RuleType Type { get; init; }
    public double Weight { get; init; }
    public TimeSpan? Cooldown { get; init; }
    /// <summary>"file.yaml:12", where the rule was defined.</summary>
    public required string Source { get; init; }

    /// <summary>The kinds that can affect this rule (the engine's index key).</summary>
    public required IReadOnlyList<string> Kinds { get; init; }

    /// <summary>
    /// Rule type and shape (kinds, conditions, durations). State kept for a rule survives a reload only
    /// when the reloaded rule has the same id and fingerprint.
    /// </summary>
    internal string Fingerprint { get; init; } = "";

    internal int StateKey => _stateKey ??= RuleStateKeys.For(Id + "\n" + Fingerprint);
    private int? _stateKey;

    // Match and Window
    internal Func<StreamEvent, bool> Where { get; init; } = static _ => true;
    /// <summary>The `where` as a tree, compiled together with the other rules of the same kind (<see cref="KindPlan"/>).</summary>
    internal Condition Condition { get; init; } = Condition.True;
    internal string[] OwnKinds { get; init; } = [];

    // Window
    internal long OverTicks { get; init; }
    internal Aggregate Aggregate { get; init; }
    internal string? Of { get; init; }
    internal double AtLeast { get; init; }

    // Sequence
    internal long WithinTicks { get; init; }
    internal SequenceStep[] Steps { get; init; } = [];

    public override string ToString() => $"{Id} ({Type}, {Source})";
}

/// <summary>Stable small integers for (rule id, fingerprint), so per-subject state can find its rule after a reload.</summary>
internal static class RuleStateKeys
{
    private static readonly ConcurrentDictionary<string, int> Keys = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<int, string> Names = new();
    private static int _next;

    public static int For(string idAndFingerprint) =>
        Keys.GetOrAdd(idAndFingerprint, k =>
        {
            var key = Interlocked.Increment(ref _next);
            Names[key] = k;
            return key;
        });

    public static string NameOf(int key) => Names[key];
}

/// <summary>
/// The rules an event of one kind can affect, in pack order, and the single-event conditions of its
/// match and window rules compiled into one function per 64 rules: bit i of the mask says whether
/// Rules[i]'s `where` holds. Sequence rules keep their per-step predicates (their state decides which
/// step is tested).
/// </summary>
internal sealed class KindPlan
{
    public KindPlan(Rule[] rules)
    {
        Rules = rules;
        Masks = rules.Chunk(64)
            .Select(chunk => ConditionCompiler.Mask(chunk.Select(r => r.Type == RuleType.Sequence ? null : r.Condition).ToArray()))
            .ToArray();
        ulong[] Bits(RuleType type) => rules.Chunk(64)
            .Select(chunk => chunk.Select((r, i) => r.Type == type ? 1UL << i : 0).Aggregate(0UL, (a, b) => a | b))
            .ToArray();
        MatchBits = Bits(RuleType.Match);
        SequenceBits = Bits(RuleType.Sequence);
        AllBits = Masks.Select(_ => ulong.MaxValue).ToArray();
        NoBits = new ulong[Masks.Length];
    }

    public Rule[] Rules { get; }
    public Func<EventField[], ulong>[] Masks { get; }

    /// <summary>Per 64 rules: the bits of match rules (what <see cref="RulePack.Match"/> reports).</summary>
    public ulong[] MatchBits { get; }
    /// <summary>Per 64 rules: the bits of sequence rules (the engine looks at them for every event of the kind).</summary>
    public ulong[] SequenceBits { get; }
    public ulong[] AllBits { get; }
    public ulong[] NoBits { get; }
}

/// <summary>A set of rules and the scoring that goes with them, as loaded from YAML files.</summary>
public sealed class RulePack
{
    internal RulePack(IReadOnlyList<Rule> rules, Scoring scoring)
    {
        Rules = rules;
        Scoring = scoring;
        ByKind = rules
            .SelectMany(r => r.Kinds.Select(k => (Kind: k, Rule: r)))
            .GroupBy(x => x.Kind, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => new KindPlan(g.Select(x => x.Rule).ToArray()), StringComparer.Ordinal);
        ByKindId = EventKinds.Index(ByKind);
        ByStateKey = rules.ToFrozenDictionary(r => r.StateKey);
        MaxStateTicks = rules.Count == 0 ? 0 : rules.Max(r => Math.Max(r.OverTicks, r.WithinTicks));
    }

    public IReadOnlyList<Rule> Rules { get; }
    public Scoring Scoring { get; }

    internal FrozenDictionary<string, KindPlan> ByKind { get; }
    /// <summary><see cref="ByKind"/> as an array indexed by <see cref="StreamEvent.KindId"/>.</summary>
    internal KindPlan?[] ByKindId { get; }

    /// <summary>
    /// Evaluates the pack's single-event rules (<see cref="RuleType.Match"/>) on one event and returns the
    /// rules whose kind and `where` hold, in pack order, without any state: no validation, no dedup by
    /// event id, no subject, cooldown or score. It is the same code <see cref="StreamEngine.Process"/> uses
    /// to decide which rules an event concerns (one compiled function per event kind and 64 rules), so for
    /// a valid, new event the rules reported here are the match rules the engine fires for it
    /// (<see cref="EngineOptions.OnMatch"/>; cooldown only decides whether a match scores), unless the
    /// engine cannot track the subject (<see cref="EngineOptions.MaxSubjects"/>). Window and sequence
    /// rules need state and are never reported.
    /// Allocation-free: enumerate the result with foreach. Thread-safe.
    /// </summary>
    public MatchedRules Match(StreamEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return PlanFor(e) is { } plan ? new MatchedRules(plan, e.Fields, plan.MatchBits, plan.NoBits) : default;
    }

    /// <summary>
    /// The rules the engine must look at for this event: match and window rules whose `where` holds, and
    /// every sequence rule of its kind, in pack order. Started: the first 64 rules are evaluated here.
    /// </summary>
    internal MatchedRules.Enumerator Candidates(StreamEvent e) =>
        PlanFor(e) is { } plan ? new MatchedRules(plan, e.Fields, plan.AllBits, plan.SequenceBits).GetEnumerator() : default;

    /// <summary>The plan for an event's kind, or null when no rule cares about it.</summary>
    internal KindPlan? PlanFor(StreamEvent e) =>
        EventKinds.Find(ByKindId, e.KindId) ?? (e.KindId < 0 ? ByKind.GetValueOrDefault(e.Kind) : null);
    internal FrozenDictionary<int, Rule> ByStateKey { get; }
    internal long MaxStateTicks { get; }

    public static RulePack Empty { get; } = new([], Scoring.Default);

    /// <summary>Loads every *.yaml / *.yml file of a directory. Throws <see cref="RuleLoadException"/> listing every error.</summary>
    public static RulePack LoadDirectory(string directory, Watchlists watchlists)
    {
        var files = Directory.EnumerateFiles(directory)
            .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileName(f), File.ReadAllText(f)));
        return Load(files, watchlists);
    }

    /// <summary>Loads rule files given as (file name, YAML text). Throws <see cref="RuleLoadException"/> listing every error.</summary>
    public static RulePack Load(IEnumerable<(string File, string Yaml)> files, Watchlists watchlists) =>
        new RuleLoader(watchlists).Load(files);

    public static RulePack Parse(string yaml, Watchlists watchlists, string file = "rules.yaml") =>
        Load([(file, yaml)], watchlists);
}

/// <summary>One problem in a rule file: where it is and which field.</summary>
public sealed record RuleError(string File, int Line, string Field, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Field}: {Message}";
}

public sealed class RuleLoadException : Exception
{
    public RuleLoadException(IReadOnlyList<RuleError> errors)
        : base("Invalid rules:" + Environment.NewLine + string.Join(Environment.NewLine, errors)) => Errors = errors;

    public RuleLoadException() : this([]) { }

    public RuleLoadException(string message) : base(message) => Errors = [];

    public RuleLoadException(string message, Exception inner) : base(message, inner) => Errors = [];

    public IReadOnlyList<RuleError> Errors { get; }
}
