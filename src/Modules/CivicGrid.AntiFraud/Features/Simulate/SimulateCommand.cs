using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using CivicGrid.AntiFraud.Features.Ingest;
using CivicGrid.AntiFraud.Simulation;
using CivicGrid.Streams;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Net;

namespace CivicGrid.AntiFraud.Features.Simulate;

/// <summary>
/// <c>simulate fraud --people N --hours H --rate R [--scenarios K] [--seed S] [--post URL --user U --password P | --nats URL
/// [--stream S] [--subject T]] [--eps E]</c>: generates a labelled stream (R everyday events per person per hour, K scenarios
/// of each fraud type), prints the rule pack's precision and recall per fraud type and the time from the decisive event to
/// the alert; with --post it also feeds the running platform over HTTP (NDJSON), with --nats through JetStream (the
/// platform's consumer reads it when CivicGrid:AntiFraud:NatsUrl is set), shifted so the stream ends now, so the alert
/// board can be watched.
/// </summary>
internal static class SimulateCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, HttpMessageHandler? handler = null, TimeProvider? time = null,
        CancellationToken ct = default)
    {
        var o = output ?? Console.Out;
        if (args.Length == 0 || args[0] != "fraud")
        {
            await Console.Error.WriteLineAsync("用法 / usage: simulate fraud --people N --hours H --rate R [--scenarios K] [--seed S] [--post URL --user U --password P | --nats URL [--stream S] [--subject T]] [--eps E]");
            return 2;
        }
        SimulationOptions options;
        double eps;
        try
        {
            options = new SimulationOptions
            {
                People = Int(args, "--people", 2_000, 10, 2_000_000),
                Hours = Number(args, "--hours", 24, 1, 24 * 28),
                EventsPerPersonPerHour = Number(args, "--rate", 1.5, 0.01, 100),
                ScenariosPerType = Int(args, "--scenarios", 20, 0, 10_000),
                Seed = Int(args, "--seed", 42, 0, int.MaxValue),
            };
            eps = Number(args, "--eps", 2_000, 1, 1_000_000);
        }
        catch (ArgumentException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 2;
        }

        var watch = Stopwatch.StartNew();
        var run = Simulator.Generate(options);
        await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"simulated {run.Events.Count:N0} events of {options.People:N0} people over {options.Hours} h, {run.Scenarios.Count} fraud scenarios ({watch.Elapsed.TotalSeconds:0.0} s)"));
        var (pack, _) = AntiFraudPack.Load();
        var report = Evaluation.Run(run, pack);
        await o.WriteAsync(report.ToString());
        await o.WriteLineAsync("(latency = decisive event (money leaving) → first alert; '-' means the warning came before the money left)");

        if (Option(args, "--nats") is { } nats)
        {
            return await PublishAsync(run, nats, Option(args, "--stream") ?? new Engine.AntiFraudOptions().NatsStream, Option(args, "--subject") ?? "civicgrid.events.sim",
                eps, o, (time ?? TimeProvider.System).GetUtcNow(), ct);
        }
        var url = Option(args, "--post");
        if (url is null) return 0;
        return await PostAsync(run, url, Option(args, "--user") ?? "admin", Option(args, "--password"), eps, o, handler, (time ?? TimeProvider.System).GetUtcNow(), ct);
    }

    private static async Task<int> PostAsync(SimulationRun run, string url, string user, string? password, double eps, TextWriter o,
        HttpMessageHandler? handler, DateTimeOffset now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(password))
        {
            await Console.Error.WriteLineAsync("--post 需要 --password / --post needs --password");
            return 2;
        }
        using var http = handler is null
            ? new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true }) { BaseAddress = new Uri(url) }
            : new HttpClient(handler) { BaseAddress = new Uri(url) };
        var login = await http.PostAsJsonAsync("api/v1/account/login", new { userName = user, password }, ct);
        if (!login.IsSuccessStatusCode)
        {
            await Console.Error.WriteLineAsync($"登录失败 / sign-in failed: {(int)login.StatusCode}");
            return 1;
        }
        // In the demo district the simulated people are its registered residents, so the alerts go to the town's police.
        var subjects = await DemoSubjectsAsync(http, run, o, ct);
        var events = ForNow(run, now, subjects);
        var batchSize = (int)Math.Clamp(eps / 4, 1, 5_000); // four batches a second
        var clock = Stopwatch.StartNew();
        long accepted = 0, duplicates = 0, rejected = 0;
        for (var i = 0; i < events.Count; i += batchSize)
        {
            var batch = events.Skip(i).Take(batchSize).ToList();
            using var content = new ByteArrayContent(Ndjson(batch));
            content.Headers.ContentType = new MediaTypeHeaderValue(IngestApi.NdjsonType);
            var response = await http.PostAsync("api/v1/antifraud/events", content, ct);
            if (!response.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"POST events: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                return 1;
            }
            var result = (await response.Content.ReadFromJsonAsync<IngestResult>(ct))!;
            (accepted, duplicates, rejected) = (accepted + result.Accepted, duplicates + result.Duplicates, rejected + result.Rejected);
            // Pace to the requested rate so the board shows the alerts arriving.
            var due = TimeSpan.FromSeconds((i + batch.Count) / eps) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, ct);
        }
        await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"posted {events.Count:N0} events to {url} in {clock.Elapsed.TotalSeconds:0.0} s: {accepted:N0} accepted, {duplicates:N0} duplicates, {rejected:N0} rejected"));
        return 0;
    }

    /// <summary>
    /// Publishes the run to JetStream (each event its own message, the event id as JetStream's message id), paced to the
    /// rate, up to 256 publishes awaiting their acknowledgement at a time. The stream is created if the platform has not yet.
    /// </summary>
    private static async Task<int> PublishAsync(SimulationRun run, string url, string stream, string subject, double eps, TextWriter o,
        DateTimeOffset now, CancellationToken ct)
    {
        await using var nats = new NatsClient(url);
        var js = nats.CreateJetStreamContext();
        try
        {
            // The platform's consumer creates its stream; an existing stream is used as it is, never reconfigured from here.
            try
            {
                await js.GetStreamAsync(stream, cancellationToken: ct);
            }
            catch (NatsJSApiException e) when (e.Error.Code == 404)
            {
                var root = subject.Contains('.') ? subject[..subject.IndexOf('.', StringComparison.Ordinal)] + ".>" : subject;
                await JetStreamIngest.EnsureStreamAsync(js, new JetStreamIngestOptions { Url = url, Stream = stream, Subjects = root }, ct);
            }
        }
        catch (Exception e) when (e is NatsException or TimeoutException)
        {
            await Console.Error.WriteLineAsync($"连接 NATS 失败 / cannot reach NATS at {url}: {e.Message}");
            return 1;
        }
        var events = ForNow(run, now);
        var clock = Stopwatch.StartNew();
        const int Window = 256;
        for (var i = 0; i < events.Count; i += Window)
        {
            await Task.WhenAll(events.Skip(i).Take(Window).Select(e => JetStreamIngest.PublishAsync(js, subject, e, ct)));
            var due = TimeSpan.FromSeconds(Math.Min(events.Count, i + Window) / eps) - clock.Elapsed;
            if (due > TimeSpan.Zero) await Task.Delay(due, ct);
        }
        await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"published {events.Count:N0} events to JetStream stream {stream} ({subject}) at {url} in {clock.Elapsed.TotalSeconds:0.0} s"));
        return 0;
    }

    /// <summary>
    /// The demo district's residents standing in for the simulated people (in order of first appearance), or null when the
    /// platform is not running its demo district (then the simulated people stay outside the register).
    /// </summary>
    private static async Task<Dictionary<string, string>?> DemoSubjectsAsync(HttpClient http, SimulationRun run, TextWriter o, CancellationToken ct)
    {
        var people = run.Events.Select(e => e.Subject).Distinct(StringComparer.Ordinal).ToList();
        var response = await http.GetAsync($"api/v1/antifraud/demo-subjects?count={Math.Min(people.Count, 100_000)}", ct);
        if (!response.IsSuccessStatusCode)
        {
            await o.WriteLineAsync("(not the demo district: simulated people are not in the register; alerts go to the district as 非本区登记)");
            return null;
        }
        var residents = await response.Content.ReadFromJsonAsync<List<string>>(ct) ?? [];
        if (residents.Count == 0) return null;
        var shared = residents.Count < people.Count ? " (shared: the register has fewer)" : "";
        await o.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"simulated people are {Math.Min(residents.Count, people.Count):N0} residents of the demo district{shared}"));
        return people.Select((p, i) => (p, residents[i % residents.Count])).ToDictionary(x => x.p, x => x.Item2, StringComparer.Ordinal);
    }

    /// <summary>
    /// The run moved so that its last event happens now (the platform rejects events older than 30 days), with ids unique to
    /// this posting; with <paramref name="subjects"/>, each simulated person is replaced by the subject it maps to.
    /// </summary>
    public static List<StreamEvent> ForNow(SimulationRun run, DateTimeOffset now, IReadOnlyDictionary<string, string>? subjects = null)
    {
        // Scenarios may run past the nominal end; the last event of all lands on now (the platform refuses events from the future).
        var last = run.Events.Count == 0 ? now : run.Events.Max(e => e.Time);
        var shift = now - last;
        var tag = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return run.Events.Select(e => new StreamEvent($"{tag}-{e.Id}", subjects is not null && subjects.TryGetValue(e.Subject, out var s) ? s : e.Subject, e.Kind, e.Time + shift,
            e.Attributes.ToArray())).ToList();
    }

    public static byte[] Ndjson(IEnumerable<StreamEvent> events)
    {
        using var buffer = new MemoryStream();
        foreach (var e in events)
        {
            buffer.Write(EventJson.Serialize(e));
            buffer.WriteByte((byte)'\n');
        }
        return buffer.ToArray();
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : args.FirstOrDefault(a => a.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];
    }

    private static double Number(string[] args, string name, double fallback, double min, double max)
    {
        var text = Option(args, name);
        if (text is null) return fallback;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
            throw new ArgumentException($"{name} 须为 {min} 到 {max} 之间的数 / {name} must be a number between {min} and {max}");
        return v;
    }

    private static int Int(string[] args, string name, int fallback, int min, int max) => (int)Number(args, name, fallback, min, max);
}
