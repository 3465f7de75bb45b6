using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using CivicGrid.Web.Features.Operations;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

/// <summary>Backup and restore, health and readiness, the platform's metrics.</summary>
public class OperationsTests
{
    /// <summary>A platform on a given SQLite file (a restored backup): no seeding, since the file already holds a district.</summary>
    private sealed class RestoredFactory(string file) : PlatformFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CivicGrid:Database:ConnectionString", $"Data Source={file}");
        }
    }

    private static string TempFolder() =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), "civicgrid-tests", "ops-" + Guid.NewGuid().ToString("N"))).FullName;

    private static async Task<(int Code, string Out, string Err)> RunAsync(Func<string[], TextWriter, TextWriter, Task<int>> verb, params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await verb(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public async Task Backup_WhileRunning_RestoredIntoFreshFolder_PlatformStartsOnItWithTheSameData()
    {
        if (PlatformFactory.OnPostgres)
        {
            // On PostgreSQL the verbs point to pg_dump / pg_restore and write nothing.
            var folder = TempFolder();
            var pg = await RunAsync(BackupCommand.BackupAsync, "--to", Path.Combine(folder, "b.db"),
                "--CivicGrid:Database:Provider=postgres", "--CivicGrid:Database:ConnectionString=Host=127.0.0.1");
            Assert.Equal(2, pg.Code);
            Assert.Contains("pg_dump", pg.Err);
            Assert.Empty(Directory.GetFiles(folder));
            return;
        }
        using var original = new PlatformFactory();
        var admin = await original.SignInAsync("admin");
        var village = original.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == "众联村" && r.Level == RegionLevel.Village).Id);
        var created = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName = "restored.one", displayName = "恢复测试", role = Roles.VillageCadre, regionId = village, password = "Restore@2026x" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var accountsBefore = await admin.GetStringAsync("/api/v1/accounts");

        var backupFolder = TempFolder();
        var backup = Path.Combine(backupFolder, "civicgrid-backup.db");
        var done = await RunAsync(BackupCommand.BackupAsync, "--to", backup, $"--CivicGrid:Database:ConnectionString=Data Source={original.SqliteFile}");
        Assert.True(done.Code == 0, done.Err);
        Assert.True(File.Exists(backup));
        Assert.False(File.Exists(backup + ".partial"));
        // A second backup to the same name is refused; the first stays.
        var again = await RunAsync(BackupCommand.BackupAsync, "--to", backup, $"--CivicGrid:Database:ConnectionString=Data Source={original.SqliteFile}");
        Assert.Equal(1, again.Code);
        Assert.Contains("已存在", again.Err);

        var fresh = Path.Combine(TempFolder(), "civicgrid.db");
        var restored = await RunAsync(BackupCommand.RestoreAsync, "--from", backup, $"--CivicGrid:Database:ConnectionString=Data Source={fresh}");
        Assert.True(restored.Code == 0, restored.Err);

        using var second = new RestoredFactory(fresh);
        // The account made before the backup signs in on the restored platform (its password hash came along), and the
        // district admin sees the same accounts.
        var client = second.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { HandleCookies = true });
        var login = await client.PostAsJsonAsync("/api/v1/account/login", new { userName = "restored.one", password = "Restore@2026x" });
        Assert.Equal(HttpStatusCode.OK, login.StatusCode);
        var secondAdmin = await second.SignInAsync("admin");
        Assert.Equal(accountsBefore, await secondAdmin.GetStringAsync("/api/v1/accounts"));

        // Restoring over a database that holds data needs --force.
        var over = await RunAsync(BackupCommand.RestoreAsync, "--from", backup, $"--CivicGrid:Database:ConnectionString=Data Source={original.SqliteFile}");
        Assert.Equal(1, over.Code);
        Assert.Contains("--force", over.Err);
    }

    [Theory]
    [InlineData("exe")]
    [InlineData("sqlite-not-civicgrid")]
    [InlineData("truncated")]
    public async Task Restore_OfAFileThatIsNotABackup_IsRefusedAndWritesNothing(string kind)
    {
        var folder = TempFolder();
        var file = Path.Combine(folder, "backup.db");
        switch (kind)
        {
            case "exe":
                await File.WriteAllBytesAsync(file, [0x4D, 0x5A, 0x90, 0x00, .. new byte[4096]]);
                break;
            case "sqlite-not-civicgrid":
                await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=false"))
                {
                    await c.OpenAsync();
                    await using var cmd = c.CreateCommand();
                    cmd.CommandText = "CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); INSERT INTO notes(body) VALUES ('x');";
                    await cmd.ExecuteNonQueryAsync();
                }
                break;
            default:
                await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={file};Pooling=false"))
                {
                    await c.OpenAsync();
                    await using var cmd = c.CreateCommand();
                    cmd.CommandText = "CREATE TABLE __migrations_kernel(id TEXT); CREATE TABLE big(b BLOB); INSERT INTO big VALUES (zeroblob(200000));";
                    await cmd.ExecuteNonQueryAsync();
                }
                var bytes = await File.ReadAllBytesAsync(file);
                await File.WriteAllBytesAsync(file, bytes[..(bytes.Length / 2)]);
                break;
        }
        var targetFolder = TempFolder();
        var target = Path.Combine(targetFolder, "civicgrid.db");
        var result = await RunAsync(BackupCommand.RestoreAsync, "--from", file, $"--CivicGrid:Database:ConnectionString=Data Source={target}");
        Assert.Equal(2, result.Code);
        Assert.Contains("备份", result.Err);
        Assert.Contains("backup", result.Err);
        Assert.Empty(Directory.GetFiles(targetFolder));
    }

    [Fact]
    public async Task Healthz_AndReadyz_AnswerWithoutSignIn_ReadinessChecksTheDatabase()
    {
        using var factory = new PlatformFactory();
        var client = factory.CreateClient();
        var live = await client.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        var ready = await client.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Readyz_WhenTheDatabaseCannotBeReached_Is503_LivenessStays200()
    {
        if (PlatformFactory.OnPostgres) return; // the SQLite file is what this test takes away; PostgreSQL is covered by the check's code path
        using var factory = new BrokenDatabaseFactory();
        var client = factory.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        factory.Break();
        try
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await client.GetAsync("/readyz")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/healthz")).StatusCode);
        }
        finally
        {
            // The disk comes back, so the platform can stop cleanly (its shutdown writes the anti-fraud snapshot there).
            factory.Repair();
        }
    }

    /// <summary>A platform whose database folder can be taken away after start (the disk is gone, the mount failed).</summary>
    private sealed class BrokenDatabaseFactory : PlatformFactory
    {
        private readonly string file = Path.Combine(TempFolder(), "civicgrid.db");

        public void Break()
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(Path.GetDirectoryName(file)!, recursive: true);
        }

        public void Repair() => Directory.CreateDirectory(Path.GetDirectoryName(file)!);

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CivicGrid:Database:ConnectionString", $"Data Source={file}");
        }
    }

    [Fact]
    public async Task JobRun_IsCountedOnThePlatformMeter_WithJobAndOutcome()
    {
        using var factory = new PlatformFactory();
        var runs = new System.Collections.Concurrent.ConcurrentQueue<(long Value, string? Job, string? Outcome)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == Kernel.Operations.PlatformMetrics.Name && instrument.Name == "civicgrid.jobs.runs") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? job = null, outcome = null;
            foreach (var t in tags)
            {
                if (t.Key == "job") job = t.Value as string;
                if (t.Key == "outcome") outcome = t.Value as string;
            }
            runs.Enqueue((value, job, outcome));
        });
        listener.Start();
        var runner = factory.Services.GetRequiredService<JobRunner>();
        var run = await runner.RunAsync("sign_in_code_purge", DateTime.UtcNow, "manual", "test-node", CancellationToken.None);
        Assert.NotNull(run);
        Assert.Contains(runs, r => r.Value == 1 && r.Job == "sign_in_code_purge" && r.Outcome == run.Outcome && r.Outcome == JobOutcomes.Succeeded);
    }

    /// <summary>A platform that exports to a local OTLP/HTTP receiver.</summary>
    private sealed class ExportingFactory(string endpoint) : PlatformFactory
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("CivicGrid:Telemetry:OtlpEndpoint", endpoint);
        }
    }

    [Fact]
    public async Task Traces_AreExportedOverOtlpHttp_WithTheServiceNameAndTheRequestRoute()
    {
        // A fake OTLP/HTTP collector: it records the protobuf bodies posted to /v1/traces.
        var port = FreePort();
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var traces = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext c;
                try { c = await collector.GetContextAsync(); } catch (Exception) { return; }
                using var body = new MemoryStream();
                await c.Request.InputStream.CopyToAsync(body);
                var bytes = body.ToArray();
                if (c.Request.Url!.AbsolutePath == "/v1/traces" && System.Text.Encoding.UTF8.GetString(bytes).Contains("/api/v1/account/me", StringComparison.Ordinal))
                    traces.TrySetResult(bytes);
                c.Response.StatusCode = 200;
                c.Response.Close();
            }
        });
        using var factory = new ExportingFactory($"http://127.0.0.1:{port}");
        var admin = await factory.SignInAsync("admin");
        (await admin.GetAsync("/api/v1/account/me")).EnsureSuccessStatusCode();
        // The batch exporter sends within its schedule (5 s by default); wait for that state, not a fixed time.
        var exported = await traces.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var text = System.Text.Encoding.UTF8.GetString(exported);
        Assert.Contains("civicgrid", text);
        Assert.Contains("service.instance.id", text);
        Assert.DoesNotContain("District@2021", text);
    }

    private static int FreePort()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return port;
    }
}
