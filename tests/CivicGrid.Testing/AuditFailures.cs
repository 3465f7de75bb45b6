using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Testing;

/// <summary>
/// Makes the database refuse audit lines of one action (a trigger on audit_entries, on SQLite and PostgreSQL alike), so a
/// test can see that the write the line belongs to rolls back with it. Other actions (sign-ins) are still recorded.
/// Also compiled into CivicGrid.Kernel.Tests, which does not reference the web host.
/// </summary>
public static class AuditFailures
{
    public const string Message = "audit line rejected by test";

    // A trigger's condition cannot be a parameter: the SQL is built from the test's action code (quotes doubled).
#pragma warning disable EF1003
    public static async Task RejectAsync(DbContext db, string action)
    {
        var quoted = "'" + action.Replace("'", "''", StringComparison.Ordinal) + "'";
        if (db.Database.IsNpgsql())
        {
            await db.Database.ExecuteSqlRawAsync(
                "CREATE OR REPLACE FUNCTION test_reject_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION '" + Message + "'; END $$;" +
                "DROP TRIGGER IF EXISTS test_reject_audit ON audit_entries;" +
                $"CREATE TRIGGER test_reject_audit BEFORE INSERT ON audit_entries FOR EACH ROW WHEN (NEW.\"Action\" = {quoted}) EXECUTE FUNCTION test_reject_audit();");
        }
        else
        {
            await db.Database.ExecuteSqlRawAsync(
                "DROP TRIGGER IF EXISTS test_reject_audit;" +
                $"CREATE TRIGGER test_reject_audit BEFORE INSERT ON audit_entries WHEN NEW.\"Action\" = {quoted} BEGIN SELECT RAISE(ABORT, '{Message}'); END;");
        }
    }
#pragma warning restore EF1003

    public static Task AllowAsync(DbContext db) => db.Database.IsNpgsql()
        ? db.Database.ExecuteSqlRawAsync("DROP TRIGGER IF EXISTS test_reject_audit ON audit_entries;")
        : db.Database.ExecuteSqlRawAsync("DROP TRIGGER IF EXISTS test_reject_audit;");
}
