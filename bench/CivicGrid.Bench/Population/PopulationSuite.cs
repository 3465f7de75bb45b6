using System.Diagnostics;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places;
using CivicGrid.Population;
using CivicGrid.Population.Data;
using CivicGrid.Web;
using CivicGrid.Web.Features.Accounts;
using CivicGrid.Web.Features.Demo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CivicGrid.Bench.Population;

/// <summary>
/// Population figures on a freshly seeded SQLite file (seeded like `seed --scale district`): bulk import of residents from a
/// CSV against a raw SQLite bulk insert of the same rows, register search through <see cref="CivicGrid.Population.Features.Residents.ResidentApi"/>,
/// and the queries behind the village and town register pages. --quick seeds the demo scale and imports 100,000 rows.
/// </summary>
public sealed class PopulationSuite : BenchSuite
{
    public override string Name => "population";

    public override async Task RunAsync(string[] args)
    {
        var quick = Quick(args);
        var scale = quick ? "demo" : "district";
        var importRows = quick ? 100_000 : 1_200_000;
        var folder = Path.Combine(Path.GetTempPath(), "civicgrid-bench-population-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "civicgrid.db");
        var results = new List<(string Figure, double Value, string Unit)>();
        var clock = Stopwatch.StartNew();
        try
        {
            await using var app = BuildHost(folder, file);
            var seeded = await SeedAsync(app, scale);
            await ImportBench.RunAsync(app.Services, folder, file, importRows, seeded, results);
            await SearchBench.RunAsync(app.Services, results);
            await RegisterPagesBench.RunAsync(app.Services, quick, results);
        }
        finally
        {
            // Pooled connections keep the file open; release them before deleting the folder.
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
            Log($"deleted {folder}; whole suite took {clock.Elapsed.TotalSeconds:0} s");
        }

        foreach (var (figure, value, unit) in results)
        {
            Result(figure, value, unit);
        }
    }

    /// <summary>The host as SeedCommand builds it, pointed at the temp file with a freshly generated personal-data key.</summary>
    private static WebApplication BuildHost(string folder, string file)
    {
        // Content root in the temp folder, so that no appsettings.json of the working directory leaks in.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = folder });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["CivicGrid:Database:Provider"] = "sqlite",
            ["CivicGrid:Database:ConnectionString"] = new SqliteConnectionStringBuilder { DataSource = file }.ToString(),
            ["CivicGrid:PersonalData:Key"] = PersonalDataProtector.GenerateKey(),
        });
        var database = builder.AddPlatform();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAccounts();
        builder.Services.AddPlaces(database);
        builder.Services.AddPopulation(database);
        return builder.Build();
    }

    /// <summary>Migrates and seeds; returns the number of seeded residents (checked against the database).</summary>
    private static async Task<int> SeedAsync(WebApplication app, string scale)
    {
        var ct = CancellationToken.None;
        await app.Services.MigrateAllAsync(ct);
        var seeder = app.Services.GetRequiredService<DemoSeeder>();
        if (!await seeder.IsEmptyAsync(ct)) throw new InvalidOperationException("the fresh database is not empty");
        Log($"seeding {scale} ...");
        var summary = await seeder.SeedAsync(scale, ct, Console.Error);
        using var scope = app.Services.CreateScope();
        var residents = await scope.ServiceProvider.GetRequiredService<PopulationDbContext>().Residents.CountAsync(ct);
        if (residents != summary.Residents) throw new InvalidOperationException($"seeder reports {summary.Residents} residents, the database has {residents}");
        Log($"seeded {scale}: {summary.Towns} towns, {summary.Villages} villages, {summary.Addresses:N0} addresses, {summary.Residents:N0} residents " +
            $"in {summary.Elapsed.TotalSeconds:0.0} s");
        return summary.Residents;
    }

    internal static void Log(string message) => Console.Error.WriteLine($"[population {DateTime.UtcNow:HH:mm:ss}] {message}");

    /// <summary>p-quantile of sorted values (nearest rank).</summary>
    internal static double At(double[] sorted, double q) => sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>Logs SQLite's plan for an EF query as ToQueryString gives it (".param set" lines, then the SQL).</summary>
    internal static async Task ExplainAsync(SqliteConnection connection, string name, string efQuery)
    {
        var lines = efQuery.ReplaceLineEndings("\n").Split('\n');
        await using var explain = connection.CreateCommand();
        foreach (var line in lines.Where(l => l.StartsWith(".param set ", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ', 4);
            explain.Parameters.AddWithValue(parts[2], parts[3].Trim('\''));
        }
        var sql = string.Join(" ", lines.Where(l => !l.StartsWith(".param", StringComparison.Ordinal)).Select(l => l.Trim())).Trim();
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync()) plan.Add(reader.GetString(3));
        }
        Log($"{name} plan: {string.Join(" | ", plan)}");
    }
}
