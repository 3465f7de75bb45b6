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

    public BulkInsert(DbConnection connection, DbTransaction transaction, string table, params string[] columns)
    {
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

    public void Dispose() => command.Dispose();

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
