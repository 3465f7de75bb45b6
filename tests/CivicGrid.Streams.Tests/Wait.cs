namespace CivicGrid.Streams.Tests;

/// <summary>Waits for a state instead of sleeping for a guessed time.</summary>
internal static class Wait
{
    public static async Task UntilAsync(Func<bool> condition, string what, int timeoutMs = 10_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        while (!condition())
        {
            if (timeout.IsCancellationRequested)
            {
                throw new TimeoutException($"Timed out after {timeoutMs} ms waiting for: {what}");
            }
            await Task.Yield();
            await Task.Delay(5, CancellationToken.None);
        }
    }
}
