using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Units;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace CivicGrid.Kernel.Tests.Data;

/// <summary>
/// The audited write on the Kernel's own context (units and the audit table), on a fresh SQLite file or, when
/// CIVICGRID_TEST_PG is set, a fresh PostgreSQL database: a refused audit line takes its write with it.
/// </summary>
public sealed class AuditedWriteTests : IAsyncLifetime
{
    private static readonly DateTime At = new(2026, 12, 7, 2, 0, 0, DateTimeKind.Utc);
    private static readonly Actor Tester = new("u1", "tester", "district_admin", "/1/", "127.0.0.1");

    private readonly string? server = Environment.GetEnvironmentVariable("CIVICGRID_TEST_PG");
    private readonly string file = Path.Combine(Path.GetTempPath(), $"audited-{Guid.NewGuid():N}.db");
    private readonly string database = "cg_audit_" + Guid.NewGuid().ToString("N")[..12];
    private string connectionString = "";

    public async Task InitializeAsync()
    {
        if (string.IsNullOrEmpty(server))
        {
            connectionString = $"Data Source={file};Pooling=False";
        }
        else
        {
            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {database}", connection);
            await create.ExecuteNonQueryAsync();
            connectionString = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
        }
        await using var db = NewContext();
        await db.Database.MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        if (string.IsNullOrEmpty(server))
        {
            File.Delete(file);
            return;
        }
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }

    private KernelDbContext NewContext()
    {
        if (string.IsNullOrEmpty(server))
        {
            var sqlite = new DbContextOptionsBuilder<KernelSqliteDbContext>();
            sqlite.UseCivicGridSqlite(connectionString, "kernel");
            return new KernelSqliteDbContext(sqlite.Options);
        }
        var postgres = new DbContextOptionsBuilder<KernelPostgresDbContext>();
        postgres.UseCivicGridPostgres(connectionString, "kernel");
        return new KernelPostgresDbContext(postgres.Options);
    }

    private static OrgUnit Unit(string name) => new() { Name = name, Kind = "department", RegionId = 1, RegionPath = "/1/", CreatedAt = At };

    private async Task<(int Units, int Lines)> CountAsync()
    {
        await using var db = NewContext();
        return (await db.Units.CountAsync(), await db.AuditEntries.CountAsync());
    }

    [Fact]
    public async Task SaveAuditedAsync_OneSave_WriteAndLineCommitTogether()
    {
        await using (var db = NewContext())
        {
            db.Units.Add(Unit("a"));
            await db.SaveAuditedAsync(Tester, At, "unit.create", "unit:a", null, default);
        }
        await using var check = NewContext();
        var line = await check.AuditEntries.SingleAsync();
        Assert.Equal(("unit.create", "unit:a", "tester", "127.0.0.1"), (line.Action, line.Target, line.UserName, line.ClientAddress));
        Assert.Equal(1, await check.Units.CountAsync());
    }

    [Fact]
    public async Task SaveAuditedAsync_OneSave_AuditRefused_WriteRolledBack()
    {
        await using (var db = NewContext())
        {
            await AuditFailures.RejectAsync(db, "unit.create");
            db.Units.Add(Unit("a"));
            await Assert.ThrowsAnyAsync<DbUpdateException>(() => db.SaveAuditedAsync(Tester, At, "unit.create", "unit:a", null, default));
        }
        Assert.Equal((0, 0), await CountAsync());
    }

    [Fact]
    public async Task SaveAuditedAsync_Transaction_AuditRefused_EarlierSavesRolledBack()
    {
        await using (var db = NewContext())
        {
            await AuditFailures.RejectAsync(db, "unit.create");
            await Assert.ThrowsAnyAsync<DbUpdateException>(() => db.SaveAuditedAsync(Tester, At, async ct =>
            {
                var unit = Unit("a");
                db.Units.Add(unit);
                await db.SaveChangesAsync(ct);
                // Raw SQL inside the write is in the same transaction too.
                await db.Database.ExecuteSqlRawAsync("UPDATE units SET \"Name\" = 'renamed'", ct);
                return [new AuditLine("unit.create", $"unit:{unit.Id}")];
            }, default));
        }
        Assert.Equal((0, 0), await CountAsync());
    }

    [Fact]
    public async Task SaveAuditedAsync_Transaction_LineNeedsTheGeneratedId_BothCommitted()
    {
        int id = 0;
        await using (var db = NewContext())
        {
            var done = await db.SaveAuditedAsync(Tester, At, async ct =>
            {
                var unit = Unit("a");
                db.Units.Add(unit);
                await db.SaveChangesAsync(ct);
                id = unit.Id;
                return [new AuditLine("unit.create", $"unit:{unit.Id}", "first"), new AuditLine("unit.note", $"unit:{unit.Id}")];
            }, default);
            Assert.True(done);
        }
        await using var check = NewContext();
        Assert.Equal([$"unit:{id}", $"unit:{id}"], await check.AuditEntries.OrderBy(a => a.Id).Select(a => a.Target).ToListAsync());
        Assert.Equal(1, await check.Units.CountAsync());
    }

    [Fact]
    public async Task SaveAuditedAsync_LineWithItsOwnActor_RecordsThatActor()
    {
        await using (var db = NewContext())
        {
            var newcomer = new Actor(null, "landlord:7", "landlord", "", "10.0.0.7");
            await db.SaveAuditedAsync(Tester, At, async ct =>
            {
                db.Units.Add(Unit("a"));
                await db.SaveChangesAsync(ct);
                return [new AuditLine("landlord.sign_in", "landlord:7", Actor: newcomer)];
            }, default);
        }
        await using var check = NewContext();
        var line = await check.AuditEntries.SingleAsync();
        Assert.Equal(("landlord:7", "landlord", "10.0.0.7"), (line.UserName, line.Role, line.ClientAddress));
    }

    [Fact]
    public async Task SaveAuditedAsync_Transaction_NoLine_WriteRolledBack()
    {
        await using (var db = NewContext())
        {
            var done = await db.SaveAuditedAsync(Tester, At, async ct =>
            {
                db.Units.Add(Unit("a"));
                await db.SaveChangesAsync(ct);
                return [];
            }, default);
            Assert.False(done);
        }
        Assert.Equal((0, 0), await CountAsync());
    }

    [Fact]
    public async Task SaveAuditedAsync_InsideCallersTransaction_CallerDecides()
    {
        await using (var db = NewContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync();
            db.Units.Add(Unit("a"));
            await db.SaveChangesAsync();
            Assert.True(await db.SaveAuditedAsync(Tester, At, _ => Task.FromResult<IReadOnlyList<AuditLine>>([new AuditLine("unit.create", "unit:a")]), default));
            // Still the caller's transaction: nothing is committed until its owner commits.
            Assert.Same(tx, db.Database.CurrentTransaction);
            await tx.RollbackAsync();
        }
        Assert.Equal((0, 0), await CountAsync());
    }
}
