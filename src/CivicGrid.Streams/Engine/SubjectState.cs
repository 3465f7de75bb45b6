namespace CivicGrid.Streams;

/// <summary>
/// What the engine remembers about one subject. Kept small: most tracked subjects are idle, so the
/// per-rule state is a short linked list holding only the rules that have something open.
/// </summary>
internal sealed class SubjectState(string subject)
{
    public readonly string Subject = subject;
    /// <summary>Position in the shard's subject list (for the sweep); -1 once evicted.</summary>
    public int Index;
    public long LastSeenTicks;
    public double Score;
    public long ScoreTicks;
    public RuleState? States;

    public RuleState? Find(int key)
    {
        for (var s = States; s is not null; s = s.Next)
        {
            if (s.Key == key)
            {
                return s;
            }
        }
        return null;
    }

    public T Add<T>(T state) where T : RuleState
    {
        state.Next = States;
        States = state;
        return state;
    }

    public void Remove(RuleState state)
    {
        if (ReferenceEquals(States, state))
        {
            States = state.Next;
            return;
        }
        for (var s = States; s?.Next is not null; s = s.Next)
        {
            if (ReferenceEquals(s.Next, state))
            {
                s.Next = state.Next;
                return;
            }
        }
    }
}

/// <summary>Per subject and rule: when the rule last fired (for the cooldown). Subclasses add open windows and partial matches.</summary>
internal class RuleState(int key)
{
    public readonly int Key = key;
    public RuleState? Next;
    public long LastFiredTicks = long.MinValue;

    public virtual bool IsEmpty => true;
}

internal struct WindowEntry
{
    public long Ticks;
    public double Value;
    public StreamEvent Event;
}

/// <summary>The events of one sliding window, oldest first, in a ring buffer that grows up to a cap.</summary>
internal sealed class WindowState(int key) : RuleState(key)
{
    private WindowEntry[] _entries = new WindowEntry[2];
    private int _head;
    public int Count;
    public double Sum;

    public override bool IsEmpty => Count == 0;

    public ref WindowEntry this[int i] => ref _entries[(_head + i) % _entries.Length];

    /// <summary>Adds an entry; returns false if the oldest had to be dropped to stay under the cap.</summary>
    public bool Add(long ticks, double value, StreamEvent e, int cap)
    {
        var dropped = false;
        if (Count == _entries.Length)
        {
            if (Count >= cap)
            {
                RemoveOldest();
                dropped = true;
            }
            else
            {
                var bigger = new WindowEntry[Math.Min(cap, _entries.Length * 2)];
                for (var i = 0; i < Count; i++)
                {
                    bigger[i] = this[i];
                }
                _entries = bigger;
                _head = 0;
            }
        }
        _entries[(_head + Count) % _entries.Length] = new WindowEntry { Ticks = ticks, Value = value, Event = e };
        Count++;
        Sum += value;
        return !dropped;
    }

    public void Prune(long oldestTicks)
    {
        while (Count > 0 && this[0].Ticks < oldestTicks)
        {
            RemoveOldest();
        }
    }

    public void Clear()
    {
        Array.Clear(_entries);
        _entries = new WindowEntry[2];
        _head = 0;
        Count = 0;
        Sum = 0;
    }

    public int DistinctCount(string attribute)
    {
        var seen = new HashSet<string>(Count, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < Count; i++)
        {
            if (this[i].Event.Text(attribute) is { } v)
            {
                seen.Add(v);
            }
        }
        return seen.Count;
    }

    public StreamEvent[] Events()
    {
        var events = new StreamEvent[Count];
        for (var i = 0; i < Count; i++)
        {
            events[i] = this[i].Event;
        }
        return events;
    }

    private void RemoveOldest()
    {
        Sum -= _entries[_head].Value;
        _entries[_head] = default;
        _head = (_head + 1) % _entries.Length;
        Count--;
        if (Count == 0)
        {
            Sum = 0; // no drift from floating-point subtraction
        }
    }
}

/// <summary>A sequence that has matched its first steps and waits for the next one.</summary>
internal sealed class Partial
{
    public int Next;
    public long StartTicks;
    public long LastTicks;
    /// <summary>When waiting on a final absent step: the time at which its absence is established.</summary>
    public long DeadlineTicks = long.MaxValue;
    public required StreamEvent?[] Bound;
}

internal sealed class SequenceState(int key) : RuleState(key)
{
    public readonly List<Partial> Partials = new(2);

    public override bool IsEmpty => Partials.Count == 0;
}
