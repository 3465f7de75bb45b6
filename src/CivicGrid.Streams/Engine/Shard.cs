using System.Runtime.InteropServices;

namespace CivicGrid.Streams;

/// <summary>
/// The subjects whose key hashes to this shard, and the code that runs rules over their events.
/// Single-threaded by contract: every call happens under <see cref="Gate"/>.
/// </summary>
internal sealed class Shard(StreamEngine engine, int maxSubjects)
{
    private static readonly StreamEvent?[] NoBound = [];

    private readonly EngineOptions _options = engine.Options;
    private readonly Dictionary<string, SubjectState> _subjects = new(StringComparer.Ordinal);
    private readonly List<SubjectState> _all = [];
    /// <summary>Subjects with a partial match waiting for an absence ("no call-back") to be established.</summary>
    private readonly PriorityQueue<SubjectState, long> _deadlines = new();
    private int _sweepCursor;

    public readonly Lock Gate = new();

    public long Accepted, Duplicates, Matches, Alerts, Suppressed, PartialsDropped, WindowEntriesDropped, SubjectsDropped, SubjectsEvicted;

    public int SubjectCount => _all.Count;
    internal IReadOnlyList<SubjectState> Subjects => _all;

    /// <param name="idHash"><see cref="DedupWindow.Hash"/> of the event id, computed (and its slots prefetched) by the caller.</param>
    public EventOutcome Process(StreamEvent e, ulong idHash, RulePack pack) => Process(e, idHash, pack, pack.Candidates(e));

    /// <param name="candidates">
    /// <see cref="RulePack.Candidates"/> of the event: started by the caller, so that the first compiled
    /// mask runs before the dedup lookup (it is a pure function of the event) while the lookup's cache
    /// misses, prefetched earlier, are still on their way.
    /// </param>
    public EventOutcome Process(StreamEvent e, ulong idHash, RulePack pack, MatchedRules.Enumerator candidates)
    {
        if (!engine.Dedup.Add(idHash, e.Id, Gate))
        {
            Duplicates++;
            return EventOutcome.Duplicate;
        }
        Accepted++;
        // The same evaluation as RulePack.Match: one compiled call decides the `where` of every match and
        // window rule of this kind; only the rules that hold (and the kind's sequence rules) come out, in
        // pack order. The common case, nothing about this event concerns any rule, ends here.
        var ticks = e.Ticks;
        SubjectState? s = null;
        var looked = false;
        while (candidates.MoveNext())
        {
            var rule = candidates.Current;
            switch (rule.Type)
            {
                case RuleType.Match:
                    if (Subject(ref s, ref looked, e, create: true) is { } ms)
                    {
                        Fire(ms, rule, e, null, e.Time, pack, ms.Find(rule.StateKey) ?? ms.Add(new RuleState(rule.StateKey)));
                    }
                    break;
                case RuleType.Window:
                    if (Subject(ref s, ref looked, e, create: true) is { } ws)
                    {
                        Window(ws, rule, e, pack);
                    }
                    break;
                case RuleType.Sequence:
                    Sequence(ref s, ref looked, rule, e, pack);
                    break;
            }
        }
        if (s is not null && ticks > s.LastSeenTicks)
        {
            s.LastSeenTicks = ticks;
        }
        return EventOutcome.Accepted;
    }

