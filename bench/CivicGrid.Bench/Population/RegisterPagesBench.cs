using System.Diagnostics;
using CivicGrid.Bench.Places;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Figures;
using CivicGrid.Population.Features.Residents;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Bench.Population;

/// <summary>
/// Server time to compute what the register pages show, as the queries a page would run with EF against
/// <see cref="PopulationDbContext"/> (InScope range on RegionPath), one DI scope per page load:
/// a village (current residents count, first page of 50 by id, pending declarations count) and a town (current residents,
/// floating, household, declared, verified). Villages are drawn through random residents (so populous ones come up more
/// often, as page views would); towns are every populated town in turn.
/// </summary>
internal static class RegisterPagesBench
{
    private const int Runs = 200;
    private const int WarmUp = 20;
    private const int PageSize = 50;

    public sealed record VillagePage(int Residents, List<ResidentDto> FirstPage, int PendingDeclarations);

    public sealed record TownFigures(int Residents, int Floating, int Household, int Declared, int Verified);

    public static async Task<VillagePage> VillageAsync(PopulationDbContext db, RegionScope village, CancellationToken ct)
    {
        var residents = db.Residents.AsNoTracking().InScope(village).Where(r => r.Until == null);
        var count = await residents.CountAsync(ct);
        var page = await residents.OrderBy(r => r.Id).Take(PageSize).ToListAsync(ct);
        var pending = await db.Declarations.AsNoTracking().InScope(village).CountAsync(d => d.Status == DeclarationStatus.Pending, ct);
        return new VillagePage(count, page.Select(ResidentDto.From).ToList(), pending);
    }

    public static async Task<TownFigures> TownAsync(PopulationDbContext db, RegionScope town, CancellationToken ct)
    {
        var residents = db.Residents.AsNoTracking().InScope(town).Where(r => r.Until == null);
        return new TownFigures(
            await residents.CountAsync(ct),
            await residents.CountAsync(r => r.Kind == ResidenceKind.Floating, ct),
            await residents.CountAsync(r => r.Kind == ResidenceKind.Household, ct),
            await residents.CountAsync(r => r.Declared, ct),
            await residents.CountAsync(r => r.Verified, ct));
    }

    /// <summary>The same town figures in one pass over the town's rows (logged for comparison, not a figure).</summary>
    public static async Task<TownFigures> TownOnePassAsync(PopulationDbContext db, RegionScope town, CancellationToken ct)
    {
        var f = await db.Residents.AsNoTracking().InScope(town).Where(r => r.Until == null).GroupBy(_ => 1)
            .Select(g => new TownFigures(g.Count(), g.Count(r => r.Kind == ResidenceKind.Floating), g.Count(r => r.Kind == ResidenceKind.Household),
                g.Count(r => r.Declared), g.Count(r => r.Verified)))
            .ToListAsync(ct);
        return f.FirstOrDefault() ?? new TownFigures(0, 0, 0, 0, 0);
    }

