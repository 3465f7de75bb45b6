using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CivicGrid.Kernel.PersonalData;
using Npgsql;

namespace CivicGrid.Bench.Faults;

/// <summary>
/// Kill -9 and bad input, counted. The platform runs as a child process (on SQLite, and on PostgreSQL when CIVICGRID_PG
/// holds a server connection string); during residents imports it is killed at random moments and started again, and
/// each restart is checked: the register holds none or all of the import's rows (never part), no job stays "running" or
/// runs again unasked, the host keeps running. Then every operation of /openapi/v1.json is sent malformed inputs (wrong
/// types, huge and odd strings, bad ids and dates, missing fields, broken JSON) and concurrent writes on one object, and
/// every 5xx is counted. Figures (summed over the providers, and per provider):
/// kill_trials, import_half_imports, import_stuck_jobs, host_crashes, malformed_requests, malformed_5xx.
/// </summary>
public sealed class FaultsSuite : BenchSuite
{
    public override string Name => "faults";

    private const string AdminPassword = "District@2021";

    public override async Task RunAsync(string[] args)
    {
        var quick = Quick(args);
        var providers = new List<(string Name, Func<string, Task<string>> Connection)>
        {
            ("sqlite", folder => Task.FromResult($"Data Source={Path.Combine(folder, "civicgrid.db")}")),
        };
        if (Environment.GetEnvironmentVariable("CIVICGRID_PG") is { Length: > 0 } server)
            providers.Add(("postgres", _ => FreshPostgresAsync(server)));
        else
            Console.WriteLine("CIVICGRID_PG is not set: PostgreSQL is skipped (set it to a server connection string to include it)");

        var totals = new Counts();
        foreach (var (name, connection) in providers)
        {
            var folder = Path.Combine(Path.GetTempPath(), $"civicgrid-faults-{name}-{Guid.NewGuid():N}");
            var counts = new Counts();
            await using (var node = new PlatformNode(folder, name, await connection(folder)))
            {
                node.Start();
                if (!await node.WaitReadyAsync(TimeSpan.FromMinutes(5)))
                    throw new InvalidOperationException($"the platform did not start on {name}; see {node.LogFile}");
                await KillTrialsAsync(node, name, quick ? 3 : 20, quick ? 5_000 : 40_000, TimeSpan.FromSeconds(quick ? 1.5 : 6), counts);
                await MalformedAsync(node, quick ? 1_000 : 10_000, counts);
                if (node.HasExited) counts.HostCrashes++;
            }
            counts.Print(this, name);
            totals.Add(counts);
            if (counts.Clean) Directory.Delete(folder, recursive: true);
            else Console.WriteLine($"{name}: kept {folder} for inspection");
        }
        totals.Print(this, null);
    }

    private sealed class Counts
    {
        public int KillTrials, HalfImports, StuckJobs, HostCrashes, Malformed, Malformed5xx;

        public bool Clean => HalfImports + StuckJobs + HostCrashes + Malformed5xx == 0;

        public void Add(Counts o)
        {
            KillTrials += o.KillTrials; HalfImports += o.HalfImports; StuckJobs += o.StuckJobs;
            HostCrashes += o.HostCrashes; Malformed += o.Malformed; Malformed5xx += o.Malformed5xx;
        }

        public void Print(FaultsSuite suite, string? provider)
        {
            var p = provider is null ? "" : provider + ".";
            suite.Result(p + "kill_trials", KillTrials, "kills");
            suite.Result(p + "import_half_imports", HalfImports, "imports");
            suite.Result(p + "import_stuck_jobs", StuckJobs, "jobs");
            suite.Result(p + "host_crashes", HostCrashes, "crashes");
            suite.Result(p + "malformed_requests", Malformed, "requests");
            suite.Result(p + "malformed_5xx", Malformed5xx, "responses");
        }
    }

    private static async Task<string> FreshPostgresAsync(string server)
    {
        var name = $"civicgrid_faults_{Guid.NewGuid():N}"[..40];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    private static async Task<HttpClient> SignInAsync(PlatformNode node)
    {
        var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = node.BaseAddress, Timeout = TimeSpan.FromMinutes(2),
        };
        var response = await client.PostAsJsonAsync("api/v1/account/login", new { userName = "admin", password = AdminPassword });
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"admin sign-in answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return client;
    }

    // --- kill -9 during imports ------------------------------------------------------------------------------------

