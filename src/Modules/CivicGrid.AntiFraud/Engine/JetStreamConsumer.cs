using CivicGrid.Streams;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CivicGrid.AntiFraud.Engine;

/// <summary>Feeds the engine from a NATS JetStream durable consumer when CivicGrid:AntiFraud:NatsUrl is set; reconnects after failures.</summary>
internal sealed class JetStreamConsumer(AntiFraudEngine engine, AntiFraudOptions options, TimeProvider time, ILogger<JetStreamConsumer> log) : BackgroundService
{
    public JetStreamIngest? Ingest { get; private set; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = new JetStreamIngestOptions { Url = options.NatsUrl!, Stream = options.NatsStream, Subjects = options.NatsSubjects, Durable = options.NatsDurable };
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                Ingest = new JetStreamIngest(engine.Streams, settings);
                await Ingest.RunAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NATS.Client.Core.NatsException or TimeoutException or IOException or InvalidOperationException)
            {
                log.LogError(e, "JetStream consumer stopped; reconnecting in 5 s");
            }
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(5), time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
