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
        if (!args.Contains("--no-outbox")) await OutboxAsync(server, args);
        if (args.Contains("--outbox-only")) return;
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

    /// <summary>
    /// <c>platform.outbox_messages_per_s</c> and <c>platform.outbox_duplicates</c>: two nodes on one PostgreSQL database deliver
    /// N queued SMS (10,000; 2,000 with --quick) to a local gateway receiver in this process (rate limits off); the rate is
    /// messages received over the time from the first to the last, duplicates are outIds received more than once.
    /// </summary>
    private async Task OutboxAsync(string server, string[] args)
    {
        var count = Quick(args) ? 2_000 : 10_000;
        var database = "cg_bench_" + Guid.NewGuid().ToString("N")[..12];
        await ExecAsync(server, $"CREATE DATABASE {database}");
        var connection = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        var key = PersonalDataProtector.GenerateKey();
        var received = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        long first = 0, last = 0;
        var receiver = WebApplication.CreateSlimBuilder();
        Microsoft.AspNetCore.Hosting.HostingAbstractionsWebHostBuilderExtensions.UseUrls(receiver.WebHost, "http://127.0.0.1:0");
        receiver.Logging.ClearProviders();
        await using var gateway = receiver.Build();
        gateway.MapPost("/sms", async (Microsoft.AspNetCore.Http.HttpRequest http) =>
        {
            using var json = await System.Text.Json.JsonDocument.ParseAsync(http.Body);
            received.AddOrUpdate(json.RootElement.GetProperty("outId").GetString()!, 1, (_, n) => n + 1);
            var now = Stopwatch.GetTimestamp();
            Interlocked.CompareExchange(ref first, now, 0);
            Interlocked.Exchange(ref last, now);
            return Microsoft.AspNetCore.Http.Results.Text("{\"code\":\"OK\",\"bizId\":\"b\"}", "application/json");
        });
        await gateway.StartAsync();
        var url = gateway.Urls.First() + "/sms";
        var nodes = new List<Process>();
        try
        {
            nodes.Add(StartNode("outbox-a", connection, "outbox", key, url));
            await WaitAsync(connection, "SELECT count(*) FROM qrtz_scheduler_state WHERE instance_name = 'outbox-a'", 1, TimeSpan.FromMinutes(3));
            nodes.Add(StartNode("outbox-b", connection, "outbox", key, url));
            await WaitAsync(connection, "SELECT count(*) FROM qrtz_scheduler_state", 2, TimeSpan.FromMinutes(3));
            // Queue the messages as a module's write would (recipients encrypted with the nodes' key), in one transaction.
            using var protector = new PersonalDataProtector(new PersonalDataOptions { Key = key });
            await using (var c = new NpgsqlConnection(connection))
            {
                await c.OpenAsync();
                var now = DateTime.UtcNow;
                await using var writer = await c.BeginBinaryImportAsync(
                    "COPY outbox_messages (\"Kind\", \"Channel\", \"Recipient\", \"RecipientMasked\", \"Body\", \"Parameters\", \"TemplateCode\", \"IdempotencyKey\", \"State\", \"Essential\", \"SourceModule\", \"RegionPath\", \"Attempts\", \"NextAttemptAt\", \"CreatedAt\") FROM STDIN (FORMAT BINARY)");
                for (var i = 0; i < count; i++)
                {
                    var phone = $"139{i:00000000}";
                    await writer.StartRowAsync();
                    await writer.WriteAsync("platform.notice");
                    await writer.WriteAsync("sms");
                    await writer.WriteAsync(protector.Encrypt(phone));
                    await writer.WriteAsync(Mask.Phone(phone));
                    await writer.WriteAsync($"【萧山基层智治】通知 {i}");
                    await writer.WriteAsync($"{{\"text\":\"通知 {i}\"}}");
                    await writer.WriteAsync("SMS_CIVICGRID_NOTICE");
                    await writer.WriteAsync($"bench:{i}");
                    await writer.WriteAsync("pending");
                    await writer.WriteAsync(true);
                    await writer.WriteAsync("bench");
                    await writer.WriteAsync("/");
                    await writer.WriteAsync(0);
                    await writer.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                    await writer.WriteAsync(now, NpgsqlTypes.NpgsqlDbType.TimestampTz);
                }
                await writer.CompleteAsync();
            }
            Log($"queued {count} messages; two nodes deliver them");
            await WaitAsync(connection, "SELECT count(*) FROM outbox_messages WHERE \"State\" = 'sent'", count, TimeSpan.FromMinutes(10));
            var seconds = Stopwatch.GetElapsedTime(first, last).TotalSeconds;
            var byNode = await ScalarAsync(connection, "SELECT string_agg(n, ', ') FROM (SELECT \"SentBy\" || ' ' || count(*) AS n FROM outbox_messages GROUP BY \"SentBy\") x");
            Log($"received {received.Count} distinct of {count} in {seconds:0.00} s ({byNode})");
            Result("outbox_messages_per_s", received.Count / Math.Max(seconds, 0.001), "msg/s");
            Result("outbox_duplicates", received.Values.Sum(n => n - 1), "messages");
        }
        finally
        {
            foreach (var p in nodes)
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.Dispose();
            }
            await gateway.StopAsync();
            NpgsqlConnection.ClearAllPools();
            await ExecAsync(server, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
        }
    }

    private static Process StartNode(string id, string connection, string mode = "jobs", string? key = null, string? smsUrl = null)
    {
        var start = new ProcessStartInfo("dotnet", [typeof(PlatformSuite).Assembly.Location, "platform-node", id, mode])
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        start.Environment["CIVICGRID_NODE_DB"] = connection;
        if (key is not null) start.Environment["CIVICGRID_NODE_KEY"] = key;
        if (smsUrl is not null) start.Environment["CIVICGRID_NODE_SMS_URL"] = smsUrl;
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
            ["CivicGrid:PersonalData:Key"] = Environment.GetEnvironmentVariable("CIVICGRID_NODE_KEY") ?? PersonalDataProtector.GenerateKey(),
            ["CivicGrid:Jobs:NodeId"] = args[0],
            ["urls"] = "http://127.0.0.1:0",
        });
        var outbox = args.Length > 1 && args[1] == "outbox";
        if (outbox)
        {
            // The outbox run: SMS through a gateway (the suite's receiver), no slow job.
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["CivicGrid:Messaging:Sms:Provider"] = "gateway",
                ["CivicGrid:Messaging:Sms:GatewayUrl"] = Environment.GetEnvironmentVariable("CIVICGRID_NODE_SMS_URL"),
                ["CivicGrid:Messaging:PollInterval"] = "00:00:00.200",
            });
        }
        builder.AddPlatform();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (!outbox) builder.Services.AddPlatformJob<SlowJob>(PlatformSuite.Job, "基准：长任务", "Bench: slow job", JobSchedule.Every(TimeSpan.FromSeconds(2)));
        await using var app = builder.Build();
        await app.Services.MigrateAllAsync(CancellationToken.None);
        await app.RunAsync();
    }

    private sealed class SlowJob : IPlatformJob
    {
        public Task RunAsync(Acting job, CancellationToken ct) => Task.Delay(TimeSpan.FromMinutes(2), ct);
    }

}