    private static async Task<JsonElement> JsonAsync(HttpClient client, string url)
    {
        var response = await client.GetAsync(url);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    private static async Task<(int RegionId, int Residents)> ResidentsAsync(HttpClient client)
    {
        var figures = await JsonAsync(client, "api/v1/population/figures");
        return (figures.GetProperty("regionId").GetInt32(), figures.GetProperty("totals").GetProperty("residents").GetInt32());
    }

    private static async Task<List<string>> DoorplatesAsync(HttpClient client, int regionId, int want)
    {
        var tokens = new List<string>();
        long? after = null;
        while (tokens.Count < want)
        {
            var page = await JsonAsync(client, $"api/v1/regions/{regionId}/addresses?size=200" + (after is { } a ? $"&after={a}" : ""));
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                tokens.Add(item.GetProperty("doorplateToken").GetString()!);
                after = item.GetProperty("id").GetInt64();
            }
            if (!page.GetProperty("hasMore").GetBoolean()) break;
        }
        return tokens;
    }

    /// <summary>
    /// A residents file of <paramref name="rows"/> new people at the given doorplates: ID numbers unique to the trial, born in
    /// an area (Beijing Dongcheng, 110101) the demo district's residents never come from, so every row is a new record.
    /// </summary>
    private static byte[] ResidentsFile(int trial, int rows, List<string> doorplates)
    {
        var text = new StringBuilder("姓名,身份证号,手机号,门牌码,类别,入住日期\n");
        var surnames = "赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨";
        for (var i = 0; i < rows; i++)
        {
            var id = CitizenId.Create("110101", new DateOnly(1940, 1, 1).AddDays(i % 25_000), (trial * 5 + i / 25_000) % 1000);
            text.Append(surnames[i % surnames.Length]).Append("测试,").Append(id).Append(",,").Append(doorplates[i % doorplates.Count]).Append(",,\n");
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    private static async Task<long> UploadAsync(HttpClient client, byte[] file, int trial)
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent(file), "file", $"faults-{trial}.csv");
        var response = await client.PostAsync("api/v1/imports/residents", form);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException($"upload answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt64();
    }

    private const int Queued = 0, Running = 1, Succeeded = 2, Interrupted = 5;

    private static string Title(int status) => status switch
    {
        Queued => "queued", Running => "running", Succeeded => "succeeded", 3 => "rejected", 4 => "failed", Interrupted => "interrupted", _ => $"status {status}",
    };

    private static async Task<int> StatusAsync(HttpClient client, long job) => (await JsonAsync(client, $"api/v1/imports/{job}")).GetProperty("status").GetInt32();

    /// <summary>Waits for the job to leave queued/running; returns its status, or Running when it did not within the time.</summary>
    private static async Task<int> SettleAsync(HttpClient client, long job, TimeSpan timeout)
    {
        var until = DateTime.UtcNow + timeout;
        while (true)
        {
            var status = await StatusAsync(client, job);
            if (status is not (Queued or Running) || DateTime.UtcNow > until) return status;
            await Task.Delay(200);
        }
    }

    private async Task KillTrialsAsync(PlatformNode node, string provider, int trials, int rows, TimeSpan window, Counts counts)
    {
        var client = await SignInAsync(node);
        var (region, _) = await ResidentsAsync(client);
        var doorplates = await DoorplatesAsync(client, region, 2_000);
        var random = new Random(20261207);
        for (var trial = 0; trial < trials; trial++)
        {
            var (_, before) = await ResidentsAsync(client);
            var job = await UploadAsync(client, ResidentsFile(trial, rows, doorplates), trial);
            // A random moment: before the job starts, while it checks rows, while it writes, or after it finished.
            var wait = Stopwatch.StartNew();
            var delay = TimeSpan.FromMilliseconds(random.Next(0, (int)window.TotalMilliseconds));
            var last = Queued;
            while (wait.Elapsed < delay)
            {
                last = await StatusAsync(client, job);
                await Task.Delay(50);
            }
            node.Kill();
            counts.KillTrials++;
            node.Start();
            if (!await node.WaitReadyAsync(TimeSpan.FromMinutes(3)))
            {
                counts.HostCrashes++;
                Console.WriteLine($"{provider} trial {trial}: the platform did not come back; starting it again");
                node.Start();
                if (!await node.WaitReadyAsync(TimeSpan.FromMinutes(3))) throw new InvalidOperationException($"the platform stays down; see {node.LogFile}");
            }
            client.Dispose();
            client = await SignInAsync(node);

            var (_, after) = await ResidentsAsync(client);
            if (after != before && after != before + rows)
            {
                counts.HalfImports++;
                Console.WriteLine($"{provider} trial {trial}: {after - before} of {rows} rows after the restart");
            }
            var status = await StatusAsync(client, job);
            var restarted = status;
            if (status == Running && last == Running)
            {
                // A job that was running at the kill must not run again by itself: it waits to be resumed.
                var settled = await SettleAsync(client, job, TimeSpan.FromSeconds(30));
                counts.StuckJobs++;
                Console.WriteLine($"{provider} trial {trial}: the job killed while running is running again after the restart (now {settled})");
                status = settled;
            }
            if (status == Interrupted)
            {
                var resumed = await client.PostAsync($"api/v1/imports/{job}/resume", null);
                if (!resumed.IsSuccessStatusCode) Console.WriteLine($"{provider} trial {trial}: resume answered {(int)resumed.StatusCode}");
            }
            status = await SettleAsync(client, job, TimeSpan.FromMinutes(5));
            if (status is Queued or Running or Interrupted)
            {
                counts.StuckJobs++;
                Console.WriteLine($"{provider} trial {trial}: the job is still {status} five minutes after the restart");
            }
            var (_, final) = await ResidentsAsync(client);
            var expected = status == Succeeded ? before + rows : before;
            if (final != expected)
            {
                counts.HalfImports++;
                Console.WriteLine($"{provider} trial {trial}: status {status}, {final - before} of {rows} rows in the register");
            }
            if (node.HasExited) counts.HostCrashes++;
            Console.WriteLine($"{provider} trial {trial}: killed after {delay.TotalMilliseconds:0} ms (job {Title(last)}), after the restart {Title(restarted)}, ended {Title(status)}");
        }
        client.Dispose();
    }

    // --- malformed requests ----------------------------------------------------------------------------------------

    private static readonly string[] BadIds = ["0", "-1", "99999999999999999999", "abc", "1e3", "%20", new string('9', 400), "%F0%9F%98%80", "1;DROP"];

    private static readonly object?[] BadValues =
    [
        null, "", " ", "abc", -1, 0, long.MaxValue, 1e308, true, new[] { 1, 2 }, new { a = 1 }, new string('长', 5_000),
        "2026-13-45", "0000-00-00", "9999-12-31T99:99", "\u0000\u202e\u200b", "<script>alert(1)</script>", "' OR 1=1 --", "=1+1", "１２３４５６",
    ];

    private static readonly string[] BadBodies = ["", "{", "null", "[]", "\"text\"", "{\"a\":", "{\"id\":{\"$gt\":1}}", "[{}, {}]", "123"];

    /// <summary>Endpoints left out: they would end the session the rest of the run uses.</summary>
    private static bool Skipped(string path) => path.Contains("/account/logout", StringComparison.Ordinal) || path.Contains("/account/password", StringComparison.Ordinal);

    private async Task MalformedAsync(PlatformNode node, int target, Counts counts)
    {
        var client = await SignInAsync(node);
        var doc = await JsonAsync(client, "openapi/v1.json");
        var schemas = doc.TryGetProperty("components", out var c) && c.TryGetProperty("schemas", out var s) ? s : default;
        var operations = new List<(HttpMethod Method, string Path, JsonElement Operation)>();
        foreach (var path in doc.GetProperty("paths").EnumerateObject())
            foreach (var op in path.Value.EnumerateObject())
                if (!Skipped(path.Name) && op.Name is "get" or "post" or "put" or "patch" or "delete")
                    operations.Add((new HttpMethod(op.Name.ToUpperInvariant()), path.Name, op.Value));
        var random = new Random(7);
        var sent = 0;
        while (sent < target)
        {
            foreach (var (method, path, operation) in operations)
            {
                foreach (var request in Variants(method, path, operation, schemas, random))
                {
                    using (request)
                    {
                        HttpResponseMessage? response = null;
                        try
                        {
                            response = await client.SendAsync(request);
                        }
                        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                        {
                            counts.Malformed5xx++;
                            Console.WriteLine($"{method} {request.RequestUri}: no answer ({e.GetType().Name})");
                        }
                        sent++;
                        if (response is not null && (int)response.StatusCode >= 500)
                        {
                            counts.Malformed5xx++;
                            if (counts.Malformed5xx <= 20) Console.WriteLine($"{(int)response.StatusCode} {method} {request.RequestUri}");
                        }
                        response?.Dispose();
                    }
                }
                if (node.HasExited) throw new InvalidOperationException($"the platform stopped during malformed requests; see {node.LogFile}");
            }
        }
        sent += await ConcurrentWritesAsync(client, counts);
        counts.Malformed += sent;
        client.Dispose();
    }

    private static IEnumerable<HttpRequestMessage> Variants(HttpMethod method, string path, JsonElement operation, JsonElement schemas, Random random)
    {
        var pathParams = new List<string>();
        var queryParams = new List<string>();
        if (operation.TryGetProperty("parameters", out var parameters))
            foreach (var p in parameters.EnumerateArray())
                (p.GetProperty("in").GetString() == "path" ? pathParams : queryParams).Add(p.GetProperty("name").GetString()!);
        string Url(Func<string, string> pathValue, string query) =>
            pathParams.Aggregate(path, (u, name) => u.Replace("{" + name + "}", pathValue(name), StringComparison.Ordinal)).TrimStart('/') + query;
        string GoodId(string _) => "1";

        // Bad path ids, one at a time.
        foreach (var id in BadIds.Where(_ => pathParams.Count > 0))
            yield return new HttpRequestMessage(method, Url(_ => id, ""));
        // Bad query values.
        foreach (var q in queryParams)
            foreach (var v in BadValues.OfType<string>().Concat(BadIds).Take(6))
                yield return new HttpRequestMessage(method, Url(GoodId, $"?{q}={Uri.EscapeDataString(v)}"));
        if (method == HttpMethod.Get || method == HttpMethod.Delete) yield break;

        // Broken bodies, and a body of the wrong content type.
        foreach (var body in BadBodies)
            yield return new HttpRequestMessage(method, Url(GoodId, "")) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        yield return new HttpRequestMessage(method, Url(GoodId, "")) { Content = new StringContent("a=1", Encoding.UTF8, "text/plain") };
        // Each property of the body's schema set to wrong values, the others missing.
        foreach (var property in BodyProperties(operation, schemas))
        {
            var value = BadValues[random.Next(BadValues.Length)];
            var json = JsonSerializer.Serialize(new Dictionary<string, object?> { [property] = value });
            yield return new HttpRequestMessage(method, Url(GoodId, "")) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        }
        // A multipart upload with no file, and with an empty one.
        yield return new HttpRequestMessage(method, Url(GoodId, "")) { Content = new MultipartFormDataContent() };
        var form = new MultipartFormDataContent { { new ByteArrayContent([]), "file", "empty.xlsx" } };
        yield return new HttpRequestMessage(method, Url(GoodId, "")) { Content = form };
    }

    private static IEnumerable<string> BodyProperties(JsonElement operation, JsonElement schemas)
    {
        if (!operation.TryGetProperty("requestBody", out var body) || !body.TryGetProperty("content", out var content)) yield break;
        foreach (var media in content.EnumerateObject())
        {
            if (!media.Value.TryGetProperty("schema", out var schema)) continue;
            if (schema.TryGetProperty("$ref", out var reference) && schemas.ValueKind == JsonValueKind.Object
                && schemas.TryGetProperty(reference.GetString()!.Split('/')[^1], out var resolved))
                schema = resolved;
            if (schema.TryGetProperty("properties", out var properties))
                foreach (var p in properties.EnumerateObject()) yield return p.Name;
        }
    }

    /// <summary>Concurrent writes on one object: 20 rotations of one doorplate at once answer 200 or 409, never 5xx.</summary>
    private static async Task<int> ConcurrentWritesAsync(HttpClient client, Counts counts)
    {
        var (region, _) = await ResidentsAsync(client);
        var page = await JsonAsync(client, $"api/v1/regions/{region}/addresses?size=1");
        var address = page.GetProperty("items")[0].GetProperty("id").GetInt64();
        var answers = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => client.PostAsync($"api/v1/addresses/{address}/doorplate/rotate", null)));
        foreach (var a in answers)
        {
            if ((int)a.StatusCode >= 500)
            {
                counts.Malformed5xx++;
                Console.WriteLine($"{(int)a.StatusCode} concurrent doorplate rotation");
            }
            a.Dispose();
        }
        return answers.Length;
    }
}