    public static async Task RunAsync(IServiceProvider services, bool quick, List<(string, double, string)> results)
    {
        var ct = CancellationToken.None;
        // --quick keeps to about a minute: the slow town figures get a short time budget, the experiments a shorter one.
        var townBudget = TimeSpan.FromSeconds(quick ? 10 : 60);
        var experimentBudget = TimeSpan.FromSeconds(quick ? 4 : 20);
        List<RegionScope> villages;
        List<RegionScope> towns;
        using (var scope = services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            var places = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
            var maxId = await db.Residents.MaxAsync(r => r.Id, ct);
            var random = new Random(20210401);
            var picks = Enumerable.Range(0, Runs + WarmUp).Select(_ => random.NextInt64(1, maxId + 1)).ToArray();
            var paths = await db.Residents.AsNoTracking().Where(r => picks.Contains(r.Id)).Select(r => new { r.Id, r.RegionPath }).ToDictionaryAsync(r => r.Id, r => r.RegionPath, ct);
            var regions = await places.Regions.AsNoTracking().Where(r => r.Level == RegionLevel.Village || r.Level == RegionLevel.Town)
                .Select(r => new { r.Id, r.RegionPath, r.Level }).ToListAsync(ct);
            RegionScope Ancestor(string path, RegionLevel level) => regions
                .Where(r => r.Level == level && path.StartsWith(r.RegionPath, StringComparison.Ordinal))
                .Select(r => new RegionScope(r.Id, r.RegionPath, r.Level)).Single();
            villages = picks.Where(paths.ContainsKey).Select(id => Ancestor(paths[id], RegionLevel.Village)).ToList();
            var populated = (await db.Residents.AsNoTracking().Select(r => r.RegionPath).Distinct().ToListAsync(ct))
                .Select(p => Ancestor(p, RegionLevel.Town)).Distinct().ToList();
            towns = Enumerable.Range(0, Runs + WarmUp).Select(i => populated[i % populated.Count]).OrderBy(_ => random.Next()).ToList();
            PopulationSuite.Log($"register pages: {villages.Distinct().Count()} distinct villages, {populated.Count} populated towns");

            await using var connection = new SqliteConnection(db.Database.GetConnectionString());
            await connection.OpenAsync(ct);
            var v = villages[0];
            var t = towns[0];
            var residents = db.Residents.AsNoTracking().InScope(v).Where(r => r.Until == null);
            await PopulationSuite.ExplainAsync(connection, "village count", residents.Select(r => r.Id).ToQueryString().Replace("SELECT \"r\".\"Id\"", "SELECT COUNT(*)", StringComparison.Ordinal));
            await PopulationSuite.ExplainAsync(connection, "village first page", residents.OrderBy(r => r.Id).Take(PageSize).ToQueryString());
            await PopulationSuite.ExplainAsync(connection, "village pending", db.Declarations.AsNoTracking().InScope(v).Where(d => d.Status == DeclarationStatus.Pending).ToQueryString());
            await PopulationSuite.ExplainAsync(connection, "town floating count", db.Residents.AsNoTracking().InScope(t).Where(r => r.Until == null)
                .Where(r => r.Kind == ResidenceKind.Floating).ToQueryString());
        }

        var village = await TimeAsync(services, "village page", villages, async (db, s) =>
        {
            var p = await VillageAsync(db, s, ct);
            return p.Residents;
        });
        // The town figures page as it runs (RegisterFigures.ComputeAsync: the seed's four numbers and the rest, per village).
        var town = await TimeAsync(services, "town figures (RegisterFigures)", towns, async (sp, s) =>
        {
            var regions = sp.GetRequiredService<CivicGrid.Places.Contracts.RegionDirectory>();
            var region = await regions.FindAsync(s.RegionId, ct) ?? throw new InvalidOperationException($"region {s.RegionId} not found");
            var f = await RegisterFigures.ComputeAsync(sp.GetRequiredService<PopulationDbContext>(), regions, region, ct);
            if (f.Totals.Floating + f.Totals.Household != f.Totals.Residents) throw new InvalidOperationException("floating + household != residents");
            if (f.Children.Sum(c => c.Figures.Residents) != f.Totals.Residents) throw new InvalidOperationException("villages do not add up to the town");
            return f.Totals.Residents;
        }, townBudget);
        await TimeAsync(services, "experiment: town figures as five counts", towns, async (db, s) => (await TownAsync(db, s, ct)).Residents, experimentBudget);

        // Experiments (log only, not figures): one query instead of five; a memory-mapped file instead of SQLite's 2 MB page
        // cache. (The covering index this suite once proposed is part of the schema now.)
        await TimeAsync(services, "experiment: town figures in one pass", towns, async (db, s) => (await TownOnePassAsync(db, s, ct)).Residents,
            experimentBudget);
        await TimeAsync(services, "experiment: town figures with PRAGMA mmap_size=2 GB", towns, async (db, s) =>
        {
            await db.Database.OpenConnectionAsync(ct);
            await db.Database.ExecuteSqlRawAsync("PRAGMA mmap_size = 2147483648", ct);
            return (await TownAsync(db, s, ct)).Residents;
        }, experimentBudget);
        SqliteConnection.ClearAllPools(); // the pooled connections keep mmap_size: drop them before anything else runs

        results.Add(("village_page_ms", village.P50, "ms"));
        results.Add(("village_page_p99_ms", village.P99, "ms"));
        results.Add(("town_figures_ms", town.P50, "ms"));
        results.Add(("town_figures_p99_ms", town.P99, "ms"));
    }

    private static Task<(double P50, double P99)> TimeAsync(IServiceProvider services, string name, List<RegionScope> regions,
        Func<PopulationDbContext, RegionScope, Task<int>> page, TimeSpan? budget = null) =>
        TimeAsync(services, name, regions, (IServiceProvider sp, RegionScope r) => page(sp.GetRequiredService<PopulationDbContext>(), r), budget);

    private static async Task<(double P50, double P99)> TimeAsync(IServiceProvider services, string name, List<RegionScope> regions,
        Func<IServiceProvider, RegionScope, Task<int>> page, TimeSpan? budget = null)
    {
        async Task<int> Run(RegionScope region)
        {
            using var scope = services.CreateScope();
            return await page(scope.ServiceProvider, region);
        }

        // Warm-up counts against a quarter of the budget too: a town page of a second and more needs few runs to warm up.
        var warming = Stopwatch.StartNew();
        foreach (var r in regions.Take(WarmUp))
        {
            await Run(r);
            if (budget is not null && warming.Elapsed > budget / 4) break;
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var timed = regions.Skip(WarmUp).ToList();
        var ms = new double[timed.Count];
        long rows = 0;
        var machine = Machine.Now();
        var total = Stopwatch.StartNew();
        var count = 0;
        for (var i = 0; i < timed.Count && (budget is null || total.Elapsed < budget); i++, count++)
        {
            var start = Stopwatch.GetTimestamp();
            rows += await Run(timed[i]);
            ms[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        // A slow variant stops at its time budget: its percentiles are over the runs it managed, and the log says how many.
        ms = ms[..count];
        Array.Sort(ms);
        var (p50, p99) = (PopulationSuite.At(ms, 0.5), PopulationSuite.At(ms, 0.99));
        PopulationSuite.Log($"{name}: {count} of {timed.Count} runs{(count < timed.Count ? $" (time budget {budget!.Value.TotalSeconds:0} s)" : "")}, p50 {p50:0.00} ms, p90 {PopulationSuite.At(ms, 0.9):0.00} ms, p99 {p99:0.00} ms, max {ms[^1]:0.00} ms, " +
            $"{rows / (double)count:N0} current residents per region on average; {Machine.Since(machine)}");
        return (p50, p99);
    }
}
