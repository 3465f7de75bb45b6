using System.Diagnostics;
using CivicGrid.Bench.Places;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Residents;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Bench.Population;

/// <summary>
/// Register search with the district scope through <see cref="ResidentApi.SearchAsync"/>, one DI scope (and DbContext) per
/// query as the API endpoint gets it: by ID number, by phone (both exact, through the blind index) and by a 1-2 character
/// name prefix. Plain values come from decrypting random residents of the whole table (seeded and imported).
/// </summary>
internal static class SearchBench
{
    private const int Timed = 2_000;
    private const int WarmUp = 200;

    public static async Task RunAsync(IServiceProvider services, List<(string, double, string)> results)
    {
        var ct = CancellationToken.None;
        var protector = services.GetRequiredService<PersonalDataProtector>();
        RegionScope district;
        long maxId;
        long total;
        List<(long Id, string Name, string IdNumber, string? Phone)> people;
        using (var scope = services.CreateScope())
        {
            var places = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
            var d = await places.Regions.AsNoTracking().SingleAsync(r => r.Level == RegionLevel.District, ct);
            district = new RegionScope(d.Id, d.RegionPath, d.Level);
            var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            maxId = await db.Residents.MaxAsync(r => r.Id, ct);
            total = await db.Residents.LongCountAsync(ct);
            var random = new Random(20210301);
            var picked = new HashSet<long>();
            var wanted = (int)Math.Min(3 * (Timed + WarmUp), total);
            while (picked.Count < wanted) picked.Add(random.NextInt64(1, maxId + 1));
            var ids = picked.ToArray();
            people = (await db.Residents.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.Name, r.IdNumber, r.Phone }).ToListAsync(ct))
                .Select(r => (r.Id, r.Name, protector.Decrypt(r.IdNumber), r.Phone is null ? null : protector.Decrypt(r.Phone)))
                .OrderBy(_ => random.Next()).ToList();

