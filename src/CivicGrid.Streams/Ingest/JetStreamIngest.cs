using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace CivicGrid.Streams;

public sealed record JetStreamIngestOptions
{
    public required string Url { get; init; }
    public string Stream { get; init; } = "CIVICGRID_EVENTS";
    /// <summary>Producers publish to civicgrid.events.&lt;partition&gt;; an engine node may filter on its partitions.</summary>
    public string Subjects { get; init; } = "civicgrid.events.>";
    public string? FilterSubject { get; init; }
    /// <summary>The durable consumer: a restarted engine resumes where it acknowledged.</summary>
    public string Durable { get; init; } = "antifraud-engine";
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);
    public int MaxAckPending { get; init; } = 10_000;
}

/// <summary>
/// Consumes events from a NATS JetStream durable consumer, for deployments where events cross
/// machines. At-least-once: a message is acknowledged after the engine has processed it, so a crash
/// redelivers it; the engine's dedup window (by event id) makes the redelivery harmless. A message
/// that can never be processed (malformed, rejected) is terminated instead of redelivered forever.
/// </summary>
public sealed class JetStreamIngest(StreamEngine engine, JetStreamIngestOptions options)
{
    private long _received, _rejected;

    public long Received => Interlocked.Read(ref _received);
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Creates the stream and the durable consumer if needed, then processes messages until cancelled.</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        await using var nats = new NatsClient(options.Url);
        var js = nats.CreateJetStreamContext();
        await EnsureStreamAsync(js, options, cancellationToken);
        var consumer = await js.CreateOrUpdateConsumerAsync(options.Stream, new ConsumerConfig(options.Durable)
        {
            AckPolicy = ConsumerConfigAckPolicy.Explicit,
            AckWait = options.AckWait,
            MaxAckPending = options.MaxAckPending,
            FilterSubject = options.FilterSubject,
        }, cancellationToken);

        try
        {
            await foreach (var msg in consumer.ConsumeAsync<byte[]>(cancellationToken: cancellationToken))
            {
                Interlocked.Increment(ref _received);
                var e = msg.Data is { } data ? EventJson.Parse(data, out var rejection) : null;
                var outcome = e is null ? default : engine.Process(e);
                if (e is null || outcome.Status == EventStatus.Rejected)
                {
                    if (e is null)
                    {
                        engine.CountRejection(RejectionCodes.Malformed);
                    }
                    Interlocked.Increment(ref _rejected);
                    await msg.AckTerminateAsync(cancellationToken: cancellationToken);
                    continue;
                }
                await msg.AckAsync(cancellationToken: cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    public static async Task EnsureStreamAsync(INatsJSContext js, JetStreamIngestOptions options, CancellationToken cancellationToken) =>
        await js.CreateOrUpdateStreamAsync(new StreamConfig(options.Stream, [options.Subjects])
        {
            // JetStream also drops re-published ids within this window (Nats-Msg-Id).
            DuplicateWindow = TimeSpan.FromMinutes(2),
        }, cancellationToken);

    /// <summary>Publishes an event in its wire form, with the event id as JetStream's message id.</summary>
    public static async Task PublishAsync(INatsJSContext js, string subject, StreamEvent e, CancellationToken cancellationToken = default)
    {
        var ack = await js.PublishAsync(subject, EventJson.Serialize(e), opts: new NatsJSPubOpts { MsgId = e.Id }, cancellationToken: cancellationToken);
        ack.EnsureSuccess();
    }
}