    private SubjectState? Subject(ref SubjectState? s, ref bool looked, StreamEvent e, bool create)
    {
        if (s is not null || (looked && !create))
        {
            return s;
        }
        looked = true;
        if (!create)
        {
            return s = _subjects.GetValueOrDefault(e.Subject);
        }
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_subjects, e.Subject, out var exists);
        if (!exists)
        {
            if (_all.Count >= maxSubjects)
            {
                _subjects.Remove(e.Subject);
                SubjectsDropped++;
                return null;
            }
            slot = new SubjectState(e.Subject) { Index = _all.Count, LastSeenTicks = e.Ticks, ScoreTicks = e.Ticks };
            _all.Add(slot);
        }
        return s = slot;
    }

    private void Window(SubjectState s, Rule rule, StreamEvent e, RulePack pack)
    {
        var w = s.Find(rule.StateKey) as WindowState ?? s.Add(new WindowState(rule.StateKey));
        var value = rule.Aggregate == Aggregate.Sum ? e.Number(rule.Of!) : 1;
        if (double.IsNaN(value))
        {
            return; // nothing to add up
        }
        w.Prune(e.Ticks - rule.OverTicks);
        if (!w.Add(e.Ticks, value, e, _options.MaxWindowEntries))
        {
            WindowEntriesDropped++;
        }
        var aggregate = rule.Aggregate switch
        {
            Aggregate.Count => w.Count,
            Aggregate.Sum => w.Sum,
            _ => w.DistinctCount(rule.Of!),
        };
        if (aggregate >= rule.AtLeast)
        {
            var evidence = w.Events();
            w.Clear(); // the window starts again after it fired, so one burst is one match
            Fire(s, rule, null, evidence, e.Time, pack, w);
        }
    }

    private void Sequence(ref SubjectState? s, ref bool looked, Rule rule, StreamEvent e, RulePack pack)
    {
        var steps = rule.Steps;
        var existing = Subject(ref s, ref looked, e, create: false)?.Find(rule.StateKey) as SequenceState;
        if (existing is not null)
        {
            Advance(s!, existing, rule, e, pack);
        }
        var first = steps[0];
        if (Array.IndexOf(first.Kinds, e.Kind) < 0 || !first.Matches(e, NoBound))
        {
            return;
        }
        if (Subject(ref s, ref looked, e, create: true) is not { } subject)
        {
            return;
        }
        var seq = existing ?? subject.Find(rule.StateKey) as SequenceState ?? subject.Add(new SequenceState(rule.StateKey));
        if (seq.Partials.Count >= _options.MaxPartialsPerRule)
        {
            seq.Partials.RemoveAt(0);
            PartialsDropped++;
        }
        var p = new Partial { Next = 1, StartTicks = e.Ticks, LastTicks = e.Ticks, Bound = new StreamEvent?[steps.Length] };
        p.Bound[0] = e;
        seq.Partials.Add(p);
        SetDeadline(subject, rule, p);
    }

    private void Advance(SubjectState s, SequenceState seq, Rule rule, StreamEvent e, RulePack pack)
    {
        var steps = rule.Steps;
        var ticks = e.Ticks;
        for (var i = 0; i < seq.Partials.Count; i++)
        {
            var p = seq.Partials[i];
            if (p.DeadlineTicks <= ticks)
            {
                // Time has moved past the deadline without the absent event: the negation holds.
                seq.Partials.RemoveAt(i--);
                Complete(s, seq, rule, p, p.DeadlineTicks, pack);
                continue;
            }
            if (ticks - p.StartTicks > rule.WithinTicks)
            {
                seq.Partials.RemoveAt(i--);
                continue;
            }
            if (ticks < p.LastTicks)
            {
                continue; // arrived out of order for this partial
            }
            var step = steps[p.Next];
            var at = p.Next;
            if (step.Absent)
            {
                var inAbsenceWindow = step.WithinTicks == 0 || ticks - p.LastTicks <= step.WithinTicks;
                if (inAbsenceWindow && step.Matches(e, p.Bound))
                {
                    seq.Partials.RemoveAt(i--); // the call-back happened: no match
                    continue;
                }
                if (at + 1 >= steps.Length)
                {
                    continue;
                }
                at++;
                step = steps[at];
            }
            if ((step.WithinTicks == 0 || ticks - p.LastTicks <= step.WithinTicks) && step.Matches(e, p.Bound))
            {
                p.Bound[at] = e;
                p.Next = at + 1;
                p.LastTicks = ticks;
                if (p.Next == steps.Length)
                {
                    seq.Partials.RemoveAt(i--);
                    Complete(s, seq, rule, p, ticks, pack);
                }
                else
                {
                    SetDeadline(s, rule, p);
                }
            }
        }
    }

    private void SetDeadline(SubjectState s, Rule rule, Partial p)
    {
        var steps = rule.Steps;
        if (p.Next == steps.Length - 1 && steps[p.Next].Absent)
        {
            var step = steps[p.Next];
            p.DeadlineTicks = step.WithinTicks > 0 ? p.LastTicks + step.WithinTicks : p.StartTicks + rule.WithinTicks;
            _deadlines.Enqueue(s, p.DeadlineTicks);
        }
    }

    private void Complete(SubjectState s, SequenceState seq, Rule rule, Partial p, long ticks, RulePack pack)
    {
        var evidence = p.Bound.OfType<StreamEvent>().ToArray();
        var last = evidence[^1];
        var time = ticks == last.Ticks ? last.Time : new DateTimeOffset(ticks, TimeSpan.Zero).ToOffset(last.Time.Offset);
        Fire(s, rule, null, evidence, time, pack, seq);
    }

    /// <summary>
    /// A rule matched: cooldown, score, and an alert when the score reaches a response level. The evidence
    /// is one event (<paramref name="one"/>, a match rule) or several; the array for one event is only made
    /// when a callback needs it.
    /// </summary>
    private void Fire(SubjectState s, Rule rule, StreamEvent? one, StreamEvent[]? many, DateTimeOffset time, RulePack pack, RuleState state)
    {
        Matches++;
        if (_options.OnMatch is { } onMatch)
        {
            onMatch(new RuleMatch(s.Subject, rule, time, many ??= [one!]));
        }
        var ticks = time.UtcTicks;
        var cooldown = (rule.Cooldown ?? _options.DefaultCooldown).Ticks;
        if (state.LastFiredTicks != long.MinValue && ticks - state.LastFiredTicks < cooldown && ticks >= state.LastFiredTicks)
        {
            Suppressed++;
            return;
        }
        state.LastFiredTicks = ticks;
        s.Score = pack.Scoring.Decay(s.Score, TimeSpan.FromTicks(ticks - s.ScoreTicks)) + rule.Weight;
        s.ScoreTicks = Math.Max(s.ScoreTicks, ticks);
        var level = pack.Scoring.LevelFor(s.Score);
        if (level == ResponseLevel.None)
        {
            return;
        }
        Alerts++;
        _options.OnAlert?.Invoke(new Alert(s.Subject, rule.Id, rule.Category, rule.Description, level,
            Math.Round(s.Score, 1), time, _options.Time.GetUtcNow(), many ?? [one!]));
    }

    /// <summary>Timers: decide negations whose deadline has passed, then sweep a batch of subjects.</summary>
    public void Tick(long nowTicks, RulePack pack)
    {
        var decideBefore = nowTicks - _options.AllowedLateness.Ticks;
        while (_deadlines.TryPeek(out var s, out var deadline) && deadline <= decideBefore)
        {
            _deadlines.Dequeue();
            if (s.Index >= 0)
            {
                CompleteDueNegations(s, decideBefore, pack);
            }
        }
        Sweep(nowTicks, pack);
    }

    private void CompleteDueNegations(SubjectState s, long decideBefore, RulePack pack)
    {
        for (var st = s.States; st is not null; st = st.Next)
        {
            if (st is not SequenceState seq || !pack.ByStateKey.TryGetValue(st.Key, out var rule))
            {
                continue;
            }
            for (var i = 0; i < seq.Partials.Count; i++)
            {
                var p = seq.Partials[i];
                if (p.DeadlineTicks <= decideBefore)
                {
                    seq.Partials.RemoveAt(i--);
                    Complete(s, seq, rule, p, p.DeadlineTicks, pack);
                }
            }
        }
    }

    /// <summary>Looks at a batch of subjects: drops what has expired and evicts subjects left with nothing.</summary>
    private void Sweep(long nowTicks, RulePack pack)
    {
        var budget = Math.Min(_options.SweepBatch, _all.Count);
        for (var n = 0; n < budget && _all.Count > 0; n++)
        {
            if (_sweepCursor >= _all.Count)
            {
                _sweepCursor = 0;
            }
            var s = _all[_sweepCursor];
            Prune(s, nowTicks, pack);
            var score = pack.Scoring.Decay(s.Score, TimeSpan.FromTicks(nowTicks - s.ScoreTicks));
            var idleTooLong = nowTicks - s.LastSeenTicks > _options.IdleTimeout.Ticks;
            if ((s.States is null && score < _options.ScoreFloor) || idleTooLong)
            {
                Evict(s); // the last subject moves into this slot: look at it next
            }
            else
            {
                _sweepCursor++;
            }
        }
    }

    private void Prune(SubjectState s, long nowTicks, RulePack pack)
    {
        for (var st = s.States; st is not null; st = st.Next)
        {
            if (!pack.ByStateKey.TryGetValue(st.Key, out var rule))
            {
                s.Remove(st); // its rule was removed or changed shape by a reload
                continue;
            }
            if (st is WindowState w)
            {
                w.Prune(nowTicks - rule.OverTicks);
            }
            else if (st is SequenceState seq)
            {
                seq.Partials.RemoveAll(p => p.DeadlineTicks == long.MaxValue && nowTicks - p.StartTicks > rule.WithinTicks);
            }
            var cooldown = (rule.Cooldown ?? _options.DefaultCooldown).Ticks;
            if (st.IsEmpty && (st.LastFiredTicks == long.MinValue || nowTicks - st.LastFiredTicks >= cooldown))
            {
                s.Remove(st);
            }
        }
    }

    private void Evict(SubjectState s)
    {
        var last = _all[^1];
        _all[s.Index] = last;
        last.Index = s.Index;
        _all.RemoveAt(_all.Count - 1);
        _subjects.Remove(s.Subject);
        s.Index = -1;
        SubjectsEvicted++;
    }

    // ---- snapshot support ----

    internal void Restore(SubjectState s)
    {
        if (_subjects.ContainsKey(s.Subject) || _all.Count >= maxSubjects)
        {
            return;
        }
        s.Index = _all.Count;
        _all.Add(s);
        _subjects.Add(s.Subject, s);
        for (var st = s.States; st is not null; st = st.Next)
        {
            if (st is SequenceState seq)
            {
                foreach (var p in seq.Partials.Where(p => p.DeadlineTicks != long.MaxValue))
                {
                    _deadlines.Enqueue(s, p.DeadlineTicks);
                }
            }
        }
    }
}

