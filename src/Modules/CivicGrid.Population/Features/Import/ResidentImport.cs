using System.Data.Common;
using System.Globalization;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Time;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;

namespace CivicGrid.Population.Features.Import;

internal sealed record ImportError(int Row, string Column, string Value, string Reason);

internal sealed record ImportSummary(int Rows, int Inserted, int Updated, int Unchanged, IReadOnlyList<ImportError> Errors)
{
    public bool Succeeded => Errors.Count == 0;
}

/// <summary>
/// Imports residents from a sheet (Chinese headers, see <see cref="Headers"/>). Every row is validated first; any error
/// means nothing is written and the errors come back for the error report. Otherwise everything is written in one
/// transaction. Re-importing the same file changes nothing: a person already living at the address with the same data is
/// "unchanged"; changed data updates the row; a person living elsewhere moves (the old residence is closed).
/// </summary>
internal static class ResidentImport
{
    public const int MaxErrors = 100_000;

    public const string NoRows = "文件没有数据行 / the file has no rows";

    /// <summary>Test-only hooks of the insert phase, for the current async flow only (so parallel imports are not touched).</summary>
    internal sealed class WriteHooks
    {
        /// <summary>Rows per insert batch (normally <see cref="InsertBatch"/>).</summary>
        public int? BatchSize;

        /// <summary>Awaited by the background task before it prepares a batch: a slow preparation.</summary>
        public Func<Task>? BeforePrepare;

        /// <summary>Called after a batch was handed to the insert (before the loop moves on).</summary>
        public Action? AfterBatch;
    }

    internal static readonly AsyncLocal<WriteHooks?> Hooks = new();

    /// <summary>Columns of the template: (Chinese header, English alias, required).</summary>
    public static readonly (string Zh, string En, bool Required)[] Headers =
    [
        ("姓名", "name", true), ("身份证号", "idNumber", true), ("手机号", "phone", false), ("门牌码", "doorplate", true),
        ("类别", "kind", false), ("入住日期", "moveInDate", false),
    ];

    private sealed record Row(int Line, string Name, string IdNumber, string? Phone, long AddressId, string RegionPath, ResidenceKind Kind, DateOnly? Since);

    private sealed record Existing(long Id, long AddressId, string Name, string? PhoneIndex, ResidenceKind Kind);

    public static async Task<ImportSummary> RunAsync(PopulationDbContext db, AddressDirectory directory, PersonalDataProtector protector,
        IReadOnlyList<string[]> sheet, RegionScope scope, Actor actor, DateTime now, IProgress<int>? progress, CancellationToken ct,
        bool? largeLoad = null)
    {
        var errors = new List<ImportError>();
        if (sheet.Count == 0) return new ImportSummary(0, 0, 0, 0, [new ImportError(1, "", "", "文件为空 / the file is empty")]);
        var columns = MapHeaders(sheet[0], errors);
        if (errors.Count > 0) return new ImportSummary(sheet.Count - 1, 0, 0, 0, errors);
        if (sheet.Count == 1) return new ImportSummary(0, 0, 0, 0, [new ImportError(2, "", "", NoRows)]);

        // Doorplates of the importer's area, by token: one query, then dictionary look-ups per row.
        var addresses = (await directory.KeysInScopeAsync(scope, ct)).ToDictionary(a => a.DoorplateToken, a => (a.Id, a.RegionPath));
        var today = ChinaTime.DateOf(now);
        // Rows are checked on all cores, in chunks; duplicates within the file are found afterwards, in file order.
        var checks = new Checked[sheet.Count - 1];
        var done = 0;
        Parallel.ForEach(System.Collections.Concurrent.Partitioner.Create(1, sheet.Count, 8192), new ParallelOptions { CancellationToken = ct }, range =>
        {
            for (var i = range.Item1; i < range.Item2; i++) checks[i - 1] = Check(sheet[i], i + 1, columns, addresses, today);
            progress?.Report(Interlocked.Add(ref done, range.Item2 - range.Item1));
        });
        var rows = new List<Row>(sheet.Count - 1);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < checks.Length && errors.Count < MaxErrors; i++)
        {
            var check = checks[i];
            if (check.Id is not null)
            {
                if (seen.TryGetValue(check.Id, out var first))
                {
                    (check.Errors ??= []).Insert(check.NameFailed ? 1 : 0,
                        new ImportError(i + 2, "身份证号", Mask.IdNumber(check.Id), $"与第 {first} 行重复 / repeats row {first}"));
                }
                else seen[check.Id] = i + 2;
            }
            if (check.Errors is not null) errors.AddRange(check.Errors);
            else rows.Add(check.Row!);
        }
        if (errors.Count > 0) return new ImportSummary(sheet.Count - 1, 0, 0, 0, errors);

