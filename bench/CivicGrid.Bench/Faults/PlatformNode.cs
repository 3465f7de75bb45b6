using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace CivicGrid.Bench.Faults;

/// <summary>
/// The platform as a child process (<c>dotnet CivicGrid.Web.dll</c> from the bench's own output), on its own port and data
/// folder, so that it can be killed with SIGKILL and started again on the same database.
/// </summary>
internal sealed class PlatformNode : IAsyncDisposable
{
    private readonly string folder;
    private readonly string provider;
    private readonly string connectionString;
    private Process? process;

    public PlatformNode(string folder, string provider, string connectionString)
    {
        this.folder = folder;
        this.provider = provider;
        this.connectionString = connectionString;
        Port = FreePort();
        Directory.CreateDirectory(folder);
    }

    public int Port { get; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}/");

    public int Starts { get; private set; }

    public bool HasExited => process is null || process.HasExited;

    public string LogFile => Path.Combine(folder, "node.log");

    public void Start()
    {
        var web = Path.Combine(AppContext.BaseDirectory, "CivicGrid.Web.dll");
        var start = new ProcessStartInfo("dotnet", [web])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        start.Environment["CivicGrid__Url"] = BaseAddress.ToString().TrimEnd('/');
        start.Environment["CivicGrid__Database__Provider"] = provider;
        start.Environment["CivicGrid__Database__ConnectionString"] = connectionString;
        start.Environment["CivicGrid__PersonalData__KeyFile"] = Path.Combine(folder, "personal-data.key");
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        Starts++;
        var log = new StreamWriter(LogFile, append: true) { AutoFlush = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Waits until /healthz answers 200; false when the process ended first or the time ran out.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var until = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < until)
        {
            if (HasExited) return false;
            try
            {
                if ((await http.GetAsync("healthz")).StatusCode == HttpStatusCode.OK) return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        return false;
    }

    /// <summary>SIGKILL: no shutdown hooks, no flush, as a power cut or the OOM killer would.</summary>
    public void Kill()
    {
        if (process is { HasExited: false }) process.Kill(entireProcessTree: true);
        process?.WaitForExit();
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        process?.Dispose();
        return ValueTask.CompletedTask;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
