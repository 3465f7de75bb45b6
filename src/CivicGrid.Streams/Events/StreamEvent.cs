using System.Collections.Concurrent;
using System.Globalization;

namespace CivicGrid.Streams;

/// <summary>One attribute of an event (name and value). <see cref="Number"/> is NaN when the value is not numeric.</summary>
public readonly record struct EventField(string Name, string Text, double Number)
{
    public bool IsNumber => !double.IsNaN(Number);

    public static EventField Of(string name, string text) =>
        new(AttributeNames.Intern(name), text,
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n) ? n : double.NaN);

    public static EventField Of(string name, double number) =>
        new(AttributeNames.Intern(name), number.ToString(CultureInfo.InvariantCulture), number);
}

/// <summary>
/// Something that happened to a subject: a call, an SMS, a transfer... The subject is the blind-index
/// key of a person (an opaque string), never their ID or phone number in plain text.
/// Immutable: the engine keeps references to events as evidence.
/// </summary>
public sealed class StreamEvent
{
    private readonly EventField[] _attributes;

    public StreamEvent(string id, string subject, string kind, DateTimeOffset time, EventField[] attributes)
    {
        Id = id;
        Subject = subject;
        (Kind, KindId) = EventKinds.Intern(kind);
        Time = time;
        _attributes = attributes;
    }

    public string Id { get; }
    public string Subject { get; }
    public string Kind { get; }
    public DateTimeOffset Time { get; }
    public IReadOnlyList<EventField> Attributes => _attributes;

    internal long Ticks => Time.UtcTicks;

    /// <summary>A small number per kind (-1 when the registry is full): the engine's kind index is an array.</summary>
    internal int KindId { get; }

    /// <summary>The attributes without the read-only wrapper (the engine's hot path reads them in place).</summary>
    internal EventField[] Fields => _attributes;

    /// <summary>Builds an event from loosely typed attributes (numbers stay numbers, anything else is text).</summary>
    public static StreamEvent Create(string id, string subject, string kind, DateTimeOffset time, params (string Name, object Value)[] attributes)
    {
        var attrs = new EventField[attributes.Length];
        for (var i = 0; i < attributes.Length; i++)
        {
            var (name, value) = attributes[i];
            attrs[i] = value switch
            {
                double d => EventField.Of(name, d),
                int n => EventField.Of(name, n),
                long n => EventField.Of(name, n),
                decimal m => EventField.Of(name, (double)m),
                bool b => EventField.Of(name, b ? "true" : "false"),
                _ => EventField.Of(name, Convert.ToString(value, CultureInfo.InvariantCulture) ?? ""),
            };
        }
        return new StreamEvent(id, subject, kind, time, attrs);
    }

    /// <summary>The attribute's text, or null when the event does not have it.</summary>
    public string? Text(string name)
    {
        var i = IndexOf(name);
        return i < 0 ? null : _attributes[i].Text;
    }

    /// <summary>The attribute's numeric value, or NaN when missing or not a number.</summary>
    public double Number(string name)
    {
        var i = IndexOf(name);
        return i < 0 ? double.NaN : _attributes[i].Number;
    }

    internal bool TryGet(string name, out EventField attribute)
    {
        var i = IndexOf(name);
        if (i < 0)
        {
            attribute = default;
            return false;
        }
        attribute = _attributes[i];
        return true;
    }

    // Events carry a handful of attributes: a linear scan beats hashing. Names are interned, so the
    // reference check usually answers before the string comparison.
    private int IndexOf(string name)
    {
        var attrs = _attributes;
        for (var i = 0; i < attrs.Length; i++)
        {
            var n = attrs[i].Name;
            if (ReferenceEquals(n, name) || string.Equals(n, name, StringComparison.Ordinal))
            {
                return i;
            }
        }
        return -1;
    }

    public override string ToString() => $"{Kind} {Id} {Subject} {Time:O}";
}

/// <summary>A small pool so that attribute names from rules and from parsed events share one string instance.</summary>
internal static class AttributeNames
{
    private const int MaxPooled = 4096; // names come from input: do not let a hostile stream grow the pool forever
    private static readonly ConcurrentDictionary<string, string> Pool = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> SpanLookup =
        Pool.GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Intern(string name)
    {
        if (Pool.TryGetValue(name, out var pooled))
        {
            return pooled;
        }
        return Pool.Count < MaxPooled ? Pool.GetOrAdd(name, name) : name;
    }

    public static string Intern(ReadOnlySpan<char> name)
    {
        if (SpanLookup.TryGetValue(name, out var pooled))
        {
            return pooled;
        }
        var s = name.ToString();
        return Pool.Count < MaxPooled ? Pool.GetOrAdd(s, s) : s;
    }
}

/// <summary>
/// Event kinds are interned and numbered once, when an event is made, so that the schema and the rule
/// pack find a kind's entry by index instead of hashing the kind of every event.
/// </summary>
internal static class EventKinds
{
    public const int MaxKinds = 1024; // kinds come from input too: a hostile stream gets -1, not a bigger table
    private static readonly ConcurrentDictionary<string, int> Ids = new(StringComparer.Ordinal);
    private static int _next;

    public static (string Kind, int Id) Intern(string kind)
    {
        var name = AttributeNames.Intern(kind);
        if (Ids.TryGetValue(name, out var id))
        {
            return (name, id);
        }
        if (Volatile.Read(ref _next) >= MaxKinds)
        {
            return (name, -1);
        }
        lock (Ids)
        {
            if (!Ids.TryGetValue(name, out id))
            {
                id = _next < MaxKinds ? _next++ : -1;
                if (id >= 0)
                {
                    Ids[name] = id;
                }
            }
        }
        return (name, id);
    }

    /// <summary>An array indexed by kind id, from a map of kinds (registered here if new).</summary>
    public static T?[] Index<T>(IEnumerable<KeyValuePair<string, T>> byKind) where T : class
    {
        var entries = byKind.Select(kv => (Id: Intern(kv.Key).Id, kv.Value)).Where(x => x.Id >= 0).ToList();
        var array = new T?[entries.Count == 0 ? 0 : entries.Max(x => x.Id) + 1];
        foreach (var (id, value) in entries)
        {
            array[id] = value;
        }
        return array;
    }

    public static T? Find<T>(T?[] index, int id) where T : class => (uint)id < (uint)index.Length ? index[id] : null;
}