        var (inserted, updated, unchanged) = await WriteAsync(db, protector, rows, actor, now, progress, largeLoad, ct);
        return new ImportSummary(rows.Count, inserted, updated, unchanged, errors);
    }

    private sealed class Checked
    {
        public Row? Row;
        public string? Id;
        public List<ImportError>? Errors;
        public bool NameFailed;
    }

    private static readonly string[] DateFormats = ["yyyy-MM-dd", "yyyy/M/d", "yyyy-M-d", "yyyyMMdd"];

    /// <summary>Validates one row on its own (everything but duplicates within the file).</summary>
    private static Checked Check(string[] cells, int line, Dictionary<string, int> columns, Dictionary<string, (long Id, string RegionPath)> addresses, DateOnly today)
    {
        var result = new Checked();
        string Cell(string zh) => columns.TryGetValue(zh, out var c) && c < cells.Length ? cells[c].Trim() : "";
        void Fail(string column, string value, string reason) => (result.Errors ??= []).Add(new ImportError(line, column, value, reason));

        var name = Cell("姓名");
        if (name.Length is 0 or > 32)
        {
            Fail("姓名", name, "姓名必填，最多 32 字 / name is required, at most 32 characters");
            result.NameFailed = true;
        }
        var rawId = Cell("身份证号");
        if (!CitizenId.TryNormalize(rawId, out var id, out var idError, today)) Fail("身份证号", Mask.IdNumber(rawId), idError!);
        else result.Id = id;
        var rawPhone = Cell("手机号");
        string? phone = null;
        if (rawPhone.Length > 0)
        {
            if (MobileNumber.TryNormalize(rawPhone, out var p, out var phoneError)) phone = p;
            else Fail("手机号", Mask.Phone(rawPhone), phoneError!);
        }
        var token = Cell("门牌码");
        if (!addresses.TryGetValue(token, out var address))
            Fail("门牌码", token, "门牌码不存在或不在您的辖区内 / unknown doorplate or outside your area");
        var kindText = Cell("类别");
        var kind = kindText switch
        {
            "" or "户籍" or "household" => ResidenceKind.Household,
            "流动" or "floating" => ResidenceKind.Floating,
            _ => (ResidenceKind)(-1),
        };
        if ((int)kind < 0) Fail("类别", kindText, "类别须为“户籍”或“流动” / kind must be 户籍 or 流动");
        DateOnly? since = null;
        var dateText = Cell("入住日期");
        if (dateText.Length > 0)
        {
            if (DateOnly.TryParseExact(dateText, DateFormats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) && d <= today && d.Year >= 1900)
                since = d;
            else Fail("入住日期", dateText, "日期须为 yyyy-MM-dd，且不晚于今天 / date must be yyyy-MM-dd and not in the future");
        }
        if (result.Errors is null) result.Row = new Row(line, name, id, phone, address.Id, address.RegionPath, kind, since);
        return result;
    }

    private static Dictionary<string, int> MapHeaders(string[] header, List<ImportError> errors)
    {
        var map = new Dictionary<string, int>();
        for (var c = 0; c < header.Length; c++)
        {
            var h = header[c].Trim().TrimStart('\uFEFF');
            var known = Headers.FirstOrDefault(x => x.Zh == h || string.Equals(x.En, h, StringComparison.OrdinalIgnoreCase));
            if (known.Zh is not null) map.TryAdd(known.Zh, c);
        }
        foreach (var (zh, en, required) in Headers.Where(h => h.Required && !map.ContainsKey(h.Zh)))
        {
            errors.Add(new ImportError(1, zh, "", $"缺少必需的列“{zh}” / the required column '{en}' is missing"));
        }
        return map;
    }

    /// <summary>
    /// New rows above this count (and at least a quarter of the table) are loaded with the table's indexes deferred
    /// (SQLite only; see <see cref="BulkInsert.DeferIndexes"/>).
    /// </summary>
    internal const int DeferIndexesFrom = 50_000;

    private const int InsertBatch = 4096;

    private static async Task<(int Inserted, int Updated, int Unchanged)> WriteAsync(PopulationDbContext db, PersonalDataProtector protector,
        List<Row> rows, Actor actor, DateTime now, IProgress<int>? progress, bool? largeLoad, CancellationToken ct)
    {
        // Blind indexes of every row, on all cores: they decide what happens to each row.
        var idIndexes = new string[rows.Count];
        var phoneIndexes = new string?[rows.Count];
        Parallel.For(0, rows.Count, new ParallelOptions { CancellationToken = ct }, i =>
        {
            idIndexes[i] = protector.BlindIndex("id", rows[i].IdNumber);
            phoneIndexes[i] = rows[i].Phone is { } phone ? protector.BlindIndex("phone", phone) : null;
        });

        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            var (inserted, updated, unchanged) = (0, 0, 0);
            // The raw inserts and updates, EF's own queries and the audit line run in one transaction.
            await db.SaveAuditedAsync(actor, now, async ct =>
            {
                var tx = db.Database.CurrentTransaction!.GetDbTransaction();
                await using var nextId = connection.CreateCommand();
                nextId.Transaction = tx;
                nextId.CommandText = "SELECT COALESCE(MAX(\"Id\"), 0) FROM \"residents\"";
                var id = Convert.ToInt64(await nextId.ExecuteScalarAsync(ct), CultureInfo.InvariantCulture);
                var tableSize = id;
                // Created first: it raises SQLite's page cache for the whole load, the look-ups below included.
                using var insert = new BulkInsert(connection, tx, "residents", "Id", "Name", "IdNumber", "IdIndex", "IdMasked", "Phone", "PhoneIndex",
                    "PhoneMasked", "Male", "BirthDate", "AddressId", "RegionPath", "Kind", "Synthetic", "Declared", "Verified", "Since");
                await using var update = Command(connection, tx,
                    "UPDATE \"residents\" SET \"Name\" = @p0, \"Phone\" = @p1, \"PhoneIndex\" = @p2, \"PhoneMasked\" = @p3, \"Kind\" = @p4 WHERE \"Id\" = @p5", 6);
                await using var close = Command(connection, tx, "UPDATE \"residents\" SET \"Until\" = @p0 WHERE \"Id\" = @p1", 2);

                // 1. What happens to each row, from the people already registered (this needs the IdIndex index, so it comes
                //    before any index is deferred). Updates and closed residences are written here, by primary key.
                var inserts = new List<int>(rows.Count);
                // A large file first reads every ID blind index of the register from its index (one sequential scan), so that
                // only the rows of people already known need the detailed look-up below.
                var known = (largeLoad ?? rows.Count >= DeferIndexesFrom) ? await KnownIdIndexesAsync(connection, tx, ct) : null;
                for (var start = 0; start < rows.Count; start += 1000)
                {
                    var count = Math.Min(1000, rows.Count - start);
                    var indexes = idIndexes.AsSpan(start, count).ToArray().Where(x => known is null || known.Contains(x)).ToArray();
                    var existing = (indexes.Length == 0 ? [] : await db.Residents.AsNoTracking().Where(r => indexes.Contains(r.IdIndex) && r.Until == null)
                            .Select(r => new { r.IdIndex, Row = new Existing(r.Id, r.AddressId, r.Name, r.PhoneIndex, r.Kind) }).ToListAsync(ct))
                        .ToLookup(r => r.IdIndex, r => r.Row);
                    for (var i = start; i < start + count; i++)
                    {
                        var row = rows[i];
                        var phoneIndex = phoneIndexes[i];
                        var open = existing[idIndexes[i]].ToList();
                        var here = open.FirstOrDefault(e => e.AddressId == row.AddressId);
                        if (here is not null)
                        {
                            if (here.Name == row.Name && here.PhoneIndex == phoneIndex && here.Kind == row.Kind) { unchanged++; continue; }
                            await Execute(update, ct, row.Name, row.Phone is null ? null : protector.Encrypt(row.Phone), phoneIndex,
                                row.Phone is null ? null : Mask.Phone(row.Phone), (int)row.Kind, here.Id);
                            updated++;
                            continue;
                        }
                        // Living elsewhere: that residence ends where this one starts.
                        var end = (row.Since ?? DateOnly.FromDateTime(now)).AddDays(-1);
                        foreach (var elsewhere in open) await Execute(close, ct, end, elsewhere.Id);
                        inserts.Add(i);
                    }
                    if (start % 100_000 == 0) progress?.Report(rows.Count + start / 2);
                }

                // 2. The new rows. Encryption of the next batch runs on another core while this batch is inserted.
                var deferred = (largeLoad ?? (inserts.Count >= DeferIndexesFrom && inserts.Count * 4L >= tableSize))
                    ? BulkInsert.DeferIndexes(connection, tx, "residents") : [];
                {
                    object?[][] Prepare(int from, long firstId, int size)
                    {
                        var batch = new object?[Math.Min(size, inserts.Count - from)][];
                        Parallel.For(0, batch.Length, k =>
                        {
                            var i = inserts[from + k];
                            var row = rows[i];
                            batch[k] =
                            [
                                firstId + k, row.Name, protector.Encrypt(row.IdNumber), idIndexes[i], Mask.IdNumber(row.IdNumber),
                                row.Phone is null ? null : protector.Encrypt(row.Phone), phoneIndexes[i], row.Phone is null ? null : Mask.Phone(row.Phone),
                                (row.IdNumber[16] - '0') % 2 == 1, CitizenId.BirthDate(row.IdNumber), row.AddressId, row.RegionPath, (int)row.Kind,
                                false, false, false, row.Since,
                            ];
                        });
                        return batch;
                    }
                    var hooks = Hooks.Value;
                    var batchSize = hooks?.BatchSize ?? InsertBatch;
                    // The batch start is copied before the task is started: the task may run after the loop has moved on.
                    Task<object?[][]> PrepareLater(int start, long firstId) => Task.Run(async () =>
                    {
                        if (hooks?.BeforePrepare is { } wait) await wait();
                        return Prepare(start, firstId, batchSize);
                    }, ct);
                    var next = inserts.Count > 0 ? PrepareLater(0, id + 1) : null;
                    for (var from = 0; from < inserts.Count; from += batchSize)
                    {
                        var batch = await next!;
                        var nextFrom = from + batchSize;
                        next = nextFrom < inserts.Count ? PrepareLater(nextFrom, id + 1 + nextFrom) : null;
                        ct.ThrowIfCancellationRequested();
                        foreach (var values in batch) insert.Add(values);
                        hooks?.AfterBatch?.Invoke();
                        progress?.Report(rows.Count + rows.Count / 2 + (from + batch.Length) / 2);
                    }
                    id += inserts.Count;
                }
                BulkInsert.RestoreIndexes(connection, tx, deferred);
                inserted = inserts.Count;
                return [new AuditLine("population.import.residents", "residents", $"rows={rows.Count} inserted={inserted} updated={updated} unchanged={unchanged}")];
            }, ct);
            await BulkInsert.AdvanceIdentityAsync(connection, "residents", ct);
            return (inserted, updated, unchanged);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static async Task<HashSet<string>> KnownIdIndexesAsync(DbConnection connection, DbTransaction tx, CancellationToken ct)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT \"IdIndex\" FROM \"residents\"";
        var known = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) known.Add(reader.GetString(0));
        return known;
    }

    private static DbCommand Command(DbConnection connection, DbTransaction tx, string sql, int parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        for (var i = 0; i < parameters; i++)
        {
            var p = command.CreateParameter();
            p.ParameterName = $"@p{i}";
            command.Parameters.Add(p);
        }
        return command;
    }

    private static async Task Execute(DbCommand command, CancellationToken ct, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++) command.Parameters[i].Value = values[i] ?? DBNull.Value;
        await command.ExecuteNonQueryAsync(ct);
    }

    /// <summary>The error report the user downloads, fixes from and re-imports: row, column, value (masked), reason.</summary>
    public static byte[] ErrorReport(IEnumerable<ImportError> errors) =>
        TabularFile.WriteXlsx("错误报告", ["行号", "列", "值", "原因"], errors.Select(e => (IReadOnlyList<object?>)[e.Row, e.Column, e.Value, e.Reason]));

    public static byte[] Template() =>
        TabularFile.WriteXlsx("居住人员", Headers.Select(h => h.Zh).ToList(),
            [["张三", "11010519491231002X", "13812345678", "（扫描门牌得到的门牌码）", "户籍", "2024-03-01"]]);
}
