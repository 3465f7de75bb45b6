using CivicGrid.Kernel.Data;
using Microsoft.Data.Sqlite;

namespace CivicGrid.Kernel.Tests.Data;

public sealed class BulkInsertTests : IDisposable
{
    private readonly string file = Path.Combine(Path.GetTempPath(), $"bulk-{Guid.NewGuid():N}.db");
    private readonly SqliteConnection connection;

    public BulkInsertTests()
    {
        connection = new SqliteConnection($"Data Source={file};Pooling=False");
        connection.Open();
        Run("CREATE TABLE \"people\" (\"Id\" INTEGER PRIMARY KEY, \"Name\" TEXT NOT NULL, \"Key\" TEXT NOT NULL);" +
            "CREATE INDEX \"IX_people_Name\" ON \"people\" (\"Name\");" +
            "CREATE UNIQUE INDEX \"IX_people_Key\" ON \"people\" (\"Key\");");
    }

    public void Dispose()
    {
        connection.Dispose();
        File.Delete(file);
    }

    [Fact]
    public void Deferred_indexes_are_rebuilt_with_the_same_definitions_and_used()
    {
        var before = Indexes();
        using (var tx = connection.BeginTransaction())
        {
            var deferred = BulkInsert.DeferIndexes(connection, tx, "people");
            Assert.Equal(2, deferred.Count);
            Assert.Empty(Indexes(tx));
            using (var insert = new BulkInsert(connection, tx, "people", "Id", "Name", "Key"))
            {
                for (var i = 1; i <= 1000; i++) insert.Add(i, $"name{i % 97}", $"key{i}");
            }
            BulkInsert.RestoreIndexes(connection, tx, deferred);
            tx.Commit();
        }
        Assert.Equal(before, Indexes());
        Assert.Contains("IX_people_Key", Scalar("EXPLAIN QUERY PLAN SELECT \"Id\" FROM \"people\" WHERE \"Key\" = 'key5'", column: 3));
        // The unique index is enforced again.
        Assert.Throws<SqliteException>(() => Run("INSERT INTO \"people\" VALUES (5000, 'x', 'key7')"));
    }

    [Fact]
    public void A_rolled_back_load_keeps_the_indexes_and_no_rows()
    {
        var before = Indexes();
        using (var tx = connection.BeginTransaction())
        {
            BulkInsert.DeferIndexes(connection, tx, "people");
            using (var insert = new BulkInsert(connection, tx, "people", "Id", "Name", "Key"))
            {
                insert.Add(1, "a", "k1");
            }
            tx.Rollback();
        }
        Assert.Equal(before, Indexes());
        Assert.Equal("0", Scalar("SELECT COUNT(*) FROM \"people\""));
    }

    private List<string> Indexes(SqliteTransaction? tx = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = "SELECT name || ':' || sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'people' AND sql IS NOT NULL ORDER BY name";
        using var reader = command.ExecuteReader();
        var list = new List<string>();
        while (reader.Read()) list.Add(reader.GetString(0));
        return list;
    }

    private string Scalar(string sql, int column = 0)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        Assert.True(reader.Read());
        return Convert.ToString(reader.GetValue(column), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    private void Run(string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
