using System.Collections.Concurrent;
using System.Net.Http.Json;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.SignIn;
using Xunit;
using CivicGrid.Kernel.Data;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace CivicGrid.Testing;

/// <summary>
/// The whole platform in-process with the demo district seeded, on its own database: a fresh SQLite file by default,
/// or a fresh PostgreSQL database when CIVICGRID_TEST_PG holds a server connection string (test.sh sets it for the
/// second, PostgreSQL pass). Each factory owns its data, so test classes never see each other's writes.
/// </summary>
public class PlatformFactory : WebApplicationFactory<Program>
{
    /// <summary>A fixed test key: the raw-file scan test needs to know nothing else.</summary>
    /// <summary>Days before a password expires in this factory's platform (0: never, the tests' default).</summary>
    protected virtual int PasswordMaxAgeDays => 0;

    /// <summary>Every one-time code the platform sent, newest last.</summary>
    public ConcurrentQueue<CodeMessage> SentCodes { get; } = new();

    /// <summary>The newest code sent to <paramref name="phone"/> (as typed: spaces, +86 and full-width digits allowed).</summary>
    public string LastCode(string phone)
    {
        Assert.True(MobileNumber.TryNormalize(phone, out var normalized, out _), $"not a mobile number: {phone}");
        return SentCodes.Last(m => m.Phone == normalized).Code;
    }

    private sealed class RecordingCodeSender(ICodeSender inner, ConcurrentQueue<CodeMessage> sent) : ICodeSender
    {
        public async Task SendAsync(CodeMessage message, CancellationToken ct)
        {
            await inner.SendAsync(message, ct);
            sent.Enqueue(message);
        }
    }

    public const string TestKey = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=";

    private readonly string folder = Path.Combine(Path.GetTempPath(), "civicgrid-tests", Guid.NewGuid().ToString("N"));
    private string? postgresDatabase;

    public PlatformFactory()
    {
        Directory.CreateDirectory(folder);
        var server = Environment.GetEnvironmentVariable("CIVICGRID_TEST_PG");
        if (!string.IsNullOrEmpty(server))
        {
            postgresDatabase = "cg_" + Guid.NewGuid().ToString("N")[..16];
            using var connection = new NpgsqlConnection(server);
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE DATABASE {postgresDatabase}", connection);
            create.ExecuteNonQuery();
            ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = postgresDatabase }.ConnectionString;
        }
        else
        {
            ConnectionString = $"Data Source={SqliteFile}";
        }
    }

    public static bool OnPostgres => !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("CIVICGRID_TEST_PG"));

    public string SqliteFile => Path.Combine(folder, "civicgrid.db");

    public string ConnectionString { get; }

    /// <summary>The platform's clock; tests move it.</summary>
    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 28, 2, 0, 0, TimeSpan.Zero));

    /// <summary>
    /// Whether the demo seed includes landlords, rental properties and tenancies. Off by default so that tests of the rental
    /// slices count from zero; <c>DemoSeedTests</c> turns it on.
    /// </summary>
    protected virtual bool SeedLandlords => false;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        // Outside Development, static web assets (MudBlazor, blazor.web.js) are only found through their manifest.
        builder.UseStaticWebAssets();
        // UseSetting rather than ConfigureAppConfiguration: Program reads the database options while building, before
        // app-configuration callbacks of the factory would run.
        builder.UseSetting("CivicGrid:Database:Provider", OnPostgres ? "postgres" : "sqlite");
        builder.UseSetting("CivicGrid:Database:ConnectionString", ConnectionString);
        builder.UseSetting("CivicGrid:PersonalData:Key", TestKey);
        builder.UseSetting("CivicGrid:Demo:SeedOnFirstRun", "true");
        // Tests tell the client address with X-Forwarded-For (the test server has none of its own).
        builder.UseSetting("CivicGrid:Network:Proxies:0", "*");
        // Tests move the clock by months (reminders, permits): passwords do not expire unless a test asks for it.
        builder.UseSetting("CivicGrid:Accounts:PasswordMaxAgeDays", PasswordMaxAgeDays.ToString(System.Globalization.CultureInfo.InvariantCulture));
        builder.UseSetting("CivicGrid:Demo:Landlords", SeedLandlords ? "true" : "false");
        builder.UseSetting("Logging:LogLevel:Default", "Warning");
        builder.ConfigureServices(s =>
        {
            s.RemoveAll<TimeProvider>();
            s.AddSingleton<TimeProvider>(Time);
            // The platform keeps no code in clear; tests read the codes it sent here, on their way to the real sender.
            if (s.LastOrDefault(d => d.ServiceType == typeof(ICodeSender)) is { ImplementationType: { } sender })
            {
                s.RemoveAll<ICodeSender>();
                s.AddSingleton(sender);
                s.AddSingleton<ICodeSender>(sp => new RecordingCodeSender((ICodeSender)sp.GetRequiredService(sender), SentCodes));
            }
        });
    }

    /// <summary>A client signed in as one of the demo accounts (admin, town, cadre, grid, police, mediator).</summary>
    public async Task<HttpClient> SignInAsync(string userName, string? password = null)
    {
        var client = CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = true });
        var response = await client.PostAsJsonAsync("/api/v1/account/login", new { userName, password = password ?? DemoPassword(userName) });
        response.EnsureSuccessStatusCode();
        return client;
    }

    public static string DemoPassword(string userName) => userName switch
    {
        "admin" => "District@2021",
        "town" => "Heshang@2021",
        "cadre" => "Zhonglian@2021",
        "grid" => "Wangge@2021",
        "police" => "Jingwu@2021",
        "mediator" => "Mediate@2021",
        _ => throw new ArgumentOutOfRangeException(nameof(userName)),
    };

    public T WithScope<T>(Func<IServiceProvider, T> use)
    {
        using var scope = Services.CreateScope();
        return use(scope.ServiceProvider);
    }

    public async Task<T> WithScopeAsync<T>(Func<IServiceProvider, Task<T>> use)
    {
        using var scope = Services.CreateScope();
        return await use(scope.ServiceProvider);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing) return;
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        NpgsqlConnection.ClearAllPools();
        try { Directory.Delete(folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        if (postgresDatabase is not null)
        {
            using var connection = new NpgsqlConnection(Environment.GetEnvironmentVariable("CIVICGRID_TEST_PG"));
            connection.Open();
            using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {postgresDatabase} WITH (FORCE)", connection);
            drop.ExecuteNonQuery();
        }
    }
}
