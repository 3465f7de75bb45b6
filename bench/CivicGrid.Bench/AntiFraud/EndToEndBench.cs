using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Threading.Channels;
using CivicGrid.AntiFraud;
using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Engine;
using CivicGrid.AntiFraud.Features.Alerts;
using CivicGrid.AntiFraud.Simulation;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places;
using CivicGrid.Places.Data;
using CivicGrid.Population;
using CivicGrid.Population.Data;
using CivicGrid.Streams;
using CivicGrid.Web;
using CivicGrid.Web.Features.Accounts;
using CivicGrid.Web.Features.Demo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CivicGrid.Bench.AntiFraud;

/// <summary>
/// antifraud.e2e_p99_ms: the platform started in-process on a loopback port (demo district on a fresh SQLite file), fed
/// over HTTP with NDJSON batches at a steady 10,000 events/s of simulated everyday life. Ten times a second a probe
/// resident of 河上镇 gets a 冒充公检法 pattern (a long call from abroad, then a 50,000 yuan transfer); the figure is the
/// time from sending the batch that holds the transfer to the alert being stored, announced and read back by the same
/// query the board runs. Client and server share the machine's two cores.
/// </summary>
internal static class EndToEndBench
{
    private const string ProbeRule = "police.call-no-verify-transfer";