/// <summary>
/// The ids of the last N events (as 64-bit hashes), to process a redelivered event once. Striped by
/// hash with a lock per stripe, so it does not depend on how subjects are sharded.
/// </summary>
internal sealed class DedupSet
{
    private readonly DedupWindow[] _stripes;
    private readonly Lock[] _locks;

    /// <param name="onlyShardGate">
    /// With one stripe: the gate of the engine's only shard, used as the stripe's lock. Every event is
    /// processed under it already, so <see cref="Add(ulong, string, Lock)"/> from the shard takes no second
    /// lock (an uncontended lock pair costs about 20 ns here), and snapshots still exclude processing.
    /// </param>
    public DedupSet(int capacity, int stripes, Lock? onlyShardGate = null)
    {
        _stripes = new DedupWindow[Math.Max(1, stripes)];
        _locks = new Lock[_stripes.Length];
        for (var i = 0; i < _stripes.Length; i++)
        {
            _stripes[i] = new DedupWindow(Math.Max(1, capacity / _stripes.Length));
            _locks[i] = _stripes.Length == 1 && onlyShardGate is not null ? onlyShardGate : new Lock();
        }
    }

    private LegacyIds? _legacy;

    /// <summary>
    /// Starts loading the table slots that <see cref="Add(ulong)"/> will touch for this hash (its home and
    /// the home of the id the window forgets next), so that the cache misses overlap with the work done
    /// before Add. Only a hint: no lock, no effect on the contents.
    /// </summary>
    public void Prefetch(ulong hash) => _stripes[(int)(hash % (ulong)_stripes.Length)].Prefetch(hash);

