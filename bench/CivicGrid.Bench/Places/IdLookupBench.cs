using System.Diagnostics;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Residents;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Bench.Places;

/// <summary>
/// Person lookup by ID number through the blind index, as a staff member types it: normalise, HMAC, query, load the row.
/// Timed per lookup on the same people: EF LINQ (what a handler or page writes), an EF compiled query, a prepared raw
/// SqliteCommand (so that EF's per-query overhead can be told apart from SQLite's own cost), the module's own
/// <see cref="ResidenceDirectory"/> contract, which other modules call with the same blind index, and the register page's
/// search (<see cref="ResidentApi.SearchAsync"/>, plain EF LINQ) as a district admin and as a town officer.
/// </summary>
internal static class IdLookupBench
{
    private const int Measured = 10_000;
    private const int WarmUp = 1_000;

    private static readonly Func<PopulationDbContext, string, Task<Resident?>> CompiledByIndex =
        EF.CompileAsyncQuery((PopulationDbContext db, string index) => db.Residents.AsNoTracking().FirstOrDefault(r => r.IdIndex == index));

    public static async Task RunAsync(IServiceProvider services, int residentCount, bool quick, List<(string, double, string)> results)
    {
        var warmUpTime = TimeSpan.FromSeconds(quick ? 0.5 : 1.5);
        var protector = services.GetRequiredService<PersonalDataProtector>();
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();

        // Random seeded residents (distinct, fixed seed): the first WarmUp only warm up, the rest are timed.
        var random = new Random(20210201);
        var wanted = Math.Min(Measured + WarmUp, residentCount);
        var picked = new HashSet<long>();
        while (picked.Count < wanted) picked.Add(random.NextInt64(1, residentCount + 1));
        var ids = picked.ToArray();
        var rows = await db.Residents.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.IdNumber }).ToListAsync();
        var plain = rows.ToDictionary(r => r.Id, r => protector.Decrypt(r.IdNumber));
        if (plain.Count != ids.Length) throw new InvalidOperationException($"only {plain.Count} of {ids.Length} picked residents exist");
        // As typed: some people write the check character X in lower case; normalisation must fix that.
        var people = ids.Select((id, i) => (Id: id, Typed: plain[id].EndsWith('X') && i % 2 == 0 ? plain[id][..17] + "x" : plain[id])).ToArray();
        var warm = people[..Math.Min(WarmUp, people.Length / 10)];
        var timed = people[warm.Length..];
        PlacesSuite.Log($"id lookup: {timed.Length:N0} people timed (+{warm.Length:N0} warm-up) among {residentCount:N0} residents; " +
            $"{timed.Count(p => p.Typed.EndsWith('x'))} typed with a lower-case x");

        // Normalise + blind index alone: the part every variant shares.
        var hashWatch = Stopwatch.StartNew();
        foreach (var p in people)
        {
            CitizenId.TryNormalize(p.Typed, out var n, out _);
            protector.BlindIndex("id", n);
        }
        PlacesSuite.Log($"normalise + blind index alone: {hashWatch.Elapsed.TotalMilliseconds * 1000 / people.Length:0.0} us per lookup");

        // 1. EF LINQ on one scoped context, as an injected PopulationDbContext in a page or handler.
        var linq = await TimeAsync("EF LINQ", warm, timed, warmUpTime,
            ByIndex(protector, async index => (await db.Residents.AsNoTracking().Where(r => r.IdIndex == index).FirstOrDefaultAsync())?.Id));
        Add(results, "", linq);

        // 2. EF compiled query, same context.
        var compiled = await TimeAsync("EF compiled", warm, timed, warmUpTime, ByIndex(protector, async index => (await CompiledByIndex(db, index))?.Id));
        Add(results, "_compiled", compiled);

        // 3. A prepared SqliteCommand on an open connection: SQLite's own cost plus reading the row.
        await using var connection = new SqliteConnection(db.Database.GetConnectionString());
        await connection.OpenAsync();
        // The raw command runs EF's own SQL for the query (every column of the entity, whatever the model has today) plus
        // LIMIT 1, prepared once on a connection kept open, and reads every value of the row.
        var probeIndex = "probe";
        var (sql, parameterName) = await ExplainAsync(connection, "EF LINQ", db.Residents.AsNoTracking().Where(r => r.IdIndex == probeIndex).ToQueryString());
        await using var command = connection.CreateCommand();
        command.CommandText = sql + " LIMIT 1";
        var parameter = command.Parameters.Add(parameterName, SqliteType.Text);
        command.Prepare();
        var raw = await TimeAsync("raw SqliteCommand", warm, timed, warmUpTime, ByIndex(protector, index =>
        {
            parameter.Value = index;
            using var reader = command.ExecuteReader();
            if (!reader.Read()) return Task.FromResult<long?>(null);
            var values = new object[reader.FieldCount];
            reader.GetValues(values);
            return Task.FromResult<long?>((long)values[reader.GetOrdinal("Id")]);
        }));
        Add(results, "_raw", raw);

        // 4. The module's contract other modules use with the same blind index (ID number or phone, newest first).
        var directory = scope.ServiceProvider.GetRequiredService<ResidenceDirectory>();
        var probe = "probe";
        await ExplainAsync(connection, "ResidenceDirectory.FindAsync", db.Residents.AsNoTracking()
            .Where(r => r.IdIndex == probe || r.PhoneIndex == probe).OrderByDescending(r => r.Id)
            .Select(r => new { r.Id, r.RegionPath, r.AddressId }).Take(1).ToQueryString());
        var found = await TimeAsync("ResidenceDirectory.FindAsync", warm, timed, warmUpTime,
            ByIndex(protector, async index => (await directory.FindAsync(index, CancellationToken.None))?.ResidentId), budget: TimeSpan.FromSeconds(30));
        Add(results, "_directory", found);

        // 5. What the register page (ResidentsPage.razor → ResidentApi.SearchAsync) runs for an ID number typed by a district
        //    admin, whose scope is the whole district, and by a town officer of the person's town: scope range, current
        //    residents only, ordered by id, at most 200 rows, mapped to DTOs.
        var places = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
        var regionDirectory = scope.ServiceProvider.GetRequiredService<CivicGrid.Places.Contracts.RegionDirectory>();
        var district = await places.Regions.AsNoTracking().SingleAsync(r => r.Level == RegionLevel.District);
        var districtScope = new RegionScope(district.Id, district.RegionPath, district.Level);
        var towns = await places.Regions.AsNoTracking().Where(r => r.Level == RegionLevel.Town).ToDictionaryAsync(r => r.Id, r => r.RegionPath);
        var paths = (await db.Residents.AsNoTracking().Where(r => ids.Contains(r.Id)).Select(r => new { r.Id, r.RegionPath }).ToListAsync())
            .ToDictionary(r => r.Id, r => r.RegionPath);
        RegionScope TownOf(long residentId)
        {
            var townId = RegionPaths.Ids(paths[residentId])[1];
            return new RegionScope(townId, towns[townId], RegionLevel.Town);
        }
        var probeId = "probe";
        var pageSql = db.Residents.AsNoTracking().InScope(districtScope).Where(r => r.IdIndex == probeId).Where(r => r.Until == null)
            .OrderBy(r => r.Id).Take(ResidentApi.MaxResults).ToQueryString();
        await ExplainAsync(connection, "register page (district admin)", pageSql);
        // SearchAsync normalises and indexes the typed number itself, so these time exactly what the page does.
        var page = await TimeAsync("register page, district admin", warm, timed, warmUpTime, async (typed, _) =>
        {
            var outcome = await ResidentApi.SearchAsync(new ResidentSearch(null, typed, null, null, null), districtScope, db, regionDirectory, protector, CancellationToken.None);
            return outcome.Rows is [var only] ? only.Id : null;
        }, budget: TimeSpan.FromSeconds(30));
        Add(results, "_register_page", page);
        var townPage = await TimeAsync("register page, town officer", warm, timed, warmUpTime, async (typed, id) =>
        {
            var outcome = await ResidentApi.SearchAsync(new ResidentSearch(null, typed, null, null, null), TownOf(id), db, regionDirectory, protector, CancellationToken.None);
            return outcome.Rows is [var only] ? only.Id : null;
        }, budget: TimeSpan.FromSeconds(30));
        Add(results, "_register_page_town", townPage);

        PlacesSuite.Log($"EF LINQ p50 is {linq.P50 / raw.P50:0.0}x the raw command's; compiled {compiled.P50 / raw.P50:0.0}x.");
    }

    /// <summary>Logs SQLite's plan for a query as EF's ToQueryString gives it (".param set" lines, then the SQL); returns the SQL and its first parameter's name.</summary>
    private static async Task<(string Sql, string Parameter)> ExplainAsync(SqliteConnection connection, string name, string efQuery)
    {
        var lines = efQuery.ReplaceLineEndings("\n").Split('\n');
        await using var explain = connection.CreateCommand();
        foreach (var line in lines.Where(l => l.StartsWith(".param set ", StringComparison.Ordinal)))
        {
            var parts = line.Split(' ', 4);
            explain.Parameters.AddWithValue(parts[2], parts[3].Trim('\''));
        }
        var sql = string.Join(" ", lines.Where(l => !l.StartsWith(".param", StringComparison.Ordinal)).Select(l => l.Trim())).Trim();
        PlacesSuite.Log($"{name} SQL: {sql}");
        explain.CommandText = "EXPLAIN QUERY PLAN " + sql;
        await using var reader = await explain.ExecuteReaderAsync();
        while (await reader.ReadAsync()) PlacesSuite.Log($"{name} plan: {reader.GetString(3)}");
        return (sql, explain.Parameters.Count > 0 ? explain.Parameters[0].ParameterName : "");
    }

    private static void Add(List<(string, double, string)> results, string suffix, Timing t)
    {
        results.Add(($"id_lookup_p50_ms{suffix}", t.P50, "ms"));
        results.Add(($"id_lookup_p99_ms{suffix}", t.P99, "ms"));
        results.Add(($"id_lookup_p99_ms{suffix}_oncpu", t.CpuP99, "ms"));
    }

    private sealed record Timing(double P50, double P99, double Max, double Mean, double CpuP50, double CpuP99);

    /// <summary>Times <paramref name="lookup"/> (typed ID number and the expected person's id → the id it found) once per person.</summary>
    private static async Task<Timing> TimeAsync(string name, (long Id, string Typed)[] warm, (long Id, string Typed)[] timed, TimeSpan warmUpTime,
        Func<string, long, Task<long?>> lookup, TimeSpan? budget = null)
    {
        // Warm up for a while, not a fixed count: tiered JIT recompiles EF's query pipeline in the background for a second or more.
        var warming = Stopwatch.StartNew();
        var warmed = 0;
        do
        {
            foreach (var (id, typed) in warm)
            {
                if (await lookup(typed, id) != id) throw new InvalidOperationException($"{name}: warm-up lookup of {id} failed");
                warmed++;
            }
        }
        while (warming.Elapsed < warmUpTime);
        GC.Collect();
        GC.WaitForPendingFinalizers();

        var ms = new double[timed.Length];
        // The same lookup in this thread's CPU time: what it costs when it has a core to itself. On this shared machine the
        // wall-clock tail is mostly time slices lost to other processes; this separates the two. A lookup whose
        // continuation moved to another thread has no CPU figure and is left out of it (the log says how many).
        var cpuMs = new List<double>(timed.Length);
        var moved = 0;
        var wrong = 0;
        var gen0 = GC.CollectionCount(0);
        var machine = Machine.Now();
        var total = Stopwatch.StartNew();
        var count = 0;
        for (; count < timed.Length && (budget is null || total.Elapsed < budget); count++)
        {
            var thread = Environment.CurrentManagedThreadId;
            var cpuStart = ThreadClock.Nanoseconds();
            var start = Stopwatch.GetTimestamp();
            var found = await lookup(timed[count].Typed, timed[count].Id);
            ms[count] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            if (thread == Environment.CurrentManagedThreadId && cpuStart >= 0) cpuMs.Add((ThreadClock.Nanoseconds() - cpuStart) / 1e6);
            else moved++;
            if (found != timed[count].Id) wrong++;
        }
        total.Stop();
        var contention = Machine.Since(machine);
        // A slow variant stops at its time budget: its percentiles are over the lookups it managed, and the log says how many.
        ms = ms[..count];
        Array.Sort(ms);
        cpuMs.Sort();
        static double At(IReadOnlyList<double> sorted, double q) =>
            sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(q * sorted.Count) - 1)];
        var t = new Timing(At(ms, 0.50), At(ms, 0.99), ms[^1], ms.Average(), At(cpuMs, 0.50), At(cpuMs, 0.99));
        PlacesSuite.Log($"{name}: {count:N0} lookups in {total.Elapsed.TotalSeconds:0.00} s, p50 {t.P50:0.000} ms, p90 {At(ms, 0.9):0.000} ms, " +
            $"p99 {t.P99:0.000} ms, p99.9 {At(ms, 0.999):0.000} ms, max {t.Max:0.000} ms, mean {t.Mean:0.000} ms; on-CPU p50 {t.CpuP50:0.000} ms, " +
            $"p99 {t.CpuP99:0.000} ms over {cpuMs.Count:N0} ({moved} changed thread); {GC.CollectionCount(0) - gen0} gen0 GCs, {contention}; " +
            $"{warmed:N0} warm-up lookups first; {count - wrong:N0}/{count:N0} found the right person");
        if (wrong > 0) throw new InvalidOperationException($"{name}: {wrong} lookups found the wrong person or nobody");
        return t;
    }

    /// <summary>The user's path in front of a query by blind index: normalise what was typed, then HMAC it.</summary>
    private static Func<string, long, Task<long?>> ByIndex(PersonalDataProtector protector, Func<string, Task<long?>> query) => (typed, expected) =>
        CitizenId.TryNormalize(typed, out var normalized, out _) ? query(protector.BlindIndex("id", normalized)) : Task.FromResult<long?>(null);
}