            // The plans SQLite picks for the three shapes SearchAsync builds (same LINQ, written out here).
            await using var connection = new SqliteConnection(db.Database.GetConnectionString());
            await connection.OpenAsync(ct);
            var probe = "probe";
            IQueryable<Resident> Base() => db.Residents.AsNoTracking().InScope(district);
            await PopulationSuite.ExplainAsync(connection, "search by id", Base().Where(r => r.IdIndex == probe).Where(r => r.Until == null)
                .OrderBy(r => r.Id).Take(ResidentApi.MaxResults).ToQueryString());
            await PopulationSuite.ExplainAsync(connection, "search by phone", Base().Where(r => r.PhoneIndex == probe).Where(r => r.Until == null)
                .OrderBy(r => r.Id).Take(ResidentApi.MaxResults).ToQueryString());
            var name = "王";
            var nameUpper = name + "\uffff";
            await PopulationSuite.ExplainAsync(connection, "search by name", Base()
                .Where(r => string.Compare(r.Name, name) >= 0 && string.Compare(r.Name, nameUpper) < 0).Where(r => r.Until == null)
                .OrderBy(r => r.Name).ThenBy(r => r.Id).Take(ResidentApi.MaxResults).ToQueryString()); // as SearchAsync orders a name search
        }
        PopulationSuite.Log($"search: {people.Count:N0} random residents decrypted among {total:N0} (max id {maxId:N0})");

        var byId = people.Select(p => (p.Id, Search: new ResidentSearch(null, p.IdNumber, null, null, null))).ToArray();
        var byPhone = people.Where(p => p.Phone is not null).Select(p => (p.Id, Search: new ResidentSearch(null, null, p.Phone, null, null))).ToArray();
        var random2 = new Random(7);
        var byName = people.Select(p => (Id: 0L, Search: new ResidentSearch(null, null, null, p.Name[..Math.Min(p.Name.Length, 1 + random2.Next(2))], null))).ToArray();

        await TimeAsync(services, "id", district, protector, byId, mustFind: true, results);
        await TimeAsync(services, "phone", district, protector, byPhone, mustFind: true, results);
        await TimeAsync(services, "name", district, protector, byName, mustFind: false, results);
        await NameOrderExperimentAsync(services, district, byName.Select(q => q.Search.Name!).ToArray());
    }

    /// <summary>
    /// Experiment (log only): SearchAsync's name query ordered by (Name, Id) instead of Id. The Name index holds the rowid,
    /// so SQLite walks the prefix range in that order and stops after 200 rows instead of sorting every match.
    /// </summary>
    private static async Task NameOrderExperimentAsync(IServiceProvider services, RegionScope district, string[] prefixes)
    {
        async Task<int> Run(string name)
        {
            using var scope = services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            var upper = name + "\uffff";
            var rows = await db.Residents.AsNoTracking().InScope(district)
                .Where(r => string.Compare(r.Name, name) >= 0 && string.Compare(r.Name, upper) < 0).Where(r => r.Until == null)
                .OrderBy(r => r.Name).ThenBy(r => r.Id).Take(ResidentApi.MaxResults).ToListAsync();
            return rows.Count;
        }

        using (var scope = services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            await using var connection = new SqliteConnection(db.Database.GetConnectionString());
            await connection.OpenAsync();
            var name = "王";
            var upper = name + "\uffff";
            await PopulationSuite.ExplainAsync(connection, "experiment: search by name ordered by (Name, Id)", db.Residents.AsNoTracking().InScope(district)
                .Where(r => string.Compare(r.Name, name) >= 0 && string.Compare(r.Name, upper) < 0).Where(r => r.Until == null)
                .OrderBy(r => r.Name).ThenBy(r => r.Id).Take(ResidentApi.MaxResults).ToQueryString());
        }
        foreach (var p in prefixes[..WarmUp]) await Run(p);
        var timed = prefixes[WarmUp..Math.Min(prefixes.Length, WarmUp + Timed)];
        var ms = new double[timed.Length];
        var machine = Machine.Now();
        var count = 0;
        var watch = Stopwatch.StartNew();
        for (; count < timed.Length && watch.Elapsed < TimeSpan.FromSeconds(30); count++)
        {
            var start = Stopwatch.GetTimestamp();
            await Run(timed[count]);
            ms[count] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        ms = ms[..count];
        Array.Sort(ms);
        PopulationSuite.Log($"experiment: search by name ordered by (Name, Id): {count:N0} queries, p50 {PopulationSuite.At(ms, 0.5):0.000} ms, p90 {PopulationSuite.At(ms, 0.9):0.000} ms, " +
            $"p99 {PopulationSuite.At(ms, 0.99):0.000} ms, max {ms[^1]:0.000} ms; {Machine.Since(machine)}");
    }

    private static async Task TimeAsync(IServiceProvider services, string kind, RegionScope district, PersonalDataProtector protector,
        (long Id, ResidentSearch Search)[] queries, bool mustFind, List<(string, double, string)> results)
    {
        var ct = CancellationToken.None;
        async Task<int> Run((long Id, ResidentSearch Search) q)
        {
            using var scope = services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            var places = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
            var outcome = await ResidentApi.SearchAsync(q.Search, district, db, scope.ServiceProvider.GetRequiredService<CivicGrid.Places.Contracts.RegionDirectory>(), protector, ct);
            if (outcome.Rows is null) throw new InvalidOperationException($"search by {kind} was refused: {string.Join("; ", outcome.Errors.ToDictionary().SelectMany(e => e.Value))}");
            // Exact searches must find the person unless the page of 200 is full of people sharing the value.
            if (mustFind && outcome.Rows.Count < ResidentApi.MaxResults && !outcome.Rows.Any(r => r.Id == q.Id))
                throw new InvalidOperationException($"search by {kind} did not find resident {q.Id}");
            return outcome.Rows.Count;
        }

        var warm = queries[..WarmUp];
        var timed = queries[WarmUp..Math.Min(queries.Length, WarmUp + Timed)];
        foreach (var q in warm) await Run(q);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var ms = new double[timed.Length];
        var found = 0L;
        var machine = Machine.Now();
        var watch = Stopwatch.StartNew();
        var count = 0;
        // A 90 s budget keeps a slow variant from holding the suite up; the log says how many queries it managed.
        for (; count < timed.Length && watch.Elapsed < TimeSpan.FromSeconds(90); count++)
        {
            var start = Stopwatch.GetTimestamp();
            found += await Run(timed[count]);
            ms[count] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        watch.Stop();
        ms = ms[..count];
        Array.Sort(ms);
        double At(double q) => PopulationSuite.At(ms, q);
        PopulationSuite.Log($"search by {kind}: {count:N0} of {timed.Length:N0} queries in {watch.Elapsed.TotalSeconds:0.00} s, p50 {At(0.5):0.000} ms, p90 {At(0.9):0.000} ms, " +
            $"p99 {At(0.99):0.000} ms, max {ms[^1]:0.000} ms, {found / (double)count:0.0} rows per answer; {Machine.Since(machine)}");
        results.Add(($"search_{kind}_p50_ms", At(0.5), "ms"));
        results.Add(($"search_{kind}_p99_ms", At(0.99), "ms"));
    }
}
