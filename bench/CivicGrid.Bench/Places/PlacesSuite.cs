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
/// Setting PLACES_SEED_CACHE_MB=256 first seeds a second file through DemoSeeder's two calls with a larger SQLite page cache,
/// the change proposed for the seeder, and reports it beside the real figure (it adds one more seed to the run).
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
            if (Environment.GetEnvironmentVariable("PLACES_SEED_CACHE_MB") is { } cacheMb)
            {
                await using var trial = BuildHost(folder, Path.Combine(folder, "trial.db"));
                await SeedTrialAsync(trial, scale, int.Parse(cacheMb, System.Globalization.CultureInfo.InvariantCulture), results);
            }
            await using (var app = BuildHost(folder, file))
            {
                var seeded = await SeedAsync(app, scale, results);
                await GridBench.RunAsync(app.Services, quick, results);
                await IdLookupBench.RunAsync(app.Services, seeded.Residents, quick, results);
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
        var cpu = Environment.CpuUsage;
        var start = Stopwatch.GetTimestamp();
        var summary = await seeder.SeedAsync(scale, ct, Console.Error);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var used = Environment.CpuUsage;
        Log($"seed CPU: {(used.UserTime - cpu.UserTime).TotalSeconds:0.0} s user + {(used.PrivilegedTime - cpu.PrivilegedTime).TotalSeconds:0.0} s system " +
            $"over {seconds:0.0} s wall (seeding is one thread: well below 100% means waiting on I/O or on other work on the machine)");
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
        // CPU seconds of the process over the seed: unlike wall time, barely moved by other work on the shared machine.
        results.Add(($"seed_{scale}_cpu_s", (used.TotalTime - cpu.TotalTime).TotalSeconds, "s"));
        return summary;
    }

    /// <summary>Experiment: DemoSeeder.SeedAsync's two calls, with a larger SQLite page cache on both connections first.</summary>
    private static async Task SeedTrialAsync(WebApplication app, string scale, int cacheMb, List<(string, double, string)> results)
    {
        var ct = CancellationToken.None;
        await app.Services.MigrateAllAsync(ct);
        using var scope = app.Services.CreateScope();
        var places = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
        var population = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
        var pragma = "PRAGMA cache_size = -" + (cacheMb * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var db in new DbContext[] { places, population })
        {
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync(pragma, ct);
        }
        var protector = app.Services.GetRequiredService<PersonalDataProtector>();
        var cpu = Environment.CpuUsage;
        var start = Stopwatch.GetTimestamp();
        var options = new CivicGrid.Places.Features.Demo.DemoDistrict.Options(scale);
        var result = await CivicGrid.Places.Features.Demo.DemoDistrict.SeedAsync(places, protector, CivicGrid.Places.Features.Demo.XiaoshanTowns.Load(), options,
            DateTime.UtcNow, ct);
        Log($"trial places ({cacheMb} MB cache): {Stopwatch.GetElapsedTime(start).TotalSeconds:0.0} s");
        var residents = await CivicGrid.Population.Features.Demo.DemoResidents.SeedAsync(population, protector, result.SeededAddresses, options.Seed, ct);
        var seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        var used = Environment.CpuUsage;
        Log($"trial seed with {cacheMb} MB cache: {residents:N0} residents in {seconds:0.0} s; CPU {(used.UserTime - cpu.UserTime).TotalSeconds:0.0} s user + " +
            $"{(used.PrivilegedTime - cpu.PrivilegedTime).TotalSeconds:0.0} s system");
        foreach (var db in new DbContext[] { places, population })
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA cache_size = -2000", ct);
            await db.Database.CloseConnectionAsync();
        }
        results.Add(($"seed_{scale}_s_cache{cacheMb}mb_trial", seconds, "s"));
        results.Add(($"seed_{scale}_cpu_s_cache{cacheMb}mb_trial", (used.TotalTime - cpu.TotalTime).TotalSeconds, "s"));
    }

    private static string DbFile(WebApplication app) =>
        new SqliteConnectionStringBuilder(app.Services.GetRequiredService<DatabaseOptions>().ConnectionString).DataSource;

    private static long WalSize(WebApplication app) => File.Exists(DbFile(app) + "-wal") ? new FileInfo(DbFile(app) + "-wal").Length : 0;

    internal static void Log(string message) => Console.Error.WriteLine($"[places] {message}");
}
