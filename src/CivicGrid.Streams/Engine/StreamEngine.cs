using System.Collections.Concurrent;
using System.Threading.Channels;

namespace CivicGrid.Streams;

/// <summary>
/// The streaming rule engine. Hand it events with <see cref="Process"/> (synchronous, any thread) or
/// <see cref="PostAsync"/> (bounded channel, backpressure; needs <see cref="Start"/>); alerts arrive
/// through <see cref="EngineOptions.OnAlert"/>. State is sharded by subject; each shard has a lock.
/// </summary>
public sealed class StreamEngine : IAsyncDisposable
{
    private readonly Shard[] _shards;
    private readonly Channel<StreamEvent>[] _channels;
    private readonly ConcurrentDictionary<string, long> _rejected = new(StringComparer.Ordinal);
    private readonly List<Task> _workers = [];
    private readonly CancellationTokenSource _stopping = new();
    private volatile RulePack _rules;
    private ITimer? _tickTimer;
    private ITimer? _snapshotTimer;
    private int _started;

    public StreamEngine(RulePack rules, EngineOptions? options = null)
    {
        Options = options ?? new EngineOptions();
        _rules = rules;
        var shards = Math.Max(1, Options.Shards);
        _shards = new Shard[shards];
        _channels = new Channel<StreamEvent>[shards];
        for (var i = 0; i < shards; i++)
        {
            _shards[i] = new Shard(this, Math.Max(1, Options.MaxSubjects / shards));
            _channels[i] = Channel.CreateBounded<StreamEvent>(new BoundedChannelOptions(Options.ChannelCapacity)
            {
                FullMode = BoundedChannelFullMode.Wait,
                SingleReader = true,
            });
        }
        // One shard: its gate guards the dedup window too (one lock per event instead of two).
        Dedup = new DedupSet(Options.DedupWindow, shards, shards == 1 ? _shards[0].Gate : null);
        if (Options.SnapshotPath is { } path && File.Exists(path))
        {
            using var file = File.OpenRead(path);
            RestoreSnapshot(file);
        }
    }

    public EngineOptions Options { get; }

    internal DedupSet Dedup { get; }

    /// <summary>The rules now running.</summary>
    public RulePack Rules => _rules;

    /// <summary>
    /// Validates and processes one event on the calling thread. Never throws for bad input: the
    /// outcome says whether it was accepted, a duplicate, or rejected and why.
    /// </summary>
    public EventOutcome Process(StreamEvent e)
    {
        // The dedup window is large (a table of 2 x DedupWindow hashes): start loading the two slots the
        // id will touch now, so that the misses overlap with validation and with the evaluation of the
        // rules' conditions (pure functions of the event) instead of following them.
        var idHash = DedupWindow.Hash(e.Id ?? "");
        Dedup.Prefetch(idHash);
        if (Validate(e) is { } rejection)
        {
            return new EventOutcome(EventStatus.Rejected, rejection);
        }
        var rules = _rules;
        var candidates = rules.Candidates(e);
        var shard = ShardOf(e.Subject);
        lock (shard.Gate)
        {
            return shard.Process(e, idHash, rules, candidates);
        }
    }

    /// <summary>
    /// Validates the event and queues it on its shard's bounded channel, waiting while the channel is
    /// full. Returns the rejection, or null when queued. Duplicates are dropped later, by the shard.
    /// </summary>
    public async ValueTask<Rejection?> PostAsync(StreamEvent e, CancellationToken cancellationToken = default)
    {
        if (Volatile.Read(ref _started) == 0)
        {
            throw new InvalidOperationException("Call Start() before PostAsync().");
        }
        if (Validate(e) is { } rejection)
        {
            return rejection;
        }
        await _channels[ShardIndex(e.Subject)].Writer.WriteAsync(e, cancellationToken);
        return null;
    }

    /// <summary>Checks an event against the schema and counts the rejection, without processing it.</summary>
    public Rejection? Validate(StreamEvent e)
    {
        var rejection = Options.Schema.Validate(e, Now());
        if (rejection is not null)
        {
            CountRejection(rejection.Code);
        }
        return rejection;
    }

    private long _nowTickCount = long.MinValue;
    private long _nowUtcTicks;

    /// <summary>
    /// The clock for the schema's time check, which allows minutes of skew. With the system clock it is
    /// read at most once per millisecond tick (Environment.TickCount64, a few ns) instead of once per
    /// event (DateTimeOffset.UtcNow, ~35 ns here); any other TimeProvider (tests, replays) is asked every time.
    /// </summary>
    private DateTimeOffset Now()
    {
        if (!ReferenceEquals(Options.Time, TimeProvider.System))
        {
            return Options.Time.GetUtcNow();
        }
        var tick = Environment.TickCount64;
        if (tick != Volatile.Read(ref _nowTickCount))
        {
            Volatile.Write(ref _nowUtcTicks, DateTime.UtcNow.Ticks);
            Volatile.Write(ref _nowTickCount, tick);
        }
        return new DateTimeOffset(Volatile.Read(ref _nowUtcTicks), TimeSpan.Zero);
    }

    internal void CountRejection(string code) => _rejected.AddOrUpdate(code, 1, static (_, n) => n + 1);