    /// <summary>Adds the id (given as its <see cref="DedupWindow.Hash"/>); false when it is in the window already.</summary>
    /// <param name="held">A lock the caller holds: when it is the stripe's lock, it is not taken again.</param>
    public bool Add(ulong hash, string id, Lock? held)
    {
        if (_legacy is { } legacy && legacy.Seen(id))
        {
            return false;
        }
        return Add(hash, held);
    }

    /// <summary>Adds a hash (restoring a snapshot); false when it is in the window already.</summary>
    public bool Add(ulong hash) => Add(hash, held: null);

    private bool Add(ulong hash, Lock? held)
    {
        var i = (int)(hash % (ulong)_stripes.Length);
        bool added;
        var gate = _locks[i];
        if (gate == held)
        {
            System.Diagnostics.Debug.Assert(gate.IsHeldByCurrentThread);
            added = _stripes[i].Add(hash);
        }
        else
        {
            lock (gate)
            {
                added = _stripes[i].Add(hash);
            }
        }
        if (added && _legacy is { } legacy && legacy.Forget())
        {
            _legacy = null;
        }
        return added;
    }

    /// <summary>
    /// Ids restored from a version 1 snapshot, as the FNV-1a hashes that version wrote: a redelivered
    /// event from before the upgrade is still a duplicate. They are the oldest ids of the window, so they
    /// are dropped once as many new ids have been added as the window holds.
    /// </summary>
    public void RestoreLegacy(IReadOnlyList<ulong> fnvHashes, int capacity)
    {
        if (fnvHashes.Count == 0)
        {
            return;
        }
        var window = new DedupWindow(fnvHashes.Count);
        foreach (var h in fnvHashes)
        {
            window.Add(h);
        }
        _legacy = new LegacyIds(window, capacity);
    }

