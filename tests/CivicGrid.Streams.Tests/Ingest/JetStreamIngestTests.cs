using NATS.Client.JetStream;
using NATS.Net;

namespace CivicGrid.Streams.Tests.Ingest;

public class JetStreamIngestTests
{
    private const string Rules = "rules:\n  - { id: big, category: t, weight: 100, cooldown: 1s, match: { kind: transfer_out, where: { amount: { gte: 5000 } } } }\n";

    private static JetStreamIngestOptions Options(string name) => new()
    {
        Url = NatsFactAttribute.Url!,
        Stream = "T_" + name,
        Subjects = $"test.{name}.>",
        Durable = "engine-" + name,
    };

    [NatsFact]
    public async Task RunAsync_PublishedEvents_ProcessedAndAlerted()
    {
        var name = Guid.NewGuid().ToString("N")[..8];
        var options = Options(name);
        var t = new TestBed(Rules);
        await using var nats = new NatsClient(options.Url);
        var js = nats.CreateJetStreamContext();
        await JetStreamIngest.EnsureStreamAsync(js, options, CancellationToken.None);
        await JetStreamIngest.PublishAsync(js, $"test.{name}.0", TestBed.Transfer(t, 9000));
        await JetStreamIngest.PublishAsync(js, $"test.{name}.0", TestBed.Transfer(t, 10));

        using var stop = new CancellationTokenSource();
        var ingest = new JetStreamIngest(t.Engine, options);
        var run = ingest.RunAsync(stop.Token);
        await Wait.UntilAsync(() => t.Engine.Stats().Accepted == 2, "2 events consumed");
        await stop.CancelAsync();
        await run;

        Assert.Single(t.Alerts);
        await js.DeleteStreamAsync(options.Stream);
    }

    [NatsFact]
    public async Task RunAsync_RedeliveredAfterRestart_ProcessedOnce()
    {
        var name = Guid.NewGuid().ToString("N")[..8];
        var options = Options(name) with { AckWait = TimeSpan.FromSeconds(1) };
        var t = new TestBed(Rules);
        await using var nats = new NatsClient(options.Url);
        var js = nats.CreateJetStreamContext();
        await JetStreamIngest.EnsureStreamAsync(js, options, CancellationToken.None);
        var transfer = TestBed.Transfer(t, 9000);

        // First consumer: the engine processes the event but "crashes" before acknowledging.
        var consumer = await js.CreateOrUpdateConsumerAsync(options.Stream, new NATS.Client.JetStream.Models.ConsumerConfig(options.Durable) { AckWait = options.AckWait });
        await JetStreamIngest.PublishAsync(js, $"test.{name}.0", transfer);
        var first = await consumer.NextAsync<byte[]>();
        Assert.Equal(EventStatus.Accepted, t.Engine.Process(EventJson.Parse(first!.Data, out _)!).Status);

        // A fresh ingest on the same durable consumer gets the redelivery: processed once, acknowledged.
        using var stop = new CancellationTokenSource();
        var run = new JetStreamIngest(t.Engine, options).RunAsync(stop.Token);
        await Wait.UntilAsync(() => t.Engine.Stats().Duplicates == 1, "redelivery seen as duplicate", timeoutMs: 20_000);
        await stop.CancelAsync();
        await run;

        Assert.Single(t.Alerts);
        Assert.Equal(1, t.Engine.Stats().Accepted);
        await js.DeleteStreamAsync(options.Stream);
    }

    [NatsFact]
    public async Task RunAsync_MalformedMessage_TerminatedAndCounted()
    {
        var name = Guid.NewGuid().ToString("N")[..8];
        var options = Options(name);
        var t = new TestBed(Rules);
        await using var nats = new NatsClient(options.Url);
        var js = nats.CreateJetStreamContext();
        await JetStreamIngest.EnsureStreamAsync(js, options, CancellationToken.None);
        await js.PublishAsync($"test.{name}.0", "{not json"u8.ToArray());

        using var stop = new CancellationTokenSource();
        var ingest = new JetStreamIngest(t.Engine, options);
        var run = ingest.RunAsync(stop.Token);
        await Wait.UntilAsync(() => ingest.Rejected == 1, "malformed message rejected");
        await stop.CancelAsync();
        await run;

        Assert.Equal(1, t.Engine.Stats().Rejected[RejectionCodes.Malformed]);
        await js.DeleteStreamAsync(options.Stream);
    }
}
