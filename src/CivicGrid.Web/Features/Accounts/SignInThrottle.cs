using CivicGrid.Kernel.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Web.Features.Accounts;

/// <summary>
/// Slows password guessing without letting anyone lock a known account at will (等保 2.0 8.1.4.1 b): failures count per
/// account and client address, so guesses from one address never block the owner signing in from another. From the
/// 5th failure within 30 minutes that address waits before the next try: 1 minute, then doubling up to 30. An address
/// with 30 failures over any accounts in 10 minutes (password spraying) waits 10 minutes. An admin's unlock or password
/// reset clears the account's count. Counted from the audit lines in the database, so it holds across nodes.
/// </summary>
public static class SignInThrottle
{
    public const int FreeFailures = 5;
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(30);
    public static readonly TimeSpan MaxDelay = TimeSpan.FromMinutes(30);
    public const int SprayFailures = 30;
    public static readonly TimeSpan SprayWindow = TimeSpan.FromMinutes(10);

    public const string Failed = "account.login_failed";

    /// <summary>The delay after <paramref name="failures"/> failures (zero below the free ones).</summary>
    public static TimeSpan Delay(int failures) =>
        failures < FreeFailures ? TimeSpan.Zero : TimeSpan.FromMinutes(Math.Min(MaxDelay.TotalMinutes, Math.Pow(2, failures - FreeFailures)));

    /// <summary>When this address may try this account again (null: now).</summary>
    public static async Task<DateTime?> BlockedUntilAsync(KernelDbContext db, string? userId, string? source, DateTime now)
    {
        var from = now - Window;
        var address = source ?? "";
        if (userId is not null)
        {
            var target = $"user:{userId}";
            var cleared = await db.AuditEntries.AsNoTracking()
                .Where(a => a.Target == target && (a.Action == "account.unlock" || a.Action == "account.password_reset" || a.Action == "account.login") && a.At >= from
                    && (a.Action != "account.login" || a.ClientAddress == address))
                .MaxAsync(a => (DateTime?)a.At);
            var since = cleared is { } c && c > from ? c : from;
            var failures = await db.AuditEntries.AsNoTracking()
                .Where(a => a.Action == Failed && a.Target == target && (a.ClientAddress ?? "") == address && a.At > since)
                .Select(a => a.At).ToListAsync();
            if (failures.Count >= FreeFailures)
            {
                var until = failures.Max() + Delay(failures.Count);
                if (until > now) return until;
            }
        }
        var sprayFrom = now - SprayWindow;
        var spray = await db.AuditEntries.AsNoTracking()
            .Where(a => a.Action == Failed && (a.ClientAddress ?? "") == address && a.At >= sprayFrom).Select(a => a.At).ToListAsync();
        if (spray.Count >= SprayFailures)
        {
            var until = spray.Max() + SprayWindow;
            if (until > now) return until;
        }
        return null;
    }

    /// <summary>Whether any address is waiting on this account now (the unlock's audit says so).</summary>
    public static async Task<bool> AnyBlockedAsync(KernelDbContext db, string userId, DateTime now)
    {
        var target = $"user:{userId}";
        var sources = await db.AuditEntries.AsNoTracking().Where(a => a.Action == Failed && a.Target == target && a.At >= now - Window)
            .Select(a => a.ClientAddress).Distinct().ToListAsync();
        foreach (var s in sources)
        {
            if (await BlockedUntilAsync(db, userId, s, now) is not null) return true;
        }
        return false;
    }
}
