using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Kernel.Audit;

/// <summary>
/// What an audited write records about itself; who and when come with the write. <paramref name="Actor"/> replaces the
/// write's actor when the actor is the row just written (a landlord who registers at sign-in).
/// </summary>
public sealed record AuditLine(string Action, string Target, string? Details = null, Actor? Actor = null);

/// <summary>
/// The platform's one audited write: a write and its audit line commit together or not at all. Every module's context maps
/// the audit table (<see cref="AuditModel.MapAuditEntries"/>), so the line always goes through the context of the write.
/// </summary>
public static class AuditedWrite
{
    /// <summary>Adds the audit line to the pending changes and saves both in one SaveChanges (one transaction).</summary>
    public static Task<int> SaveAuditedAsync(this DbContext db, Actor actor, DateTime at, string action, string target, string? details,
        CancellationToken ct)
    {
        db.Audit(actor, at, action, target, details);
        return db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// For a write that saves more than once (it needs a generated id for its audit line) or runs raw SQL: runs
    /// <paramref name="write"/> in one transaction, saves the audit lines it returns last and commits. A write that returns
    /// no line (it found nothing to change, or lost a race) is rolled back and false comes back. Inside a transaction that
    /// is already open (the caller's), the lines are saved in it and its owner commits or rolls back. Under a retrying
    /// execution strategy the whole write runs again after a transient failure, so it reads what it changes inside.
    /// On failure or false the context may still track rows that were rolled back: callers that go on using it clear it.
    /// </summary>
    public static async Task<bool> SaveAuditedAsync(this DbContext db, Actor actor, DateTime at,
        Func<CancellationToken, Task<IReadOnlyList<AuditLine>>> write, CancellationToken ct)
    {
        if (db.Database.CurrentTransaction is not null || System.Transactions.Transaction.Current is not null)
        {
            return await WriteAsync(db, actor, at, write, ct);
        }
        return await db.Database.CreateExecutionStrategy().ExecuteAsync(async token =>
        {
            await using var tx = await db.Database.BeginTransactionAsync(token);
            if (!await WriteAsync(db, actor, at, write, token))
            {
                await tx.RollbackAsync(token);
                return false;
            }
            await tx.CommitAsync(token);
            return true;
        }, ct);
    }

    private static async Task<bool> WriteAsync(DbContext db, Actor actor, DateTime at, Func<CancellationToken, Task<IReadOnlyList<AuditLine>>> write,
        CancellationToken ct)
    {
        var lines = await write(ct);
        if (lines.Count == 0) return false;
        foreach (var line in lines) db.Audit(line.Actor ?? actor, at, line.Action, line.Target, line.Details);
        await db.SaveChangesAsync(ct);
        return true;
    }
}
