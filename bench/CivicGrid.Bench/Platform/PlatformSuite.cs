using System.Diagnostics;
using CivicGrid.Kernel.Calendar;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace CivicGrid.Bench.Platform;

/// <summary>
/// Platform services. <c>platform.working_days_add_ns</c>: adding N working days (N = 5, 20, 250) to China dates spread over
/// the shipped years 2020–2026, the worst of the three per call; goal ≤ 200 ns. <c>platform.job_failover_s</c>: two nodes (two processes of this executable, verb
/// <c>platform-node</c>) on one PostgreSQL database with the platform scheduler at its shipped cluster settings; a job that
/// takes two minutes is running on one node when that node is killed (SIGKILL); the figure is the time until the other
/// node starts the job. Goal ≤ 60 s. Needs PostgreSQL: CIVICGRID_BENCH_PG or CIVICGRID_TEST_PG (a server connection string).
/// </summary>
public sealed class PlatformSuite : BenchSuite
{
    public override string Name => "platform";

    public const string Job = "bench_slow";

    public override async Task RunAsync(string[] args)
    {
        WorkingDays(args);
        var server = Environment.GetEnvironmentVariable("CIVICGRID_BENCH_PG") ?? Environment.GetEnvironmentVariable("CIVICGRID_TEST_PG");
        if (string.IsNullOrEmpty(server))
        {
            Log("no PostgreSQL: set CIVICGRID_BENCH_PG (or CIVICGRID_TEST_PG) to a server connection string");
            return;
        }
        var database = "cg_bench_" + Guid.NewGuid().ToString("N")[..12];
        await ExecAsync(server, $"CREATE DATABASE {database}");
        var connection = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        var nodes = new List<Process>();
        try
        {
            // One after the other: the first node migrates (the qrtz_ tables come with the Kernel's migrations).
            nodes.Add(StartNode("bench-a", connection));
            await WaitAsync(connection, "SELECT count(*) FROM qrtz_scheduler_state WHERE instance_name = 'bench-a'", 1, TimeSpan.FromMinutes(3));
            nodes.Add(StartNode("bench-b", connection));
            await WaitAsync(connection, "SELECT count(*) FROM qrtz_scheduler_state", 2, TimeSpan.FromMinutes(3));
            await WaitAsync(connection, $"SELECT count(*) FROM job_runs WHERE \"JobKey\" = '{Job}' AND \"Outcome\" = 'running'", 1, TimeSpan.FromMinutes(1));
            var victim = (string)(await ScalarAsync(connection, $"SELECT \"Node\" FROM job_runs WHERE \"JobKey\" = '{Job}' AND \"Outcome\" = 'running' LIMIT 1"))!;
            var survivor = victim == "bench-a" ? "bench-b" : "bench-a";
            var process = nodes[victim == "bench-a" ? 0 : 1];
            var killed = DateTime.UtcNow;
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Log($"killed {victim} mid-run at {killed:HH:mm:ss.fff}; waiting for {survivor}");
            var sql = $"SELECT count(*) FROM job_runs WHERE \"JobKey\" = '{Job}' AND \"Node\" = '{survivor}'";
            await WaitAsync(connection, sql, 1, TimeSpan.FromMinutes(3));
            var started = ((DateTime)(await ScalarAsync(connection,
                $"SELECT min(\"StartedAt\") FROM job_runs WHERE \"JobKey\" = '{Job}' AND \"Node\" = '{survivor}'"))!).ToUniversalTime();
            var trigger = await ScalarAsync(connection, $"SELECT \"Trigger\" FROM job_runs WHERE \"JobKey\" = '{Job}' AND \"Node\" = '{survivor}' ORDER BY \"Id\" LIMIT 1");
            Log($"{survivor} started the job at {started:HH:mm:ss.fff} ({trigger})");
            Result("job_failover_s", (started - killed).TotalSeconds, "s");
        }
        finally
        {
            foreach (var p in nodes)
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
            NpgsqlConnection.ClearAllPools();
            await ExecAsync(server, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    private static Process StartNode(string id, string connection)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(PlatformSuite).Assembly.Location, "platform-node", id])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["CIVICGRID_NODE_DB"] = connection;
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { Length: > 0 } line && line.Contains("fail", StringComparison.OrdinalIgnoreCase)) Log($"{id}: {line}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitAsync(string connection, string sql, long atLeast, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if (Convert.ToInt64(await ScalarAsync(connection, sql), System.Globalization.CultureInfo.InvariantCulture) >= atLeast) return;
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                // The first node has not migrated yet.
            }
            if (clock.Elapsed > timeout) throw new TimeoutException($"waited {timeout} for: {sql}");
            await Task.Delay(100);
        }
    }

    private static async Task<object?> ScalarAsync(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        return await command.ExecuteScalarAsync();
    }

    private static async Task ExecAsync(string connection, string sql)
    {
        await using var c = new NpgsqlConnection(connection);
        await c.OpenAsync();
        await using var command = new NpgsqlCommand(sql, c);
        await command.ExecuteNonQueryAsync();
    }

    internal static void Log(string message) => Console.Error.WriteLine($"[platform {DateTime.UtcNow:HH:mm:ss}] {message}");

    /// <summary><c>platform.working_days_add_ns</c>: see the class summary; no database needed.</summary>
    private void WorkingDays(string[] args)
    {
        var calendar = new WorkCalendar(CalendarFile.ShippedRows());
        var starts = Enumerable.Range(0, 4096).Select(i => new DateOnly(2020, 1, 1).AddDays(i * 7 % 2500)).ToArray();
        var calls = Quick(args) ? 400_000 : 4_000_000;
        var worst = 0.0;
        foreach (var n in new[] { 5, 20, 250 })
        {
            Run(calendar, starts, n, calls / 10); // warm-up
            var ns = Run(calendar, starts, n, calls);
            Console.WriteLine(FormattableString.Invariant($"working days +{n}: {ns:0.0} ns per call"));
            worst = Math.Max(worst, ns);
        }
        Result("working_days_add_ns", worst, "ns");
    }

    private static double Run(WorkCalendar calendar, DateOnly[] starts, int n, int calls)
    {
        long checksum = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            checksum += calendar.AddWorkingDays(starts[i & 4095], n).LastDay.DayNumber;
        }
        watch.Stop();
        if (checksum == 42) Console.WriteLine("(checksum)");
        return watch.Elapsed.TotalNanoseconds / calls;
    }
}

