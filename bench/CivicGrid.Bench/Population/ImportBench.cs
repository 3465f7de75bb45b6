using System.Diagnostics;
using System.Globalization;
using System.Text;
using CivicGrid.Bench.Places;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Demo;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Demo;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Import;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Bench.Population;

/// <summary>
/// Bulk import of new residents from a CSV, end to end as the import job runs it (file → <see cref="TabularFile.Read"/> →
/// <see cref="ResidentImport.RunAsync"/> with the district scope: validation of every row, the look-up of people already
/// registered, encryption, blind indexes, the inserts and the audit line, one transaction), against a raw SQLite bulk insert
/// of the same rows.
/// </summary>
/// <remarks>
/// What the raw baseline does, per row, inside its timed loop: look up the doorplate token in a dictionary (address id and
/// region path), encrypt the ID number and the phone (AES-GCM), compute both blind indexes (HMAC-SHA256), mask both, take sex
/// and birth date from the ID number, map the kind, parse the move-in date, then one prepared INSERT of the same 17 columns
/// the importer writes, all in one transaction, synchronously, on a plain SqliteConnection. It runs on a byte copy of the
/// seeded database made before the import, so its residents table has the same schema, the same indexes and the same seeded
/// rows as the importer's target; like the importer's large-load path it raises the page cache to 256 MB and builds the
/// table's indexes once at the end (BulkInsert.DeferIndexes), single-threaded. It does NOT do what only the importer does: read and decode the CSV, validate
/// (ID checksum/date/area, mobile number, duplicates in the file, kind, date), look up people already registered (one
/// scan of the ID index, then a detailed query for those found), build the error list, progress reports, EF's audit line and the async ADO.NET calls.
/// So the ratio is "what the importer's extra work and its way of doing the common work cost", not crypto vs no crypto.
/// </remarks>
internal static class ImportBench
{
    private const string AreaCode = "110105"; // 北京朝阳: the seeder draws from 33xxxx and a few other areas, never this one.

    public static async Task RunAsync(IServiceProvider services, string folder, string file, int rowCount, int seededResidents,
        List<(string, double, string)> results)
    {
        var ct = CancellationToken.None;
        var protector = services.GetRequiredService<PersonalDataProtector>();
        RegionScope district;
        List<(string Token, long Id, string RegionPath)> addresses;
        using (var scope = services.CreateScope())
        {
            var places = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
            var d = await places.Regions.AsNoTracking().SingleAsync(r => r.Level == RegionLevel.District, ct);
            district = new RegionScope(d.Id, d.RegionPath, d.Level);
            // Addresses people live at (the seeder puts residents on these), so the import lands where the register is.
            var population = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            var inhabited = (await population.Residents.AsNoTracking().Select(r => r.AddressId).Distinct().ToListAsync(ct)).ToHashSet();
            addresses = (await places.Addresses.AsNoTracking().OrderBy(a => a.Id).Select(a => new { a.DoorplateToken, a.Id, a.RegionPath }).ToListAsync(ct))
                .Where(a => inhabited.Contains(a.Id)).Select(a => (a.DoorplateToken, a.Id, a.RegionPath)).ToList();
        }

        var csv = Path.Combine(folder, "residents.csv");
        var gen = Stopwatch.StartNew();
        WriteCsv(csv, rowCount, addresses);
        PopulationSuite.Log($"wrote {rowCount:N0} rows to a {new FileInfo(csv).Length / 1e6:0} MB CSV over {addresses.Count:N0} inhabited addresses in {gen.Elapsed.TotalSeconds:0.0} s");

        // The raw side's target: a byte copy of the database as it is before the import (WAL folded in first).
        var rawFile = Path.Combine(folder, "raw.db");
        await using (var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString()))
        {
            await c.OpenAsync(ct);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
            await cmd.ExecuteNonQueryAsync(ct);
        }
        File.Copy(file, rawFile);

