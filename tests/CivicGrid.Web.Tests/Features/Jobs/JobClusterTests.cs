using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using CivicGrid.Testing;
using Npgsql;

namespace CivicGrid.Web.Tests.Features.Jobs;

/// <summary>A fact that needs PostgreSQL (CIVICGRID_TEST_PG): the clustered job store exists only there.</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!PlatformFactory.OnPostgres) Skip = "CIVICGRID_TEST_PG is not set (eval $(/work/pg-start.sh NAME) or ./test.sh)";
    }
}

/// <summary>
/// Two web nodes on one PostgreSQL database, each its own process (`dotnet CivicGrid.Web.dll`), as in production. Two
/// nodes inside one test process would prove less: they would share the process's statics and thread pool, and killing
/// one would not be a crash. The audit retention job is set to fire every second (idempotent: it deletes nothing new).
/// </summary>
public sealed class JobClusterTests : IDisposable
{
    private const string Job = "audit_retention";
    private readonly string database = "cg_cluster_" + Guid.NewGuid().ToString("N")[..12];
    private readonly string connectionString;
    private readonly List<Node> nodes = [];

    public JobClusterTests()
    {
        if (!PlatformFactory.OnPostgres)
        {
            connectionString = "";
            return;
        }
        var server = Environment.GetEnvironmentVariable("CIVICGRID_TEST_PG")!;
        using (var connection = new NpgsqlConnection(server))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            create.ExecuteNonQuery();
        }
        connectionString = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
    }

    [PostgresFact]
    public async Task TwoNodes_JobRunsOncePerFireTime_AndTheOtherNodeTakesOverWhenItsNodeIsKilled()
    {
        // One after the other, as a rolling start: the first applies the migrations (the qrtz_ tables among them).
        var a = await StartAsync("node-a");
        var b = await StartAsync("node-b");
        var bothUp = DateTime.UtcNow;

        // Both nodes are in the cluster and the job fires every second: at least 8 fire times after both were up.
        await WaitAsync(async () => await ScalarAsync($"SELECT count(*) FROM job_runs WHERE \"JobKey\" = '{Job}' AND \"FireTime\" > @t AND \"Outcome\" = 'succeeded'", bothUp) >= 8,
            "8 runs with both nodes up");
        Assert.Equal(2, await ScalarAsync("SELECT count(*) FROM qrtz_scheduler_state WHERE sched_name = 'CivicGrid'", bothUp));
        await AssertOncePerFireTimeAsync();

        // Kill the node that ran the latest fire time; the other node runs the job from then on.
        var last = await TextAsync($"SELECT \"Node\" FROM job_runs WHERE \"JobKey\" = '{Job}' AND \"Outcome\" = 'succeeded' ORDER BY \"FireTime\" DESC LIMIT 1");
        var (victim, survivor) = last == a.Id ? (a, b) : (b, a);
        victim.Kill();
        var killed = DateTime.UtcNow;
        await WaitAsync(async () => await ScalarAsync(
                $"SELECT count(*) FROM job_runs WHERE \"JobKey\" = '{Job}' AND \"Node\" = '{survivor.Id}' AND \"StartedAt\" > @t AND \"Outcome\" = 'succeeded'", killed) >= 3,
            $"three runs on {survivor.Id} after {victim.Id} was killed");
        var firstAfter = await ScalarTimeAsync($"SELECT min(\"StartedAt\") FROM job_runs WHERE \"JobKey\" = '{Job}' AND \"Node\" = '{survivor.Id}' AND \"StartedAt\" > @t", killed);
        Assert.True(firstAfter - killed < TimeSpan.FromSeconds(60), $"took over after {(firstAfter - killed).TotalSeconds:0.0} s");
        // Nothing runs on the dead node any more, and still once per fire time.
        Assert.Equal(0, await ScalarAsync($"SELECT count(*) FROM job_runs WHERE \"Node\" = '{victim.Id}' AND \"StartedAt\" > @t", killed.AddSeconds(1)));
        await AssertOncePerFireTimeAsync();
    }

    private async Task AssertOncePerFireTimeAsync()
    {
        var twice = await ScalarAsync($"SELECT count(*) FROM (SELECT \"FireTime\" FROM job_runs WHERE \"JobKey\" = '{Job}' AND \"Trigger\" = 'schedule' " +
            "AND \"Outcome\" = 'succeeded' GROUP BY \"FireTime\" HAVING count(*) > 1) d", DateTime.UtcNow);
        Assert.Equal(0, twice);
    }

    private async Task<long> ScalarAsync(string sql, DateTime t)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("t", t);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<DateTime> ScalarTimeAsync(string sql, DateTime t)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        command.Parameters.AddWithValue("t", t);
        return ((DateTime)(await command.ExecuteScalarAsync())!).ToUniversalTime();
    }

    private async Task<string?> TextAsync(string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (string?)await command.ExecuteScalarAsync();
    }

    private async Task WaitAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline || nodes.Any(n => n.Exited && !n.Killed))
                Assert.Fail($"timed out waiting for {what}\n{string.Join("\n", nodes.Select(n => n.Tail()))}");
            await Task.Delay(200);
        }
    }

    private async Task<Node> StartAsync(string id)
    {
        var node = Node.Start(id, connectionString, new Dictionary<string, string>
        {
            [$"CivicGrid__Jobs__Schedules__{Job}"] = "00:00:01",
            ["CivicGrid__Jobs__CheckinInterval"] = "00:00:01",
            ["CivicGrid__Jobs__CheckinMisfireThreshold"] = "00:00:02",
        });
        nodes.Add(node);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        await WaitAsync(async () =>
        {
            try
            {
                return (await http.GetAsync($"{node.Url}/healthz")).StatusCode == HttpStatusCode.OK;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                return false;
            }
        }, $"{id} to answer /healthz");
        return node;
    }

    public void Dispose()
    {
        foreach (var node in nodes) node.Dispose();
        if (!PlatformFactory.OnPostgres) return;
        NpgsqlConnection.ClearAllPools();
        using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable("CIVICGRID_TEST_PG"));
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection);
        drop.ExecuteNonQuery();
    }

    /// <summary>One platform process: the web host's own executable, on a free port, logging to a file.</summary>
    public sealed class Node : IDisposable
    {
        private readonly Process process;
        private readonly string log;
        private readonly StreamWriter writer;

        private Node(string id, string url, Process process, string log, StreamWriter writer) =>
            (Id, Url, this.process, this.log, this.writer) = (id, url, process, log, writer);

        public string Id { get; }

        public string Url { get; }

        public bool Killed { get; private set; }

        public bool Exited => process.HasExited;

        public static Node Start(string id, string connectionString, IReadOnlyDictionary<string, string> settings)
        {
            var dll = WebDll();
            var url = $"http://127.0.0.1:{FreePort()}";
            var log = Path.Combine(Path.GetTempPath(), $"civicgrid-{id}-{Guid.NewGuid():N}.log");
            var start = new ProcessStartInfo("dotnet", [dll, "--urls", url])
            {
                WorkingDirectory = Path.GetDirectoryName(dll)!, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            };
            start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
            start.Environment["CivicGrid__Database__Provider"] = "postgres";
            start.Environment["CivicGrid__Database__ConnectionString"] = connectionString;
            start.Environment["CivicGrid__PersonalData__Key"] = PlatformFactory.TestKey;
            start.Environment["CivicGrid__Demo__SeedOnFirstRun"] = "false";
            start.Environment["CivicGrid__Jobs__NodeId"] = id;
            start.Environment["Logging__LogLevel__Default"] = "Warning";
            foreach (var (key, value) in settings) start.Environment[key] = value;
            var process = Process.Start(start)!;
            var writer = new StreamWriter(log) { AutoFlush = true };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (writer) writer.WriteLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return new Node(id, url, process, log, writer);
        }

        /// <summary>Ends the process at once (SIGKILL): no shutdown, no check-out from the cluster.</summary>
        public void Kill()
        {
            Killed = true;
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }

        public string Tail()
        {
            try
            {
                using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                var lines = new StreamReader(stream).ReadToEnd().Split('\n');
                return $"--- {Id} (exited: {process.HasExited}) ---\n" + string.Join("\n", lines.TakeLast(30));
            }
            catch (IOException)
            {
                return $"--- {Id}: no log ---";
            }
        }

        public void Dispose()
        {
            if (!process.HasExited) Kill();
            process.Dispose();
            lock (writer) writer.Dispose();
            try { File.Delete(log); } catch (IOException) { }
        }

        /// <summary>The web host's build output beside this test's (same configuration), found from the repository root.</summary>
        private static string WebDll()
        {
            var here = new DirectoryInfo(AppContext.BaseDirectory);
            var configuration = here.Parent!.Name; // bin/<configuration>/net10.0/
            var root = here;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "CivicGrid.slnx"))) root = root.Parent;
            Assert.True(root is not null, "repository root (CivicGrid.slnx) not found above " + AppContext.BaseDirectory);
            var dll = Path.Combine(root!.FullName, "src", "CivicGrid.Web", "bin", configuration, "net10.0", "CivicGrid.Web.dll");
            Assert.True(File.Exists(dll), $"{dll} not built");
            return dll;
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }
}