    private sealed class LegacyIds(DedupWindow window, int forgetAfter)
    {
        private readonly Lock _gate = new();
        private int _left = forgetAfter;

        public bool Seen(string id)
        {
            lock (_gate)
            {
                return window.Contains(DedupWindow.LegacyHash(id));
            }
        }

        /// <summary>One more new id; true when the legacy ids have all left the window.</summary>
        public bool Forget() => Interlocked.Decrement(ref _left) <= 0;
    }

    /// <summary>Oldest first within each stripe.</summary>
    public ulong[] Items()
    {
        var all = new List<ulong>();
        for (var i = 0; i < _stripes.Length; i++)
        {
            lock (_locks[i])
            {
                all.AddRange(_stripes[i].Items());
            }
        }
        return all.ToArray();
    }
}

/// <summary>
/// The last N hashes: an open-addressing table (linear probing, at most half full, deletion by
/// backward shift) and a ring that says which hash to forget next. One probe usually answers, so a
/// new id costs about one cache miss to look up and one to forget the oldest.
/// </summary>
internal sealed class DedupWindow
{
    private const ulong Zero = 0x9E3779B97F4A7C15UL; // 0 marks an empty slot: a hash of 0 is stored as this
    private readonly ulong[] _table;
    private readonly int _mask;
    private readonly int _shift;
    private readonly ulong[] _ring;
    private int _next;
    private int _count;