        // ---- The importer, end to end. ----
        GC.Collect();
        GC.WaitForPendingFinalizers();
        List<string[]> sheet;
        ImportSummary summary;
        var phases = new Phases(rowCount);
        var machine = Machine.Now();
        var cpu = Environment.CpuUsage;
        var total = Stopwatch.StartNew();
        await using (var stream = File.OpenRead(csv))
        {
            sheet = TabularFile.Read(stream, "residents.csv");
        }
        var read = total.Elapsed;
        using (var scope = services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            var places = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
            var actor = new Actor(null, "bench", Roles.DistrictAdmin, district.Path, null);
            phases.Start = total.Elapsed;
            summary = await ResidentImport.RunAsync(db, scope.ServiceProvider.GetRequiredService<CivicGrid.Places.Contracts.AddressDirectory>(), protector, sheet, district, actor, DateTime.UtcNow, phases, ct);
        }
        total.Stop();
        var used = Environment.CpuUsage;
        var importSeconds = total.Elapsed.TotalSeconds;
        var contention = Machine.Since(machine);
        if (!summary.Succeeded)
        {
            foreach (var e in summary.Errors.Take(5)) PopulationSuite.Log($"import error: row {e.Row} {e.Column} '{e.Value}': {e.Reason}");
            throw new InvalidOperationException($"the import was rejected with {summary.Errors.Count} errors");
        }
        if (summary.Inserted != rowCount) throw new InvalidOperationException($"{summary.Inserted} of {rowCount} rows inserted ({summary.Updated} updated, {summary.Unchanged} unchanged)");
        using (var scope = services.CreateScope())
        {
            var count = await scope.ServiceProvider.GetRequiredService<PopulationDbContext>().Residents.CountAsync(ct);
            if (count != seededResidents + rowCount) throw new InvalidOperationException($"{count} residents after the import, expected {seededResidents + rowCount}");
        }
        var importRate = rowCount / importSeconds;
        PopulationSuite.Log($"import: {rowCount:N0} rows in {importSeconds:0.0} s = {importRate:N0} rows/s: read+parse CSV {read.TotalSeconds:0.0} s, " +
            $"address load + validation ≈ {(phases.ValidationEnd - phases.Start).TotalSeconds:0.0} s, write (existing look-up, crypto, inserts, commit) " +
            $"≈ {(total.Elapsed - phases.ValidationEnd).TotalSeconds:0.0} s; CPU {(used.UserTime - cpu.UserTime).TotalSeconds:0.0} s user + " +
            $"{(used.PrivilegedTime - cpu.PrivilegedTime).TotalSeconds:0.0} s system; main {contention}");

        await ExistingLookupAsync(services, protector, rowCount);

        // ---- Raw baseline on the copy. ----
        var prepared = Prepare(sheet);
        sheet = [];
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // The limit: a plain prepared INSERT loop with the same SQLite settings the importer uses for a large load (256 MB page
        // cache, the table's indexes built once at the end), so the ratio measures the importer's own overhead.
        var (rawSeconds, cryptoSeconds) = RawInsert(rawFile, prepared, protector, cacheMb: 256, deferIndexes: true);
        var rawRate = rowCount / rawSeconds;
        PopulationSuite.Log($"raw SQLite (256 MB cache, indexes deferred): {rowCount:N0} rows in {rawSeconds:0.0} s = {rawRate:N0} rows/s, of which value " +
            $"preparation (crypto, masks, dates) alone takes ≈ {cryptoSeconds:0.0} s when run separately");
        Delete(rawFile);
        File.Delete(csv);

