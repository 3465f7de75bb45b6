namespace CivicGrid.Streams.Tests.Ingest;

public class ChannelIngestTests
{
    private const string Rules = "rules:\n  - { id: big, category: t, weight: 100, cooldown: 1s, match: { kind: transfer_out, where: { amount: { gte: 5000 } } } }\n";

    [Fact]
    public async Task PostAsync_ManyEventsThroughSmallChannel_AllProcessed()
    {
        var t = new TestBed(Rules);
        await using var engine = new StreamEngine(t.Engine.Rules, new EngineOptions { Time = t.Time, ChannelCapacity = 4, Shards = 2 });
        engine.Start();

        for (var i = 0; i < 2000; i++)
        {
            Assert.Null(await engine.PostAsync(TestBed.Transfer(t, 10, subject: $"bi:p{i % 37}")));
        }
        await Wait.UntilAsync(() => engine.Stats().Accepted == 2000, "2000 events processed");
    }

    [Fact]
    public async Task PostAsync_BadEvent_RejectedBeforeQueueing()
    {
        var t = new TestBed(Rules);
        t.Engine.Start();

        var rejection = await t.Engine.PostAsync(t.Event("transfer_out", "bi:a", ("amount", -5), ("account", "x")));

        Assert.Equal(RejectionCodes.AbsurdValue, rejection!.Code);
    }

    [Fact]
    public async Task PostAsync_FraudulentTransfer_AlertDelivered()
    {
        var t = new TestBed(Rules);
        t.Engine.Start();

        await t.Engine.PostAsync(TestBed.Transfer(t, 9000));

        await Wait.UntilAsync(() => { lock (t.Alerts) { return t.Alerts.Count == 1; } }, "one alert");
    }
}
