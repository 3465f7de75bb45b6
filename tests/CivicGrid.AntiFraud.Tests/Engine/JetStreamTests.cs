using CivicGrid.AntiFraud.Tests.Features;
using CivicGrid.Streams;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using CivicGrid.AntiFraud.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NATS.Client.JetStream;
using NATS.Net;

namespace CivicGrid.AntiFraud.Tests.Engine;

/// <summary>The platform with its JetStream consumer on, against a real nats-server (test.sh starts one).</summary>
public sealed class NatsPlatformFactory : PlatformFactory
{
    public string Stream { get; } = "CG_TEST_" + Guid.NewGuid().ToString("N")[..8].ToUpperInvariant();

    public string Subjects => $"{Stream.ToLowerInvariant()}.>";

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("CivicGrid:AntiFraud:NatsUrl", NatsFactAttribute.Url ?? "nats://127.0.0.1:1");
        builder.UseSetting("CivicGrid:AntiFraud:NatsStream", Stream);
        builder.UseSetting("CivicGrid:AntiFraud:NatsSubjects", Subjects);
        builder.UseSetting("CivicGrid:AntiFraud:NatsDurable", "test-engine");
    }
}

public class JetStreamTests
{
    [NatsFact]
    public async Task Publish_ScenarioToJetStream_AlertStoredAndRoutedOnceDespiteRedelivery()
    {
        await using var factory = new NatsPlatformFactory();
        _ = factory.Server; // starts the host, its engine and its consumer
        var person = AlertBed.ResidentOfHeshang(factory, skip: 20);
        await using var nats = new NatsClient(NatsFactAttribute.Url!);
        var js = nats.CreateJetStreamContext();
        await JetStreamIngest.EnsureStreamAsync(js, new JetStreamIngestOptions { Url = NatsFactAttribute.Url!, Stream = factory.Stream, Subjects = factory.Subjects }, default);
        var events = AlertBed.PoliceScenario(person.Subject, factory.Time.GetUtcNow(), "js");
        foreach (var e in events)
        {
            await JetStreamIngest.PublishAsync(js, $"{factory.Stream.ToLowerInvariant()}.p0", e);
        }
        // The same event published again under another message id (a producer retry past JetStream's window): processed once.
        await js.PublishAsync($"{factory.Stream.ToLowerInvariant()}.p0", EventJson.Serialize(events[1]), opts: new NatsJSPubOpts { MsgId = "retry-1" });

        var alerts = await AlertBed.WaitForAlertsAsync(factory, person.Subject, 2, timeoutMs: 20_000);
        Assert.All(alerts, a => Assert.Equal("河上镇", a.StationName));
        await Task.Delay(500);
        Assert.Equal(2, (await AlertBed.WaitForAlertsAsync(factory, person.Subject, 2)).Count);
        await js.DeleteStreamAsync(factory.Stream);
    }

    [NatsFact]
    public async Task SimulateWithNats_PublishesTheRun_ThePlatformConsumesItAndRaisesAlerts()
    {
        await using var factory = new NatsPlatformFactory();
        var engine = factory.Services.GetRequiredService<CivicGrid.AntiFraud.Engine.AntiFraudEngine>(); // starts the host and its consumer
        var before = engine.Streams.Stats().Accepted;
        var output = new StringWriter();
        var rc = await CivicGrid.AntiFraud.Features.Simulate.SimulateCommand.RunAsync(
            ["fraud", "--people", "80", "--hours", "6", "--scenarios", "1", "--seed", "5", "--nats", NatsFactAttribute.Url!,
             "--stream", factory.Stream, "--subject", $"{factory.Stream.ToLowerInvariant()}.sim", "--eps", "100000"], output, time: factory.Time);
        var text = output.ToString();
        Assert.True(rc == 0, text);
        var published = long.Parse(System.Text.RegularExpressions.Regex.Match(text, @"published ([\d,]+) events").Groups[1].Value.Replace(",", ""));
        Assert.True(published > 500, text);

        // Every published event reaches the engine through the durable consumer, and the injected scenarios raise alerts.
        using var timeout = new CancellationTokenSource(30_000);
        while (engine.Streams.Stats().Accepted - before < published) await Task.Delay(20, timeout.Token);
        while (await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Alerts.CountAsync(a => a.Category == "冒充公检法")) == 0)
        {
            await Task.Delay(20, timeout.Token);
        }
        await using var nats = new NatsClient(NatsFactAttribute.Url!);
        await nats.CreateJetStreamContext().DeleteStreamAsync(factory.Stream);
    }

    [Fact]
    public async Task SimulateWithNats_NoServer_SaysSoAndReturns1()
    {
        var error = new StringWriter();
        var previous = Console.Error;
        Console.SetError(error);
        try
        {
            var rc = await CivicGrid.AntiFraud.Features.Simulate.SimulateCommand.RunAsync(
                ["fraud", "--people", "20", "--hours", "1", "--scenarios", "0", "--nats", "nats://127.0.0.1:1"], new StringWriter());
            Assert.Equal(1, rc);
        }
        finally
        {
            Console.SetError(previous);
        }
        Assert.Contains("cannot reach NATS", error.ToString());
    }
}
