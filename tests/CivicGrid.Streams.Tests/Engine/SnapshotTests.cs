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

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
