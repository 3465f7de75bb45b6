using System.Data.Common;

namespace CivicGrid.Kernel.Data;

/// <summary>
/// A prepared INSERT reused for every row inside one transaction: the fastest portable way to load millions of rows
/// into SQLite, and fast enough for PostgreSQL seeding. Column names are quoted, so EF's PascalCase names work on both.
/// </summary>
public sealed class BulkInsert : IDisposable
{
    private readonly DbCommand command;
    private readonly DbParameter[] parameters;
    private readonly DbConnection connection;
    private readonly DbTransaction transaction;
    private readonly object? sqliteCacheSize;
    private bool disposed;

    public BulkInsert(DbConnection connection, DbTransaction transaction, string table, params string[] columns)
    {
        this.connection = connection;
        this.transaction = transaction;
        if (connection is Microsoft.Data.Sqlite.SqliteConnection)
        {
            // SQLite's default 2 MB page cache makes one large transaction spill index pages again and again (measured:
            // district seed 88 s → 54 s with 256 MB). Raised for the load, restored on Dispose because pooled connections keep it.
            sqliteCacheSize = Pragma("PRAGMA cache_size");
            Pragma("PRAGMA cache_size = -262144");
        }
        command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"INSERT INTO \"{table}\" ({string.Join(", ", columns.Select(c => $"\"{c}\""))}) " +
            $"VALUES ({string.Join(", ", columns.Select((_, i) => $"@p{i}"))})";
        parameters = new DbParameter[columns.Length];
        for (var i = 0; i < columns.Length; i++)
        {
            parameters[i] = command.CreateParameter();
            parameters[i].ParameterName = $"@p{i}";
            command.Parameters.Add(parameters[i]);
        }
    }

    public int Rows { get; private set; }

    /// <summary>Inserts one row synchronously (Microsoft.Data.Sqlite's async calls run synchronously anyway, at extra cost per row).</summary>
    public void Add(params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            parameters[i].Value = values[i] ?? DBNull.Value;
        }
        if (Rows == 0) command.Prepare();
        command.ExecuteNonQuery();
        Rows++;
    }

    public async Task AddAsync(CancellationToken ct, params object?[] values)
    {
        for (var i = 0; i < values.Length; i++)
        {
            parameters[i].Value = values[i] ?? DBNull.Value;
        }
        if (Rows == 0) await command.PrepareAsync(ct);
        await command.ExecuteNonQueryAsync(ct);
        Rows++;
    }

    /// <summary>Call before closing the connection (a later call does nothing), so the pooled connection gets its cache size back.</summary>
    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        command.Dispose();
        if (sqliteCacheSize is not null && connection.State == System.Data.ConnectionState.Open)
        {
            Pragma(FormattableString.Invariant($"PRAGMA cache_size = {sqliteCacheSize}"));
        }
    }

    private object? Pragma(string sql)
    {
        using var pragma = connection.CreateCommand();
        // Disposal may come after the commit: a finished transaction no longer has a connection.
        if (transaction.Connection is not null) pragma.Transaction = transaction;
        pragma.CommandText = sql;
        return pragma.ExecuteScalar();
    }

    /// <summary>
    /// For a load that is large compared with the table, on SQLite: drops the table's secondary indexes inside the
    /// caller's transaction and returns their definitions; <see cref="RestoreIndexes"/> builds them again (one sort per
    /// index instead of a random B-tree insert per row and index). Readers keep seeing the indexed table until the
    /// commit (WAL), and a rollback brings the indexes back with the rows. On PostgreSQL it does nothing and returns an
    /// empty list: there DROP INDEX would lock readers out for the whole load.
    /// </summary>
    public static IReadOnlyList<string> DeferIndexes(DbConnection connection, DbTransaction transaction, string table)
    {
        if (connection is not Microsoft.Data.Sqlite.SqliteConnection) return [];
        var definitions = new List<(string Name, string Sql)>();
        using (var list = connection.CreateCommand())
        {
            list.Transaction = transaction;
            list.CommandText = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = @t AND sql IS NOT NULL";
            var p = list.CreateParameter();
            p.ParameterName = "@t";
            p.Value = table;
            list.Parameters.Add(p);
            using var reader = list.ExecuteReader();
            while (reader.Read()) definitions.Add((reader.GetString(0), reader.GetString(1)));
        }
        foreach (var (name, _) in definitions) Execute(connection, transaction, $"DROP INDEX \"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"");
        return definitions.Select(d => d.Sql).ToList();
    }

    /// <summary>Creates the indexes <see cref="DeferIndexes"/> dropped, in the same transaction.</summary>
    public static void RestoreIndexes(DbConnection connection, DbTransaction transaction, IReadOnlyList<string> definitions)
    {
        foreach (var sql in definitions) Execute(connection, transaction, sql);
    }

    private static void Execute(DbConnection connection, DbTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// After rows were inserted with explicit ids, PostgreSQL's identity sequence still starts at 1: move it past the
    /// largest id so that later inserts get fresh ids. SQLite needs nothing (it takes max(rowid) + 1).
    /// </summary>
    public static async Task AdvanceIdentityAsync(DbConnection connection, string table, CancellationToken ct)
    {
        if (!connection.GetType().Name.StartsWith("Npgsql", StringComparison.Ordinal)) return;
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'Id'), GREATEST((SELECT MAX(\"Id\") FROM \"{table}\"), 1))";
        await command.ExecuteScalarAsync(ct);
    }
}
