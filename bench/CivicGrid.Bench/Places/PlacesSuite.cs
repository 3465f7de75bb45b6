using System.Diagnostics;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places;
using CivicGrid.Places.Data;
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

namespace CivicGrid.Bench.Places;

/// <summary>
/// Places figures on a freshly seeded SQLite file: seeding the district through the same path as `seed --scale district`,
/// point → grid lookups with <see cref="CivicGrid.Places.Features.Grids.GridIndex"/>, and person lookup by ID number
/// through the blind index. --quick seeds the demo scale (one populated town) instead.
/// </summary>
public sealed class PlacesSuite : BenchSuite
{
    public override string Name => "places";

    public override async Task RunAsync(string[] args)
    {
        var quick = Quick(args);
        var scale = quick ? "demo" : "district";
        var folder = Path.Combine(Path.GetTempPath(), "civicgrid-bench-places-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "civicgrid.db");
        var results = new List<(string Figure, double Value, string Unit)>();
        try
        {
            await using (var app = BuildHost(folder, file))
            {
                var seeded = await SeedAsync(app, scale, results);
                await GridBench.RunAsync(app.Services, results);
                await IdLookupBench.RunAsync(app.Services, seeded.Residents, results);
            }
        }
        finally
        {
            // Pooled connections keep the file open; release them before deleting the folder.
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
            Log($"deleted {folder}");
        }

        foreach (var (figure, value, unit) in results)
        {
            Result(figure, value, unit);
        }
    }

    /// <summary>The host exactly as SeedCommand builds it, pointed at the temp file with a fresh personal-data key.</summary>
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

    private static async Task<DemoSeeder.Summary> SeedAsync(WebApplication app, string scale, List<(string, double, string)> results)
    {
        var ct = CancellationToken.None;
        var migrate = Stopwatch.StartNew();
        await app.Services.MigrateAllAsync(ct);
        Log($"migrated in {migrate.Elapsed.TotalSeconds:0.00} s; seeding {scale} ...");

        var seeder = app.Services.GetRequiredService<DemoSeeder>();
        if (!await seeder.IsEmptyAsync(ct)) throw new InvalidOperationException("the fresh database is not empty");
        var start = Stopwatch.GetTimestamp();
        var summary = await seeder.SeedAsync(scale, ct, Console.Error);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Log($"seeded {scale}: {summary.Towns} towns, {summary.Villages} villages, {summary.Grids} grids, {summary.Addresses:N0} addresses, " +
            $"{summary.Residents:N0} residents in {seconds:0.0} s");

        // The counts as the database has them, not only as the seeder reports them.
        using (var scope = app.Services.CreateScope())
        {
            var places = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
            var population = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            var levels = await places.Regions.GroupBy(r => r.Level).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
            int Level(RegionLevel level) => levels.FirstOrDefault(l => l.Key == level)?.Count ?? 0;
            var addresses = await places.Addresses.LongCountAsync(ct);
            var residents = await population.Residents.LongCountAsync(ct);
            Log($"in the database: {Level(RegionLevel.District)} district, {Level(RegionLevel.Town)} towns, {Level(RegionLevel.Village)} villages, " +
                $"{Level(RegionLevel.Grid)} grids, {addresses:N0} addresses, {residents:N0} residents; file {new FileInfo(DbFile(app)).Length / 1e6:0} MB " +
                $"(+ WAL {WalSize(app) / 1e6:0} MB)");
            if (Level(RegionLevel.Town) != summary.Towns || Level(RegionLevel.Village) != summary.Villages || Level(RegionLevel.Grid) != summary.Grids
                || addresses != summary.Addresses || residents != summary.Residents)
            {
                throw new InvalidOperationException("the database counts differ from the seeder's summary");
            }
        }

        // Same accounts as the CLI verb creates; not part of the timed figure (the CLI's own figure excludes them too).
        await DemoAccounts.EnsureAsync(app.Services, ct);

        results.Add(($"seed_{scale}_s", seconds, "s"));
        return summary;
    }

    private static string DbFile(WebApplication app) =>
        new SqliteConnectionStringBuilder(app.Services.GetRequiredService<DatabaseOptions>().ConnectionString).DataSource;

    private static long WalSize(WebApplication app) => File.Exists(DbFile(app) + "-wal") ? new FileInfo(DbFile(app) + "-wal").Length : 0;

    internal static void Log(string message) => Console.Error.WriteLine($"[places] {message}");
}