    public static async Task<List<(string Figure, double Value, string Unit)>> RunAsync(bool quick, double eventsPerSecond = 10_000)
    {
        var seconds = quick ? 10 : 30;
        var folder = Path.Combine(Path.GetTempPath(), "civicgrid-bench-antifraud-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var results = new List<(string, double, string)>();
        try
        {
            await using var app = BuildHost(folder);
            await app.Services.MigrateAllAsync(default);
            await app.Services.GetRequiredService<DemoSeeder>().SeedAsync("demo", default);
            await DemoAccounts.EnsureAsync(app.Services, default);
            await app.StartAsync();
            var url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            Log($"platform on {url}; {eventsPerSecond:N0} events/s for {seconds} s");
            results.AddRange(await LoadAsync(app, url, eventsPerSecond, seconds));
            await app.StopAsync();
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
        }
        return results;
    }

    private static WebApplication BuildHost(string folder)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = folder });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CivicGrid:Database:Provider"] = "sqlite",
            ["CivicGrid:Database:ConnectionString"] = new SqliteConnectionStringBuilder { DataSource = Path.Combine(folder, "civicgrid.db") }.ToString(),
            ["CivicGrid:PersonalData:Key"] = PersonalDataProtector.GenerateKey(),
            ["urls"] = "http://127.0.0.1:0",
        });
        // The same modules Program.cs wires, minus the pages: the board is represented by its query below.
        var database = builder.AddPlatform();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAccounts();
        builder.Services.AddPlaces(database);
        builder.Services.AddPopulation(database);
        builder.Services.AddAntiFraud(database, builder.Configuration);
        var app = builder.Build();
        // UsePlatform's request pipeline without static assets and localisation (the bench has no pages).
        app.UseExceptionHandler();
        app.UseAuthentication();
        app.UseAuthorization();
        var api = app.MapGroup("/api/v1");
        app.MapAccounts(api);
        app.MapPlaces(api);
        app.MapPopulation(api);
        app.MapAntiFraud(api);
        return app;
    }

    private static async Task<List<(string, double, string)>> LoadAsync(WebApplication app, string url, double eps, int seconds)
    {
        var (probes, district) = await ProbeResidentsAsync(app, seconds * 10 + 50);
        var run = Simulator.Generate(new SimulationOptions { People = 20_000, Hours = 24, ScenariosPerType = 0, Seed = 11, EventsPerPersonPerHour = eps * seconds * 1.1 / 20_000 / 24 });
        var background = run.Events;
        Log($"{background.Count:N0} background events, {probes.Count} probe residents");

        // The board's side: a notice from the writer → the board's query → the probe's alert is visible.
        var sent = new ConcurrentDictionary<string, long>();
        var sentWall = new ConcurrentDictionary<string, DateTime>();
        var seen = new ConcurrentDictionary<string, double>();
        var notices = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        app.Services.GetRequiredService<AlertNotifier>().Changed += _ => notices.Writer.TryWrite(true);
        using var stop = new CancellationTokenSource();
        var board = Task.Run(async () =>
        {
            var dbs = app.Services.GetRequiredService<IDbContextFactory<AntiFraudDbContext>>();
            long last = 0;
            try
            {
                while (await notices.Reader.WaitToReadAsync(stop.Token))
                {
                    notices.Reader.TryRead(out _);
                    await using var db = await dbs.CreateDbContextAsync();
                    var fresh = await AlertApi.Query(db, district, openOnly: true).Where(a => a.Id > last).Select(AlertSummary.Projection).ToListAsync();
                    var now = Stopwatch.GetTimestamp();
                    foreach (var a in fresh)
                    {
                        last = Math.Max(last, a.Id);
                        if (a.RuleId == ProbeRule && sent.TryGetValue(a.Subject, out var t)) seen.TryAdd(a.Subject, Stopwatch.GetElapsedTime(t, now).TotalMilliseconds);
                    }
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), MaxConnectionsPerServer = 8 }) { BaseAddress = new Uri(url) };
        (await http.PostAsJsonAsync("api/v1/account/login", new { userName = "admin", password = "District@2021" })).EnsureSuccessStatusCode();

        // 20 batches a second. The first two seconds warm the host up (JIT, pools) and carry no probes. A probe's transfer
        // goes out at least two batches (100 ms) after its call, and only once the call's batch has been answered, so
        // concurrent requests cannot reorder them and the transfer is the decisive event.
        const int BatchesPerSecond = 20;
        var warmup = 2 * BatchesPerSecond;
        var perBatch = (int)(eps / BatchesPerSecond);
        var totalBatches = seconds * BatchesPerSecond + warmup;
        var inflight = new List<Task>();
        long accepted = 0, rejected = 0, next = 0, probeIndex = 0;
        var transfers = new Queue<(int Batch, Task Call, string Subject)>();
        var clock = Stopwatch.StartNew();
        for (var b = 0; b < totalBatches; b++)
        {
            var due = TimeSpan.FromSeconds((double)b / BatchesPerSecond) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due);
            var now = DateTimeOffset.UtcNow;
            var batch = new List<StreamEvent>(perBatch + 2);
            string? transferSubject = null;
            if (transfers.TryPeek(out var t) && t.Batch <= b && t.Call.IsCompleted)
            {
                transferSubject = transfers.Dequeue().Subject;
                batch.Add(StreamEvent.Create($"probe-pay-{transferSubject}", transferSubject, "transfer_out", now, ("amount", 50_000), ("account", "6217008812345678")));
            }
            string? callSubject = null;
            if (b >= warmup && b % 2 == 0 && b + 4 < totalBatches && probeIndex < probes.Count)
            {
                callSubject = probes[(int)probeIndex++];
                batch.Add(StreamEvent.Create($"probe-call-{callSubject}", callSubject, "call", now - TimeSpan.FromMinutes(30), ("number", "+85212345678"), ("direction", "in"), ("duration", 1500)));
            }
            while (batch.Count < perBatch)
            {
                var e = background[(int)(next++ % background.Count)];
                batch.Add(new StreamEvent($"{next}-{e.Id}", e.Subject, e.Kind, now, e.Attributes.ToArray()));
            }
            var body = CivicGrid.AntiFraud.Features.Simulate.SimulateCommand.Ndjson(batch);
            var start = Stopwatch.GetTimestamp();
            if (transferSubject is not null)
            {
                sent[transferSubject] = start;
                sentWall[transferSubject] = DateTime.UtcNow;
            }
            var request = Task.Run(async () =>
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
                using var response = await http.PostAsync("api/v1/antifraud/events", content);
                response.EnsureSuccessStatusCode();
                var r = await response.Content.ReadFromJsonAsync<CivicGrid.AntiFraud.Features.Ingest.IngestResult>();
                Interlocked.Add(ref accepted, r!.Accepted);
                Interlocked.Add(ref rejected, r.Rejected);
            });
            inflight.Add(request);
            if (callSubject is not null) transfers.Enqueue((b + 2, request, callSubject));
            inflight.RemoveAll(t => t.IsCompletedSuccessfully);
        }
        await Task.WhenAll(inflight);
        var sendSeconds = clock.Elapsed.TotalSeconds;
        // Give the last probes a moment, then stop the board.
        var deadline = Stopwatch.StartNew();
        while (seen.Count < sent.Count && deadline.Elapsed < TimeSpan.FromSeconds(5)) await Task.Delay(20);
        await stop.CancelAsync();
        await board;

        var latencies = seen.Values.Order().ToArray();
        await LogStagesAsync(app, sentWall, seen);
        double P(double q) => latencies.Length == 0 ? double.NaN : latencies[(int)Math.Min(latencies.Length - 1, Math.Ceiling(q * latencies.Length) - 1)];
        var stats = app.Services.GetRequiredService<AntiFraudEngine>().Streams.Stats();
        Log($"sent {accepted + rejected:N0} events in {sendSeconds:0.0} s ({(accepted + rejected) / sendSeconds:N0}/s): {accepted:N0} accepted, {rejected:N0} rejected; " +
            $"engine {stats.Alerts:N0} alerts; probes {latencies.Length}/{sent.Count} seen, p50 {P(0.5):0.0} ms, p99 {P(0.99):0.0} ms, max {latencies.LastOrDefault():0.0} ms");
        return
        [
            ("e2e_events_per_s", (accepted + rejected) / sendSeconds, "events/s"),
            ("e2e_p50_ms", P(0.5), "ms"),
            ("e2e_p99_ms", P(0.99), "ms"),
            ("e2e_probes_missed", sent.Count - latencies.Length, "alerts"),
        ];
    }

    /// <summary>
    /// Where the time goes, per probe, from the stored alert's clock readings: sent → raised by the engine (HTTP, parse,
    /// rules), raised → the writer starts storing it (alert queue), writer start → seen on the board (routing, insert,
    /// audit, commit, notice, board query).
    /// </summary>
    private static async Task LogStagesAsync(WebApplication app, ConcurrentDictionary<string, DateTime> sentWall, ConcurrentDictionary<string, double> seen)
    {
        await using var db = await app.Services.GetRequiredService<IDbContextFactory<AntiFraudDbContext>>().CreateDbContextAsync();
        var rows = (await db.Alerts.AsNoTracking().Where(a => a.RuleId == ProbeRule).Select(a => new { a.Subject, a.RaisedAt, a.StoredAt }).ToListAsync())
            .Where(r => sentWall.ContainsKey(r.Subject) && seen.ContainsKey(r.Subject)).ToList();
        string Stage(IEnumerable<double> values)
        {
            var v = values.Order().ToArray();
            return v.Length == 0 ? "-" : FormattableString.Invariant($"p50 {v[v.Length / 2]:0.0} p99 {v[Math.Min(v.Length - 1, (int)Math.Ceiling(0.99 * v.Length) - 1)]:0.0} max {v[^1]:0.0} ms");
        }
        Log($"stages: sent→raised {Stage(rows.Select(r => (r.RaisedAt - sentWall[r.Subject]).TotalMilliseconds))}; " +
            $"raised→store {Stage(rows.Select(r => (r.StoredAt - r.RaisedAt).TotalMilliseconds))}; " +
            $"store→seen {Stage(rows.Select(r => seen[r.Subject] - (r.StoredAt - sentWall[r.Subject]).TotalMilliseconds))}");
    }

    /// <summary>Residents of 河上镇 by their blind index (the demo seeds that town), and the district scope the board reads.</summary>
    private static async Task<(List<string> Subjects, RegionScope District)> ProbeResidentsAsync(WebApplication app, int count)
    {
        using var scope = app.Services.CreateScope();
        var places = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
        var district = await places.Regions.AsNoTracking().FirstAsync(r => r.Level == RegionLevel.District);
        var subjects = await scope.ServiceProvider.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking()
            .Select(r => r.IdIndex).Distinct().Order().Take(count).ToListAsync();
        return (subjects, new RegionScope(district.Id, district.RegionPath, district.Level));
    }

    private static void Log(string message) => Console.Error.WriteLine($"[antifraud e2e] {message}");
}