    public DedupWindow(int capacity)
    {
        _ring = new ulong[Math.Max(1, capacity)];
        var size = (int)Math.Min(1 << 30, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(16, capacity * 2)));
        _table = new ulong[size];
        _mask = size - 1;
        _shift = 64 - System.Numerics.BitOperations.Log2((uint)size);
    }

    public int Count => _count;

    public bool Add(string id) => Add(Hash(id));

    public bool Add(ulong hash)
    {
        if (hash == 0)
        {
            hash = Zero;
        }
        var table = _table;
        var i = Home(hash);
        for (var v = table[i]; v != 0; v = table[i])
        {
            if (v == hash)
            {
                return false;
            }
            i = (i + 1) & _mask;
        }
        table[i] = hash;
        if (_count == _ring.Length)
        {
            Remove(_ring[_next]);
        }
        else
        {
            _count++;
        }
        _ring[_next] = hash;
        _next = _next + 1 == _ring.Length ? 0 : _next + 1;
        return true;
    }

    /// <summary>Prefetches the slots Add(hash) reads: the hash's home and, when the window is full, the oldest hash's home.</summary>
    public unsafe void Prefetch(ulong hash)
    {
        if (!System.Runtime.Intrinsics.X86.Sse.IsSupported)
        {
            return;
        }
        var table = _table;
        var ring = _ring;
        var next = _next; // racy read without the stripe's lock: a stale value only prefetches the wrong line
        fixed (ulong* t = table)
        {
            System.Runtime.Intrinsics.X86.Sse.Prefetch0(t + Home(hash == 0 ? Zero : hash));
            if (_count == ring.Length && (uint)next < (uint)ring.Length)
            {
                System.Runtime.Intrinsics.X86.Sse.Prefetch0(t + Home(ring[next]));
            }
        }
    }

    // Fibonacci hashing: the top bits of hash * golden ratio spread FNV's output over the table.
    private int Home(ulong hash) => (int)((hash * 0x9E3779B97F4A7C15UL) >> _shift);

    private void Remove(ulong hash)
    {
        var table = _table;
        var i = Home(hash);
        while (table[i] != hash)
        {
            if (table[i] == 0)
            {
                return; // not there (cannot happen: every ring entry is in the table)
            }
            i = (i + 1) & _mask;
        }
        // Backward shift: move later entries of the probe run into the hole when their home allows it.
        var j = i;
        while (true)
        {
            j = (j + 1) & _mask;
            var v = table[j];
            if (v == 0)
            {
                break;
            }
            var home = Home(v);
            var staysPut = i <= j ? i < home && home <= j : i < home || home <= j;
            if (!staysPut)
            {
                table[i] = v;
                i = j;
            }
        }
        table[i] = 0;
    }

    /// <summary>Oldest first.</summary>
    public IEnumerable<ulong> Items()
    {
        var start = _count == _ring.Length ? _next : 0;
        for (var i = 0; i < _count; i++)
        {
            yield return _ring[(start + i) % _ring.Length];
        }
    }

    /// <summary>
    /// XXH3-64 (seed 0) of the id's UTF-16 code units, little-endian: stable across processes and
    /// machines, unlike string.GetHashCode, and a few nanoseconds for an id (snapshot version 2 and later).
    /// </summary>
    public static ulong Hash(string id)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(id.AsSpan());
        if (!BitConverter.IsLittleEndian)
        {
            var copy = new char[id.Length];
            for (var i = 0; i < copy.Length; i++)
            {
                copy[i] = (char)System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(id[i]);
            }
            bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(copy.AsSpan());
        }
        return System.IO.Hashing.XxHash3.HashToUInt64(bytes);
    }

    /// <summary>FNV-1a over the UTF-16 code units: the id hash of snapshot version 1, read when restoring one.</summary>
    public static ulong LegacyHash(string id)
    {
        var h = 14695981039346656037UL;
        foreach (var c in id)
        {
            h = (h ^ c) * 1099511628211UL;
        }
        return h;
    }

    /// <summary>True when the hash is in the window (no change to it).</summary>
    public bool Contains(ulong hash)
    {
        if (hash == 0)
        {
            hash = Zero;
        }
        var table = _table;
        for (var i = Home(hash); table[i] != 0; i = (i + 1) & _mask)
        {
            if (table[i] == hash)
            {
                return true;
            }
        }
        return false;
    }
}
