using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Jobs;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CivicGrid.Kernel.Messaging;

/// <summary>
/// "Something changed" across the nodes of a cluster: a module publishes a short payload on a topic (the anti-fraud board's
/// region paths when alerts are stored), subscribers on this node hear it at once, and on PostgreSQL every other node hears
/// it through LISTEN/NOTIFY. A signal carries no data: the subscriber reads what changed from the database, so a node whose
/// listening connection dropped tells its subscribers "everything" ("/") when it is back, and they catch up from there.
/// SQLite is one node: the local subscribers are all there are.
/// </summary>
public sealed class ClusterSignal(DatabaseOptions database, JobOptions jobs, ILogger<ClusterSignal> logger)
{
    public const string Channel = "civicgrid_signal";

    /// <summary>Everything may have changed (a reconnect): subscribers reload.</summary>
    public const string Everything = "/";

    private readonly string node = jobs.ResolvedNodeId;

    private event Action<string, string>? Received;

    /// <summary>Hears <paramref name="topic"/> from this node and the others; after a reconnect, <see cref="Everything"/>.</summary>
    public void Subscribe(string topic, Action<string> handler)
    {
        lock (Topics) Topics.Add(topic);
        Received += (t, payload) =>
        {
            if (t == topic) handler(payload);
        };
    }

    /// <summary>Tells this node's subscribers, then the other nodes (PostgreSQL). Never throws: a signal lost is caught up on the next.</summary>
    public async Task PublishAsync(string topic, string payload, CancellationToken ct)
    {
        Raise(topic, payload);
        if (!database.IsPostgres) return;
        // NOTIFY payloads are limited to 8000 bytes: a long list becomes "everything".
        var text = $"{node}\n{topic}\n{(payload.Length > 6000 ? Everything : payload)}";
        try
        {
            await using var connection = new NpgsqlConnection(database.ConnectionString);
            await connection.OpenAsync(ct);
            await using var command = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection);
            command.Parameters.AddWithValue("channel", Channel);
            command.Parameters.AddWithValue("payload", text);
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException)
        {
            logger.LogWarning(e, "Cluster signal {Topic} not sent to the other nodes", topic);
        }
    }

    internal void FromOtherNode(string text)
    {
        var parts = text.Split('\n', 3);
        if (parts.Length != 3 || parts[0] == node) return;
        Raise(parts[1], parts[2]);
    }

    internal void Raise(string topic, string payload)
    {
        foreach (var handler in Received?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action<string, string>)handler)(topic, payload);
            }
            catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
            {
                // A closed page's handler: the others still hear it.
            }
        }
    }

    /// <summary>Topics this node has subscribers for, told "everything" after a reconnect.</summary>
    internal HashSet<string> Topics { get; } = [];

    internal List<string> TopicList()
    {
        lock (Topics) return [.. Topics];
    }
}

/// <summary>Per-node work: this node's LISTEN connection (PostgreSQL only), reconnecting with a growing delay.</summary>
public sealed class ClusterListener(ClusterSignal signal, DatabaseOptions database, ILogger<ClusterListener> logger) : BackgroundService
{
    /// <summary>Set once LISTEN is in place (tests wait for it).</summary>
    public TaskCompletionSource Listening { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!database.IsPostgres) return;
        var delay = TimeSpan.FromSeconds(1);
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(database.ConnectionString) { KeepAlive = 30, Pooling = false }.ConnectionString);
                await connection.OpenAsync(stoppingToken);
                connection.Notification += (_, e) => signal.FromOtherNode(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {ClusterSignal.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }
                Listening.TrySetResult();
                // Back after a drop: what was signalled meanwhile is lost, so every subscriber reloads.
                if (!first) foreach (var topic in signal.TopicList()) signal.Raise(topic, ClusterSignal.Everything);
                first = false;
                delay = TimeSpan.FromSeconds(1);
                while (!stoppingToken.IsCancellationRequested) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or System.IO.IOException)
            {
                logger.LogWarning(e, "Cluster listener lost its connection; reconnecting in {Delay}", delay);
                try { await Task.Delay(delay, stoppingToken); } catch (OperationCanceledException) { return; }
                delay = TimeSpan.FromSeconds(Math.Min(30, delay.TotalSeconds * 2));
            }
        }
    }
}