/// <summary>
/// One node for <see cref="PlatformSuite"/>: the platform's Kernel and scheduler (as the web host adds them, shipped cluster
/// settings) with one job that fires every 2 s and runs for two minutes, so that a node is killed in the middle of it.
/// </summary>
public static class PlatformNode
{
    public static async Task RunAsync(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = Path.GetTempPath() });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CivicGrid:Database:Provider"] = "postgres",
            ["CivicGrid:Database:ConnectionString"] = Environment.GetEnvironmentVariable("CIVICGRID_NODE_DB"),
            ["CivicGrid:PersonalData:Key"] = PersonalDataProtector.GenerateKey(),
            ["CivicGrid:Jobs:NodeId"] = args[0],
            ["urls"] = "http://127.0.0.1:0",
        });
        builder.AddPlatform();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddPlatformJob<SlowJob>(PlatformSuite.Job, "基准：长任务", "Bench: slow job", JobSchedule.Every(TimeSpan.FromSeconds(2)));
        await using var app = builder.Build();
        await app.Services.MigrateAllAsync(CancellationToken.None);
        await app.RunAsync();
    }

    private sealed class SlowJob : IPlatformJob
    {
        public Task RunAsync(Acting job, CancellationToken ct) => Task.Delay(TimeSpan.FromMinutes(2), ct);
    }

}
