namespace CivicGrid.AntiFraud.Engine;

/// <summary>
/// Tells open alert boards that alerts were stored or changed, so a board refreshes when something happens instead of
/// polling the database: on this node at once, and on the other nodes through the platform's cluster signal (PostgreSQL
/// LISTEN/NOTIFY), so a police board open on node B sees an alert stored on node A. Each notice carries the region paths
/// concerned; a board ignores paths outside its scope ("/" after a reconnect: every board reloads).
/// </summary>
internal sealed class AlertNotifier
{
    public const string Topic = "antifraud.alerts";

    private readonly Kernel.Messaging.ClusterSignal? cluster;

    public AlertNotifier(Kernel.Messaging.ClusterSignal? cluster = null)
    {
        this.cluster = cluster;
        if (cluster is null) return;
        cluster.Subscribe(Topic, payload => Raise(payload.Split(',', StringSplitOptions.RemoveEmptyEntries)));
    }

    public event Action<IReadOnlyCollection<string>>? Changed;

    /// <summary>Alerts of these regions changed here: this node's boards now, the other nodes' through the cluster signal.</summary>
    public void Notify(IReadOnlyCollection<string> regionPaths)
    {
        if (regionPaths.Count == 0) return;
        if (cluster is null)
        {
            Raise(regionPaths);
            return;
        }
        // The signal raises this node's subscribers first (the boards here), then tells the other nodes; it never throws.
        _ = cluster.PublishAsync(Topic, string.Join(',', regionPaths), CancellationToken.None);
    }

    private void Raise(IReadOnlyCollection<string> regionPaths)
    {
        if (regionPaths.Count == 0) return;
        // A slow or broken subscriber must not stop the writer or the other boards.
        foreach (var handler in Changed?.GetInvocationList() ?? [])
        {
            try
            {
                ((Action<IReadOnlyCollection<string>>)handler)(regionPaths);
            }
            catch (ObjectDisposedException)
            {
            }
            catch (InvalidOperationException)
            {
            }
        }
    }
}
