namespace CivicGrid.AntiFraud.Engine;

/// <summary>
/// Tells open alert boards that alerts were stored or changed, in-process, so a board refreshes when something happens
/// instead of polling the database. Each notice carries the region paths concerned; a board ignores paths outside its scope.
/// </summary>
internal sealed class AlertNotifier
{
    public event Action<IReadOnlyCollection<string>>? Changed;

    public void Notify(IReadOnlyCollection<string> regionPaths)
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
