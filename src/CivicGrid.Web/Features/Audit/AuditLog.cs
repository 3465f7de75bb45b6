using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Web.Features.Audit;

public sealed class AuditOptions
{
    /// <summary>Days an audit line is kept; the law asks for at least 180 (default).</summary>
    public int RetentionDays { get; set; } = 180;
}

/// <summary>The audit log for district admins: search and CSV export, and the retention job.</summary>
public static class AuditLog
{
    public static IServiceCollection AddAuditLog(this IServiceCollection services, IConfiguration config)
    {
        services.Configure<AuditOptions>(config.GetSection("CivicGrid:Audit"));
        // Daily at 03:30 China time, once per cluster.
        services.AddPlatformJob<AuditRetention>("audit_retention", "审计日志到期清理", "Audit retention", JobSchedule.AtCron("0 30 3 * * ?"));
        services.AddSingleton(new NavEntry(95, "审计日志", "Audit log", "audit", "policy", Roles.DistrictAdmin));
        return services;
    }

    public static WebApplication MapAuditLog(this WebApplication app, RouteGroupBuilder api)
    {
        var audit = api.MapGroup("/audit").WithTags("Audit")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.ReadAudit)));
        audit.MapGet("/", Search).WithName("SearchAudit").WithSummary("查询审计日志 / Search the audit log");
        audit.MapGet("/export", Export).WithName("ExportAudit").WithSummary("导出审计日志（CSV） / Export the audit log as CSV");
        audit.MapGet("/unmask-counts", UnmaskCounts.Get).WithName("GetUnmaskCounts")
            .WithSummary("各账号查看完整个人信息次数及异常提示 / Unmask counts per account, flagged when far above their peers");
        return app;
    }

    public sealed record AuditQuery(DateTime? From, DateTime? To, string? User, string? Action, long? Before, int? Size);

    /// <summary>Newest first, keyset-paged by id (?before=lastId); the caller sees actions taken inside their own subtree.</summary>
    public static async Task<List<AuditEntry>> QueryAsync(KernelDbContext db, Kernel.Regions.RegionScope scope, AuditQuery q, int size, CancellationToken ct)
    {
        var query = db.AuditEntries.AsNoTracking().AsQueryable();
        var (lower, upper) = (scope.Path, scope.PathUpperBound);
        // System actions (path "/") belong to the whole district: only a district-wide scope sees them.
        query = query.Where(a => (string.Compare(a.RegionPath, lower) >= 0 && string.Compare(a.RegionPath, upper) < 0)
            || (scope.Level == Kernel.Regions.RegionLevel.District && (a.RegionPath == "/" || a.RegionPath == "")));
        if (q.From is { } from) query = query.Where(a => a.At >= from.ToUniversalTime());
        if (q.To is { } to) query = query.Where(a => a.At < to.ToUniversalTime());
        if (!string.IsNullOrWhiteSpace(q.User)) query = query.Where(a => a.UserName == q.User);
        if (!string.IsNullOrWhiteSpace(q.Action)) query = query.Where(a => a.Action.StartsWith(q.Action));
        if (q.Before is { } before) query = query.Where(a => a.Id < before);
        return await query.OrderByDescending(a => a.Id).Take(size).ToListAsync(ct);
    }

    private static async Task<Results<Ok<List<AuditEntry>>, ValidationProblem>> Search(DateTime? from, DateTime? to, string? user, string? action,
        long? before, int? size, HttpContext http, KernelDbContext db, CancellationToken ct)
    {
        var s = size ?? 100;
        if (s is < 1 or > 1000) return Problems.Field("size", "每页条数须在 1 到 1000 之间", "size must be between 1 and 1000");
        return TypedResults.Ok(await QueryAsync(db, Acting.From(http).RequiredScope, new AuditQuery(from, to, user, action, before, s), s, ct));
    }

    /// <summary>CSV (UTF-8 with BOM so Excel opens Chinese correctly), up to 100,000 lines per export; the export itself is audited.</summary>
    private static async Task<IResult> Export(DateTime? from, DateTime? to, string? user, string? action, HttpContext http, KernelDbContext db,
        TimeProvider time, CancellationToken ct)
    {
        var rows = await QueryAsync(db, Acting.From(http).RequiredScope, new AuditQuery(from, to, user, action, null, null), 100_000, ct);
        var csv = TabularFile.WriteCsv(["id", "at_utc", "at_china", "user", "role", "region_path", "action", "target", "client", "details"],
            rows.Select(r => (IReadOnlyList<string?>)[r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), r.At.ToString("O"),
                ChinaTime.Second(r.At), r.UserName, r.Role, r.RegionPath, r.Action, r.Target, r.ClientAddress, r.Details]));
        await db.SaveAuditedAsync(Acting.From(http).Actor, time.GetUtcNow().UtcDateTime, "audit.export", "audit", $"{rows.Count} rows", ct);
        return Results.File(csv, "text/csv; charset=utf-8", "audit.csv");
    }
}

/// <summary>Deletes audit lines older than the retention period (a platform job; running it twice deletes nothing more).</summary>
public sealed class AuditRetention(IServiceScopeFactory scopes, TimeProvider time, Microsoft.Extensions.Options.IOptions<AuditOptions> options,
    ILogger<AuditRetention> logger) : IPlatformJob
{
    public async Task<int> PurgeAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KernelDbContext>();
        var cutoff = time.GetUtcNow().UtcDateTime.AddDays(-Math.Max(180, options.Value.RetentionDays));
        return await db.AuditEntries.Where(a => a.At < cutoff).ExecuteDeleteAsync(ct);
    }

    public async Task RunAsync(Kernel.Context.Acting job, CancellationToken ct)
    {
        var purged = await PurgeAsync(ct);
        if (purged > 0) logger.LogInformation("Audit retention purged {Count} entries", purged);
    }
}
