namespace CivicGrid.AntiFraud.Tests;

/// <summary>A fact that needs a real nats-server with JetStream; skipped unless CIVICGRID_NATS_URL is set (copied from the Streams tests).</summary>
public sealed class NatsFactAttribute : FactAttribute
{
    public const string UrlVariable = "CIVICGRID_NATS_URL";

    public NatsFactAttribute()
    {
        if (string.IsNullOrEmpty(Url))
        {
            Skip = $"{UrlVariable} is not set (start: nats-server -js -a 127.0.0.1 -p 14222 -sd /tmp/nats-js, then {UrlVariable}=nats://127.0.0.1:14222)";
        }
    }

    public static string? Url => Environment.GetEnvironmentVariable(UrlVariable);
}
