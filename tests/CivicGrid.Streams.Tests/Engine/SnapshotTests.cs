namespace CivicGrid.Streams.Tests.Engine;

public sealed class SnapshotTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cg-snap-").FullName;

    private const string Rules = """
        rules:
          - id: call-then-transfer
            category: test
            weight: 100
            sequence:
              within: 2h
              steps:
                - { name: call, kind: call, where: { duration: { gte: 600 } } }
                - { kind: transfer_out, where: { amount: { gte: 5000 } } }
          - id: three-transfers
            category: test
            weight: 100
            window: { kind: transfer_out, over: 1h, at_least: 3 }
        """;

    [Fact]
    public async Task Restart_WithSnapshot_RemembersCallBeforeTransfer()
    {
        var path = Path.Combine(_dir, "engine.snap");
        var before = new TestBed(Rules, snapshotPath: path);
        before.Engine.Start();
        var call = TestBed.Call(before, "+85212345678", duration: 1200);
        before.Send(call);
        before.Time.Advance(TimeSpan.FromMinutes(2)); // the periodic snapshot timer (1 min) runs
        Assert.True(File.Exists(path));
        await before.Engine.DisposeAsync();

        var after = new TestBed(Rules, snapshotPath: path, time: before.Time);
        after.Send(TestBed.Transfer(after, 50000));

        var alert = Assert.Single(after.Alerts);
        Assert.Equal(call.Id, alert.Evidence[0].Id);
        Assert.Equal("+85212345678", alert.Evidence[0].Text("number"));
    }

    [Fact]
    public void Restore_OpenWindowAndDedup_CarryOver()
    {
        var before = new TestBed(Rules);
        var first = TestBed.Transfer(before, 10);
        before.Send(first, TimeSpan.FromMinutes(1));
        before.Send(TestBed.Transfer(before, 10), TimeSpan.FromMinutes(1));
        using var snapshot = new MemoryStream();
        before.Engine.WriteSnapshot(snapshot);

        var after = new TestBed(Rules, time: before.Time);
        snapshot.Position = 0;
        after.Engine.RestoreSnapshot(snapshot);

        Assert.Equal(EventStatus.Duplicate, after.Send(first).Status);
        after.Send(TestBed.Transfer(after, 10));
        Assert.Equal("three-transfers", Assert.Single(after.Alerts).RuleId);
    }

    [Fact]
    public void Restore_RuleChangedShape_DropsItsState()
    {
        var before = new TestBed(Rules);
        before.Send(TestBed.Call(before, "+85212345678", duration: 1200));
        using var snapshot = new MemoryStream();
        before.Engine.WriteSnapshot(snapshot);

        var after = new TestBed(Rules.Replace("within: 2h", "within: 3h"), time: before.Time);
        snapshot.Position = 0;
        after.Engine.RestoreSnapshot(snapshot);
        after.Send(TestBed.Transfer(after, 50000));

        Assert.Empty(after.Alerts);
    }

    [Theory]
    [InlineData(1)] // one shard: its gate is the dedup window's lock
    [InlineData(3)]
    public async Task RoundTrip_ManyIds_EveryRedeliveryIsDuplicateAndNewIdsAreNot(int shards)
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2025, 3, 1, 9, 0, 0, TimeSpan.FromHours(8)));
        var pack = RulePack.Parse(Rules, new Watchlists());
        StreamEngine NewEngine() => new(pack, new EngineOptions { Time = time, Shards = shards });
        StreamEvent Transfer(string id, int subject) =>
            StreamEvent.Create(id, $"bi:s{subject}", "transfer_out", time.GetUtcNow(), ("amount", 10), ("account", "a"));
        var before = NewEngine();
        var sent = Enumerable.Range(0, 500).Select(i => Transfer($"rt-{shards}-{i}", i % 7)).ToList();
        // Half processed directly, half through the channels while a snapshot is written: the window's lock excludes both.
        foreach (var e in sent.Take(250))
        {
            Assert.Equal(EventStatus.Accepted, before.Process(e).Status);
        }
        before.Start();
        foreach (var e in sent.Skip(250))
        {
            Assert.Null(await before.PostAsync(e));
        }
        using (var during = new MemoryStream())
        {
            before.WriteSnapshot(during);
        }
        await before.WaitIdleAsync();
        using var snapshot = new MemoryStream();
        before.WriteSnapshot(snapshot);
        await before.DisposeAsync();

        var after = NewEngine();
        snapshot.Position = 0;
        after.RestoreSnapshot(snapshot);

        Assert.All(sent, e => Assert.Equal(EventStatus.Duplicate, after.Process(e).Status));
        Assert.Equal(EventStatus.Accepted, after.Process(Transfer($"rt-{shards}-new", 1)).Status);
        Assert.Equal(1, after.Stats().Accepted);
        Assert.Equal(500, after.Stats().Duplicates);
    }

    [Fact]
    public void Restore_Version1Snapshot_ItsIdsStayDuplicatesUntilTheWindowMovesOn()
    {
        // A version 1 snapshot as the previous engine wrote it: FNV-1a hashes of the ids, no subjects.
        using var snapshot = new MemoryStream();
        using (var w = new BinaryWriter(snapshot, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write("CGSNAP");
            w.Write(1);
            w.Write(DateTimeOffset.UnixEpoch.UtcTicks);
            w.Write((byte)2);
            w.Write(2);
            w.Write(DedupWindow.LegacyHash("old-1"));
            w.Write(DedupWindow.LegacyHash("old-2"));
            w.Write((byte)0);
        }
        var bed = new TestBed(Rules);
        var engine = new StreamEngine(bed.Engine.Rules, new EngineOptions { Time = bed.Time, Shards = 2, DedupWindow = 4 });
        snapshot.Position = 0;
        engine.RestoreSnapshot(snapshot);

        StreamEvent Event(string id) => StreamEvent.Create(id, "bi:alice", "call", bed.Time.GetUtcNow(), ("number", "1"), ("direction", "in"));
        Assert.Equal(EventStatus.Duplicate, engine.Process(Event("old-1")).Status);
        Assert.Equal(EventStatus.Duplicate, engine.Process(Event("old-2")).Status);
        Assert.Equal(EventStatus.Accepted, engine.Process(Event("new-1")).Status);
        Assert.Equal(EventStatus.Duplicate, engine.Process(Event("new-1")).Status);
        for (var i = 2; i <= 4; i++)
        {
            Assert.Equal(EventStatus.Accepted, engine.Process(Event($"new-{i}")).Status);
        }
        // Four new ids later the window (4 ids) holds only new ones: the old ids are forgotten.
        Assert.Equal(EventStatus.Accepted, engine.Process(Event("old-1")).Status);
    }

    [Fact]
    public void Restore_NewerVersion_FailsWithAClearMessage()
    {
        using var snapshot = new MemoryStream();
        using (var w = new BinaryWriter(snapshot, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write("CGSNAP");
            w.Write(99);
        }
        var bed = new TestBed(Rules);
        snapshot.Position = 0;

        var ex = Assert.Throws<InvalidDataException>(() => bed.Engine.RestoreSnapshot(snapshot));
        Assert.Contains("version 99", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void IdHash_IsStableAcrossProcesses()
    {
        // Snapshots store these hashes: a change of algorithm must come with a new snapshot version.
        // XXH3-64 of no bytes, seed 0, is the reference value 0x2D06800538D394C2.
        Assert.Equal(0x2D06800538D394C2UL, DedupWindow.Hash(""));
        Assert.Equal(DedupWindow.Hash("sim-42-7"), DedupWindow.Hash(new string("sim-42-7".AsSpan())));
        Assert.NotEqual(DedupWindow.Hash("sim-42-7"), DedupWindow.Hash("sim-42-8"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