        results.Add(("import_s", importSeconds, "s"));
        results.Add(("import_rows_per_s", importRate, "rows/s"));
        results.Add(("raw_sqlite_rows_per_s", rawRate, "rows/s"));
        results.Add(("import_ratio_to_raw_sqlite", importRate / rawRate, "x"));
    }

    private static void Delete(string db)
    {
        SqliteConnection.ClearAllPools();
        foreach (var f in new[] { db, db + "-wal", db + "-shm" }) File.Delete(f);
    }

    /// <summary>
    /// Diagnostic (log only): the importer's per-chunk look-up of people already registered, as it writes it, for 1,000 ID
    /// numbers nobody has (as in a first import), on the table as it is after the import.
    /// </summary>
    private static async Task ExistingLookupAsync(IServiceProvider services, PersonalDataProtector protector, int rowCount)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
        var chunks = Enumerable.Range(0, 60).Select(c => Enumerable.Range(0, 1000)
            .Select(i => protector.BlindIndex("id", CitizenId.Create("110106", new DateOnly(1950, 1, 1).AddDays(i), c))).ToArray()).ToArray();
        await using (var connection = new SqliteConnection(db.Database.GetConnectionString()))
        {
            await connection.OpenAsync();
            var probe = chunks[0];
            await PopulationSuite.ExplainAsync(connection, "import existing look-up", db.Residents.AsNoTracking()
                .Where(r => probe.Contains(r.IdIndex) && r.Until == null).Select(r => new { r.IdIndex, r.Id, r.AddressId, r.Name, r.PhoneIndex, r.Kind }).ToQueryString());
        }
        var ms = new List<double>();
        foreach (var indexes in chunks)
        {
            var start = Stopwatch.GetTimestamp();
            var found = await db.Residents.AsNoTracking().Where(r => indexes.Contains(r.IdIndex) && r.Until == null)
                .Select(r => new { r.IdIndex, r.Id, r.AddressId, r.Name, r.PhoneIndex, r.Kind }).ToListAsync();
            ms.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            if (found.Count != 0) throw new InvalidOperationException("fresh ID numbers were found");
        }
        var timed = ms.Skip(10).Order().ToArray();
        PopulationSuite.Log($"import existing look-up (1,000 fresh ID numbers): p50 {PopulationSuite.At(timed, 0.5):0.0} ms, max {timed[^1]:0.0} ms per chunk " +
            $"→ ≈ {PopulationSuite.At(timed, 0.5) * rowCount / 1000 / 1000:0.0} s of the import");
    }

    /// <summary>Synthetic residents as a district office would upload them; valid and new to the register.</summary>
    private static void WriteCsv(string path, int rows, List<(string Token, long Id, string RegionPath)> addresses)
    {
        var random = new Random(20210701);
        // UTF-8 with BOM, as Excel saves "CSV UTF-8".
        using var writer = new StreamWriter(path, false, new UTF8Encoding(true), 1 << 20);
        writer.Write("姓名,身份证号,手机号,门牌码,类别,入住日期\n");
        var born = new DateOnly(1940, 1, 1);
        var moved = new DateOnly(2000, 1, 1);
        for (var i = 0; i < rows; i++)
        {
            // Day and sequence from the running number: 30,000 days × 1,000 sequences, so no two rows share an ID number.
            var id = CitizenId.Create(AreaCode, born.AddDays(i % 30_000), i / 30_000 % 1000);
            var phone = random.Next(10) < 9 ? "1" + "3578"[random.Next(4)] + random.Next(100_000_000, 999_999_999).ToString(CultureInfo.InvariantCulture) : "";
            var address = addresses[random.Next(addresses.Count)];
            var kind = random.Next(10) < 3 ? "流动" : "户籍";
            var since = random.Next(2) == 0 ? moved.AddDays(random.Next(9000)).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : "";
            writer.Write(DemoNames.Person(random));
            writer.Write(',');
            writer.Write(id);
            writer.Write(',');
            writer.Write(phone);
            writer.Write(',');
            writer.Write(address.Token);
            writer.Write(',');
            writer.Write(kind);
            writer.Write(',');
            writer.Write(since);
            writer.Write('\n');
        }
    }

    private sealed record Plain(string Name, string IdNumber, string? Phone, string Token, string Kind, string Since);

    /// <summary>The parsed cells, untimed: what the raw side starts from (it gets the CSV parsing for free).</summary>
    private static Plain[] Prepare(List<string[]> sheet) =>
        sheet.Skip(1).Select(c => new Plain(c[0], c[1], c[2].Length == 0 ? null : c[2], c[3], c[4], c[5])).ToArray();

    private static readonly string[] Columns =
        ["Id", "Name", "IdNumber", "IdIndex", "IdMasked", "Phone", "PhoneIndex", "PhoneMasked", "Male", "BirthDate", "AddressId", "RegionPath", "Kind",
         "Synthetic", "Declared", "Verified", "Since"];

    private static (double Seconds, double CryptoSeconds) RawInsert(string rawFile, Plain[] rows, PersonalDataProtector protector, int cacheMb, bool deferIndexes)
    {
        // Address dictionary from the copy itself (untimed; the importer's address query is inside its time).
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = rawFile, Pooling = false }.ToString());
        connection.Open();
        var addresses = new Dictionary<string, (long Id, string RegionPath)>(StringComparer.Ordinal);
        using (var q = connection.CreateCommand())
        {
            q.CommandText = "SELECT \"DoorplateToken\", \"Id\", \"RegionPath\" FROM \"addresses\"";
            using var reader = q.ExecuteReader();
            while (reader.Read()) addresses[reader.GetString(0)] = (reader.GetInt64(1), reader.GetString(2));
        }
        if (cacheMb > 0)
        {
            using var pragma = connection.CreateCommand();
            pragma.CommandText = $"PRAGMA cache_size = -{cacheMb * 1024}";
            pragma.ExecuteNonQuery();
        }
        long id;
        using (var q = connection.CreateCommand())
        {
            q.CommandText = "SELECT COALESCE(MAX(\"Id\"), 0) FROM \"residents\"";
            id = Convert.ToInt64(q.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        // Value preparation alone, for the log line's breakdown (not part of either figure).
        var crypto = Stopwatch.StartNew();
        var sink = 0;
        {
            foreach (var r in rows) sink += Values(r, 0, addresses, protector).Length;
        }
        crypto.Stop();
        GC.KeepAlive(sink);
        GC.Collect();

        var machine = Machine.Now();
        var watch = Stopwatch.StartNew();
        using (var tx = connection.BeginTransaction())
        using (var insert = connection.CreateCommand())
        {
            var deferred = deferIndexes ? BulkInsert.DeferIndexes(connection, tx, "residents") : [];
            insert.Transaction = tx;
            insert.CommandText = $"INSERT INTO \"residents\" ({string.Join(", ", Columns.Select(c => $"\"{c}\""))}) VALUES ({string.Join(", ", Columns.Select((_, i) => $"@p{i}"))})";
            var parameters = Columns.Select((_, i) => insert.Parameters.Add(new SqliteParameter($"@p{i}", null))).ToArray();
            insert.Prepare();
            foreach (var r in rows)
            {
                var values = Values(r, ++id, addresses, protector);
                for (var i = 0; i < values.Length; i++) parameters[i].Value = values[i] ?? DBNull.Value;
                insert.ExecuteNonQuery();
            }
            BulkInsert.RestoreIndexes(connection, tx, deferred);
            tx.Commit();
        }
        watch.Stop();
        PopulationSuite.Log($"raw insert (cache {(cacheMb == 0 ? "default" : cacheMb + " MB")}{(deferIndexes ? ", indexes deferred" : "")}): {Machine.Since(machine)}");
        return (watch.Elapsed.TotalSeconds, crypto.Elapsed.TotalSeconds);
    }

    /// <summary>The 17 column values of one row, prepared as ResidentImport prepares them.</summary>
    private static object?[] Values(Plain r, long id, Dictionary<string, (long Id, string RegionPath)> addresses, PersonalDataProtector protector)
    {
        var address = addresses[r.Token];
        var kind = r.Kind == "流动" ? ResidenceKind.Floating : ResidenceKind.Household;
        DateOnly? since = r.Since.Length == 0 ? null : DateOnly.ParseExact(r.Since, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return
        [
            id, r.Name, protector.Encrypt(r.IdNumber), protector.BlindIndex("id", r.IdNumber), Mask.IdNumber(r.IdNumber),
            r.Phone is null ? null : protector.Encrypt(r.Phone), r.Phone is null ? null : protector.BlindIndex("phone", r.Phone),
            r.Phone is null ? null : Mask.Phone(r.Phone), (r.IdNumber[16] - '0') % 2 == 1, CitizenId.BirthDate(r.IdNumber), address.Id,
            address.RegionPath, (int)kind, false, false, false, since,
        ];
    }

    /// <summary>
    /// Progress of the import, recorded synchronously: the validation pass reports row numbers up to the row count, the write
    /// pass reports row count + rows written, so the first report above the row count marks the end of validation (+1 chunk).
    /// </summary>
    private sealed class Phases(int rows) : IProgress<int>
    {
        private readonly Stopwatch watch = Stopwatch.StartNew();
        private TimeSpan offset;

        public TimeSpan Start { get => offset; set { offset = value; watch.Restart(); } }

        public TimeSpan ValidationEnd { get; private set; }

        public void Report(int value)
        {
            if (value > rows && ValidationEnd == TimeSpan.Zero)
            {
                ValidationEnd = offset + watch.Elapsed;
                PopulationSuite.Log($"import: validation done after {ValidationEnd.TotalSeconds:0.0} s (incl. CSV read)");
            }
            else if (value > rows && (value - rows) % 200_000 < 1000)
            {
                PopulationSuite.Log($"import: {value - rows:N0} written at {(offset + watch.Elapsed).TotalSeconds:0.0} s");
            }
        }
    }
}
