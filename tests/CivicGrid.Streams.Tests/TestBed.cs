using Microsoft.Extensions.Time.Testing;

namespace CivicGrid.Streams.Tests;

/// <summary>An engine on a fake clock, collecting its alerts and matches, with helpers to make events.</summary>
internal sealed class TestBed
{
    private static int _nextId; // shared by all test beds: a restarted engine must not see an old id again

    public TestBed(string yaml, Action<Watchlists>? lists = null, string? snapshotPath = null, FakeTimeProvider? time = null)
    {
        Time = time ?? new FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.FromHours(8)));
        Lists = new Watchlists(Time);
        lists?.Invoke(Lists);
        Engine = new StreamEngine(RulePack.Parse(yaml, Lists), new EngineOptions
        {
            Time = Time,
            Shards = 2,
            OnAlert = a => { lock (Alerts) { Alerts.Add(a); } },
            OnMatch = m => { lock (Matches) { Matches.Add(m); } },
            SnapshotPath = snapshotPath,
            AllowedLateness = TimeSpan.Zero,
        });
    }

    public FakeTimeProvider Time { get; }
    public Watchlists Lists { get; }
    public StreamEngine Engine { get; }
    public List<Alert> Alerts { get; } = [];
    public List<RuleMatch> Matches { get; } = [];

    public StreamEvent Event(string kind, string subject = "bi:alice", params (string, object)[] attributes) =>
        StreamEvent.Create($"e{Interlocked.Increment(ref _nextId)}", subject, kind, Time.GetUtcNow(), attributes);

    /// <summary>Processes an event now, then moves the clock on.</summary>
    public EventOutcome Send(StreamEvent e, TimeSpan? thenWait = null)
    {
        var outcome = Engine.Process(e);
        if (thenWait is { } wait)
        {
            Time.Advance(wait);
        }
        return outcome;
    }

    public static StreamEvent Call(TestBed t, string number, int duration = 60, string direction = "in", string subject = "bi:alice") =>
        t.Event("call", subject, ("number", number), ("direction", direction), ("duration", duration));

    public static StreamEvent Transfer(TestBed t, double amount, string account = "6222000011112222", string subject = "bi:alice") =>
        t.Event("transfer_out", subject, ("amount", amount), ("account", account));
}