    /// <summary>Starts the per-shard channel readers and the timers (negation deadlines, eviction, snapshots).</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1)
        {
            return;
        }
        for (var i = 0; i < _shards.Length; i++)
        {
            var shard = _shards[i];
            var reader = _channels[i].Reader;
            _workers.Add(Task.Run(() => DrainAsync(shard, reader)));
        }
        _tickTimer = Options.Time.CreateTimer(_ => Tick(), null, Options.TickInterval, Options.TickInterval);
        if (Options.SnapshotPath is not null)
        {
            _snapshotTimer = Options.Time.CreateTimer(_ => SaveSnapshot(), null, Options.SnapshotInterval, Options.SnapshotInterval);
        }
    }

    private async Task DrainAsync(Shard shard, ChannelReader<StreamEvent> reader)
    {
        try
        {
            while (await reader.WaitToReadAsync(_stopping.Token))
            {
                // Take the lock once per batch, not per event.
                lock (shard.Gate)
                {
                    // One event ahead: hash the next id and prefetch its dedup slots, then process the
                    // current one, so that the next event's cache misses overlap with this one's work.
                    var rules = _rules;
                    StreamEvent? current = null;
                    var currentHash = 0UL;
                    for (var n = 0; n < 256 && reader.TryRead(out var e); n++)
                    {
                        var hash = DedupWindow.Hash(e.Id);
                        Dedup.Prefetch(hash);
                        if (current is not null)
                        {
                            shard.Process(current, currentHash, rules);
                        }
                        current = e;
                        currentHash = hash;
                    }
                    if (current is not null)
                    {
                        shard.Process(current, currentHash, rules);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
        }
    }

    /// <summary>Waits until every event posted so far has been processed (tests, shutdown).</summary>
    public async Task WaitIdleAsync(CancellationToken cancellationToken = default)
    {
        while (_channels.Any(c => c.Reader.Count > 0))
        {
            await Task.Delay(1, cancellationToken);
        }
        foreach (var shard in _shards)
        {
            lock (shard.Gate)
            {
                // a batch that was being processed has finished once we hold the lock
            }
        }
    }

    /// <summary>Runs the timers' work now: negations whose deadline passed, one sweep batch per shard.</summary>
    public void Tick()
    {
        var now = Options.Time.GetUtcNow().UtcTicks;
        var rules = _rules;
        foreach (var shard in _shards)
        {
            lock (shard.Gate)
            {
                shard.Tick(now, rules);
            }
        }
    }

    /// <summary>
    /// Swaps in new rules. Events keep flowing; open windows and partial matches of rules whose id and
    /// shape are unchanged carry over; state of removed or reshaped rules is dropped by the sweep.
    /// </summary>
    public void ReloadRules(RulePack rules) => _rules = rules;

    /// <summary>Loads a rule directory and swaps it in; on any error the running rules stay and the errors are returned.</summary>
    public IReadOnlyList<RuleError> TryReloadRules(string directory, Watchlists watchlists)
    {
        try
        {
            ReloadRules(RulePack.LoadDirectory(directory, watchlists));
            return [];
        }
        catch (RuleLoadException ex)
        {
            return ex.Errors;
        }
    }

    public EngineStats Stats()
    {
        long Sum(Func<Shard, long> f) => _shards.Sum(f);
        return new EngineStats
        {
            Accepted = Sum(s => s.Accepted),
            Duplicates = Sum(s => s.Duplicates),
            Rejected = new Dictionary<string, long>(_rejected, StringComparer.Ordinal),
            Matches = Sum(s => s.Matches),
            Alerts = Sum(s => s.Alerts),
            Suppressed = Sum(s => s.Suppressed),
            PartialsDropped = Sum(s => s.PartialsDropped),
            WindowEntriesDropped = Sum(s => s.WindowEntriesDropped),
            SubjectsDropped = Sum(s => s.SubjectsDropped),
            SubjectsEvicted = Sum(s => s.SubjectsEvicted),
            Subjects = Sum(s => s.SubjectCount),
        };
    }

    // ---- snapshots ----

    /// <summary>Writes open windows, partial matches, scores and the dedup window to a stream.</summary>
    public void WriteSnapshot(Stream stream) => Snapshot.Write(stream, _shards, Dedup, Options.Time.GetUtcNow());

    /// <summary>Restores what <see cref="WriteSnapshot"/> wrote. State of rules that no longer exist is skipped.</summary>
    public void RestoreSnapshot(Stream stream) => Snapshot.Read(stream, this, _rules);

    /// <summary>Writes the snapshot to <see cref="EngineOptions.SnapshotPath"/> atomically (temp file, then rename).</summary>
    public void SaveSnapshot()
    {
        if (Options.SnapshotPath is not { } path)
        {
            return;
        }
        var temp = path + ".tmp";
        using (var file = File.Create(temp))
        {
            WriteSnapshot(file);
        }
        File.Move(temp, path, overwrite: true);
    }

    internal Shard ShardOf(string subject) => _shards[ShardIndex(subject)];

    internal IReadOnlyList<Shard> AllShards => _shards;

    private int ShardIndex(string subject) =>
        _shards.Length == 1 ? 0 : (int)((uint)StringComparer.Ordinal.GetHashCode(subject) % (uint)_shards.Length);

    /// <summary>Stops the readers after they drained what was posted, and writes a last snapshot.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var c in _channels)
        {
            c.Writer.TryComplete();
        }
        await Task.WhenAll(_workers);
        if (_tickTimer is not null)
        {
            await _tickTimer.DisposeAsync();
        }
        if (_snapshotTimer is not null)
        {
            await _snapshotTimer.DisposeAsync();
        }
        if (Volatile.Read(ref _started) == 1)
        {
            SaveSnapshot();
        }
        _stopping.Dispose();
    }
}
