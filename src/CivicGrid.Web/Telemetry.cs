using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.Operations;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace CivicGrid.Web;

/// <summary>
/// OpenTelemetry traces and metrics: requests (ASP.NET Core), outgoing calls (HttpClient: channels, webhooks), the runtime, and the
/// platform's own sources and meters (<see cref="PlatformMetrics"/>: job runs, imports, outbox, anti-fraud events and alert
/// latency). Exported over OTLP when <c>CivicGrid:Telemetry:OtlpEndpoint</c> (or the standard <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>)
/// is set; without one the instruments still run (a MeterListener, dotnet-counters) and nothing leaves the machine.
/// Each node reports as service <c>civicgrid</c> with its node id, so the nodes of a cluster are told apart.
/// </summary>
public static class Telemetry
{
    public const string Section = "CivicGrid:Telemetry";

    public static void AddTelemetry(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var endpoint = config[$"{Section}:OtlpEndpoint"] ?? config["OTEL_EXPORTER_OTLP_ENDPOINT"];
        var protocol = string.Equals(config[$"{Section}:OtlpProtocol"] ?? config["OTEL_EXPORTER_OTLP_PROTOCOL"], "grpc", StringComparison.OrdinalIgnoreCase)
            ? OpenTelemetry.Exporter.OtlpExportProtocol.Grpc
            : OpenTelemetry.Exporter.OtlpExportProtocol.HttpProtobuf;
        var jobs = config.GetSection(JobOptions.Section).Get<JobOptions>() ?? new JobOptions();
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(config[$"{Section}:ServiceName"] ?? "civicgrid", serviceInstanceId: jobs.ResolvedNodeId))
            .WithTracing(t =>
            {
                t.AddSource(PlatformMetrics.Name + "*")
                    .AddAspNetCoreInstrumentation(o =>
                        // The Blazor circuit's long-lived connection and static files are not requests worth a trace.
                        o.Filter = http => !http.Request.Path.StartsWithSegments("/_blazor") && !http.Request.Path.StartsWithSegments("/_framework"))
                    .AddHttpClientInstrumentation();
            })
            .WithMetrics(m =>
            {
                m.AddMeter(PlatformMetrics.Name + "*")
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
            });
        if (!string.IsNullOrWhiteSpace(endpoint) && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri))
        {
            telemetry.UseOtlpExporter(protocol, uri);
        }
    }
}
