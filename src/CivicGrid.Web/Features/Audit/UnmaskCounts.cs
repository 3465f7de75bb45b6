using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Regions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Web.Features.Audit;

/// <summary>How often one account saw personal data in full, beside its peers (accounts of the same role).</summary>
/// <param name="Unmasks">Unmasks (one person's numbers shown) in the period.</param>
/// <param name="Exports">Unmasked exports in the period.</param>
/// <param name="PeerMedian">The median of the other accounts of the same role that unmasked at all (0 when there are none).</param>
/// <param name="Flagged">Far above its peers: at least <see cref="UnmaskCounts.FlagFrom"/> and more than <see cref="UnmaskCounts.FlagFactor"/> times the peer median.</param>
public sealed record UnmaskCount(string UserName, string Role, int Unmasks, int Exports, double PeerMedian, bool Flagged);

/// <summary>
/// For the district admin: unmask counts per account over a period, with an alert on the accounts that unmask far more
/// than their peers (an insider browsing the register shows here before anywhere else).
/// </summary>
public static class UnmaskCounts
{
    public const int FlagFrom = 10;
    public const double FlagFactor = 3;
    public const int MaxDays = 366;

    public static async Task<List<UnmaskCount>> ComputeAsync(KernelDbContext db, RegionScope scope, DateTime from, DateTime to, CancellationToken ct)
    {
        var (lower, upper) = (scope.Path, scope.PathUpperBound);
        var rows = await db.AuditEntries.AsNoTracking()
            .Where(a => a.At >= from && a.At < to && (a.Action == "personal_data.unmask" || a.Action == "personal_data.export")
                && string.Compare(a.RegionPath, lower) >= 0 && string.Compare(a.RegionPath, upper) < 0)
            .GroupBy(a => new { a.UserName, a.Role, a.Action })
            .Select(g => new { g.Key.UserName, g.Key.Role, g.Key.Action, Count = g.Count() })
            .ToListAsync(ct);
        var accounts = rows.GroupBy(r => (r.UserName, r.Role))
            .Select(g => (g.Key.UserName, g.Key.Role, Unmasks: g.Where(x => x.Action == "personal_data.unmask").Sum(x => x.Count),
                Exports: g.Where(x => x.Action == "personal_data.export").Sum(x => x.Count)))
            .ToList();
        return accounts.Select(a =>
            {
                var peers = accounts.Where(p => p.Role == a.Role && p.UserName != a.UserName).Select(p => (double)(p.Unmasks + p.Exports)).Order().ToList();
                var median = peers.Count == 0 ? 0 : peers.Count % 2 == 1 ? peers[peers.Count / 2] : (peers[peers.Count / 2 - 1] + peers[peers.Count / 2]) / 2;
                var total = a.Unmasks + a.Exports;
                return new UnmaskCount(a.UserName, a.Role, a.Unmasks, a.Exports, median, total >= FlagFrom && total > FlagFactor * Math.Max(1, median));
            })
            .OrderByDescending(c => c.Flagged).ThenByDescending(c => c.Unmasks + c.Exports).ThenBy(c => c.UserName, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>GET /api/v1/audit/unmask-counts?days=30: the last N days (1-366) up to now.</summary>
    public static async Task<Results<Ok<List<UnmaskCount>>, ValidationProblem>> Get(int? days, HttpContext http, KernelDbContext db, TimeProvider time,
        CancellationToken ct)
    {
        var d = days ?? 30;
        if (d is < 1 or > MaxDays) return Kernel.Web.Problems.Field("days", $"天数须在 1 到 {MaxDays} 之间", $"days must be between 1 and {MaxDays}");
        var now = time.GetUtcNow().UtcDateTime;
        return TypedResults.Ok(await ComputeAsync(db, Acting.From(http).RequiredScope, now.AddDays(-d), now.AddSeconds(1), ct));
    }
}
