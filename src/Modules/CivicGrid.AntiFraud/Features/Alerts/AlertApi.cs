using System.Globalization;
using System.Text.Json;
using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Engine;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.AntiFraud.Features.Alerts;

internal sealed record AlertSummary(long Id, string RuleId, string Category, string Response, double Score, DateTime EventTime, DateTime RaisedAt,
    string StationName, int StationRegionId, string Subject, long? ResidentId, long? AddressId, bool Open, string? Outcome, long AmountProtected,
    DateTime? FirstContactAt)
{
    public static readonly System.Linq.Expressions.Expression<Func<FraudAlert, AlertSummary>> Projection = a => new AlertSummary(
        a.Id, a.RuleId, a.Category, a.Response, a.Score, a.EventTime, a.RaisedAt, a.StationName, a.StationRegionId,
        a.Subject, a.ResidentId, a.AddressId, a.Open, a.Outcome, a.AmountProtected, a.FirstContactAt);

    public static readonly Func<FraudAlert, AlertSummary> From = Projection.Compile();

    /// <summary>The blind-index key shortened for screens: enough to tell two residents apart, nothing to look anyone up with.</summary>
    public string SubjectShort => Subject.Length <= 8 ? Subject : "…" + Subject[^6..];
}

internal sealed record DissuasionDto(long Id, string Method, string Outcome, long AmountProtected, string? Note, DateTime At, string OfficerName);

/// <summary>One alert with its evidence, its dissuasions and, when the register knows the person, their masked card.</summary>
internal sealed record AlertDetail(AlertSummary Alert, string? Description, IReadOnlyList<EvidenceItem> Evidence, IReadOnlyList<DissuasionDto> Dissuasions,
    ResidentCardView? Resident = null);

internal sealed record AlertUnmaskRequest(string? Reason, string? Purpose = null);

/// <summary>The resident behind an alert, in plain text: shown once to the officer who asked, with the reason audited.</summary>
internal sealed record AlertUnmaskResult(long ResidentId, string Name, string IdNumber, string? Phone);

internal sealed record AlertPage(IReadOnlyList<AlertSummary> Items, int Page, int Size, int Total);

internal sealed record DissuasionRequest(string? Method, string? Outcome, long? AmountProtected, string? Note);

/// <summary>The dissuasion vocabulary: how the officer reached the resident and what came of it.</summary>
internal static class DissuasionTerms
{
    public static readonly string[] Methods = ["visit", "call_96110", "sms_12381"];
    public static readonly string[] Outcomes = ["dissuaded", "unreachable", "already_lost", "false_alarm"];

    public static string MethodTitle(string method) => method switch
    {
        "visit" => Bilingual.Pick("上门劝阻", "Home visit"),
        "call_96110" => Bilingual.Pick("96110 电话劝阻", "Call from 96110"),
        "sms_12381" => Bilingual.Pick("12381 预警短信", "SMS from 12381"),
        _ => method,
    };

    public static string OutcomeTitle(string? outcome) => outcome switch
    {
        null => Bilingual.Pick("待处置", "Open"),
        "dissuaded" => Bilingual.Pick("劝阻成功", "Dissuaded"),
        "unreachable" => Bilingual.Pick("未联系上", "Unreachable"),
        "already_lost" => Bilingual.Pick("已被骗", "Already lost"),
        "false_alarm" => Bilingual.Pick("误报", "False alarm"),
        _ => outcome,
    };

    /// <summary>Times on screens are Beijing time (UTC+8, no daylight saving); storage is UTC.</summary>
    public static DateTime Beijing(DateTime utc) => ChinaTime.FromUtc(utc);

    public static DateTime Beijing(DateTimeOffset time) => ChinaTime.FromUtc(time);

    public static string ResponseTitle(string response) => response switch
    {
        "visit" => Bilingual.Pick("上门", "Visit"),
        "call_96110" => Bilingual.Pick("96110 来电", "96110 call"),
        "sms_12381" => Bilingual.Pick("12381 短信", "12381 SMS"),
        _ => response,
    };
}

/// <summary>Alerts of the caller's area: the board's list, one alert with its evidence, and the officer's dissuasion record.</summary>
internal static class AlertApi
{
    public const int MaxPageSize = 200;

    public static RouteGroupBuilder MapAlertApi(this RouteGroupBuilder group)
    {
        var alerts = group.MapGroup("").RequireAuthorization(p => p.RequireRole(AntiFraudModule.AlertRoles));
        alerts.MapGet("/regions/{id:int}/alerts", List).WithName("ListAlerts").WithSummary("区域内的反诈预警 / Anti-fraud alerts of a region");
        alerts.MapGet("/alerts/{alertId:long}", Get).WithName("GetAlert").WithSummary("预警详情与证据 / An alert with its evidence");
        alerts.MapPost("/alerts/{alertId:long}/dissuasions", Dissuade).WithName("RecordDissuasion").WithSummary("登记劝阻结果 / Record a dissuasion");
        alerts.MapPost("/alerts/{alertId:long}/unmask", Unmask).WithName("UnmaskAlert").WithSummary("查看预警对象完整身份信息（须填理由，留审计） / Show the alerted person in full (reason required, audited)")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.Unmask)));
        return group;
    }

    /// <summary>Alerts of a region's subtree (a station is a town), highest risk first; ?open=true for the ones still to act on.</summary>
    public static async Task<Results<Ok<AlertPage>, ProblemHttpResult, ValidationProblem>> List(int id, bool? open, int? page, int? size,
        HttpContext http, AntiFraudDbContext db, RegionDirectory regions, CancellationToken ct)
    {
        var (p, s) = (page ?? 1, size ?? 50);
        if (Problems.Paging(p, s, MaxPageSize) is { } bad) return bad;
        var region = await regions.FindInScopeAsync(id, Acting.From(http).RequiredScope, ct);
        if (region is null) return Problems.RegionNotFound();
        var query = Query(db, region.Scope, open ?? false);
        var total = await query.CountAsync(ct);
        var items = await query.Skip((p - 1) * s).Take(s).Select(AlertSummary.Projection).ToListAsync(ct);
        return TypedResults.Ok(new AlertPage(items, p, s, total));
    }

    /// <summary>The board's order: open first, then highest risk, then newest.</summary>
    public static IQueryable<FraudAlert> Query(AntiFraudDbContext db, RegionScope scope, bool openOnly)
    {
        var query = db.Alerts.AsNoTracking().InScope(scope);
        if (openOnly) query = query.Where(a => a.Open);
        return query.OrderByDescending(a => a.Open).ThenByDescending(a => a.Score).ThenByDescending(a => a.RaisedAt).ThenByDescending(a => a.Id);
    }

    public static async Task<Results<Ok<AlertDetail>, ProblemHttpResult>> Get(long alertId, HttpContext http, AntiFraudDbContext db, ResidentCard cards,
        CancellationToken ct)
    {
        var detail = await DetailAsync(db, alertId, Acting.From(http).RequiredScope, ct, cards);
        return detail is null ? Problems.NotFound("预警不存在或不在您的辖区内", "Alert not found or outside your area") : TypedResults.Ok(detail);
    }

    /// <summary>The alert if the scope holds it; with the masked resident card when <paramref name="cards"/> is given.</summary>
    public static async Task<AlertDetail?> DetailAsync(AntiFraudDbContext db, long alertId, RegionScope scope, CancellationToken ct, ResidentCard? cards = null)
    {
        var alert = await db.Alerts.AsNoTracking().FirstOrDefaultAsync(a => a.Id == alertId, ct);
        if (alert is null || !scope.Contains(alert.RegionPath)) return null;
        var dissuasions = await db.Dissuasions.AsNoTracking().Where(d => d.AlertId == alertId).OrderBy(d => d.At).ThenBy(d => d.Id)
            .Select(d => new DissuasionDto(d.Id, d.Method, d.Outcome, d.AmountProtected, d.Note, d.At, d.OfficerName)).ToListAsync(ct);
        var evidence = JsonSerializer.Deserialize<List<EvidenceItem>>(alert.Evidence, AlertWriter.EvidenceJson) ?? [];
        var resident = cards is null ? null : await cards.FindAsync(alert.Subject, ct);
        return new AlertDetail(AlertSummary.From(alert), alert.Description, evidence.OrderBy(e => e.Time).ToList(), dissuasions, resident);
    }

    /// <summary>
    /// Reveals the resident behind an alert of the caller's area, for a reason (audited by the register). 404 for an alert
    /// outside the area, or when the register does not know the person.
    /// </summary>
    public static async Task<Results<Ok<AlertUnmaskResult>, ProblemHttpResult, ValidationProblem>> Unmask(long alertId, AlertUnmaskRequest body,
        HttpContext http, AntiFraudDbContext db, ResidentCard cards, TimeProvider time, CancellationToken ct)
    {
        var outcome = await UnmaskAsync(db, cards, alertId, body.Purpose, body.Reason, http.User, Acting.From(http), time.GetUtcNow().UtcDateTime, ct);
        return outcome.Status switch
        {
            ResidentUnmaskStatus.Revealed => TypedResults.Ok(new AlertUnmaskResult(outcome.Card!.ResidentId, outcome.Name!, outcome.IdNumber!, outcome.Phone)),
            ResidentUnmaskStatus.Forbidden => Problems.Forbidden("您没有查看完整身份信息的权限", "You may not unmask personal data"),
            ResidentUnmaskStatus.ReasonRequired => outcome.Errors!.ToProblem(),
            _ => Problems.NotFound("预警不存在、不在您的辖区内，或对象不是登记居民", "Alert not found, outside your area, or not about a registered resident"),
        };
    }

    /// <summary>Shared by the API and the board: the alert must be in the caller's area; the register checks the rest and audits.</summary>
    public static async Task<ResidentUnmask> UnmaskAsync(AntiFraudDbContext db, ResidentCard cards, long alertId, string? purpose, string? reason,
        System.Security.Claims.ClaimsPrincipal user, Acting acting, DateTime now, CancellationToken ct)
    {
        var (scope, actor) = (acting.RequiredScope, acting.Actor);
        var alert = await db.Alerts.AsNoTracking().Where(a => a.Id == alertId).Select(a => new { a.Subject, a.RegionPath }).FirstOrDefaultAsync(ct);
        if (alert is null || !scope.Contains(alert.RegionPath)) return new ResidentUnmask(ResidentUnmaskStatus.NotFound);
        return await cards.UnmaskAsync(alert.Subject, user, scope, actor, purpose, reason, $"antifraud alert:{alertId}", now, ct);
    }

    public static async Task<Results<Ok<DissuasionDto>, ProblemHttpResult, ValidationProblem>> Dissuade(long alertId, DissuasionRequest body,
        HttpContext http, AntiFraudDbContext db, AlertNotifier notifier, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var (result, errors) = await RecordAsync(db, alertId, body, acting.RequiredScope, acting.Actor, time.GetUtcNow().UtcDateTime, ct);
        if (errors is not null) return errors.ToProblem();
        if (result is null) return Problems.NotFound("预警不存在或不在您的辖区内", "Alert not found or outside your area");
        notifier.Notify([result.Value.RegionPath]);
        return TypedResults.Ok(result.Value.Dissuasion);
    }

    /// <summary>
    /// Validates and records a dissuasion with its audit line in one save; the first one sets the alert's first contact.
    /// Any outcome but "unreachable" closes the alert. Shared by the API and the board.
    /// </summary>
    public static async Task<((DissuasionDto Dissuasion, string RegionPath)? Result, FieldErrors? Errors)> RecordAsync(AntiFraudDbContext db, long alertId,
        DissuasionRequest body, RegionScope scope, Actor actor, DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var method = body.Method?.Trim();
        var outcome = body.Outcome?.Trim();
        if (method is null || !DissuasionTerms.Methods.Contains(method))
            errors.Add("method", $"劝阻方式须为 {string.Join(", ", DissuasionTerms.Methods)} 之一", $"method must be one of {string.Join(", ", DissuasionTerms.Methods)}");
        if (outcome is null || !DissuasionTerms.Outcomes.Contains(outcome))
            errors.Add("outcome", $"处置结果须为 {string.Join(", ", DissuasionTerms.Outcomes)} 之一", $"outcome must be one of {string.Join(", ", DissuasionTerms.Outcomes)}");
        var amount = body.AmountProtected ?? 0;
        if (amount is < 0 or > 100_000_000)
            errors.Add("amountProtected", "止损金额须在 0 到 1 亿元之间", "amountProtected must be between 0 and 100,000,000 yuan");
        if (amount > 0 && outcome is "false_alarm" or "unreachable")
            errors.Add("amountProtected", "误报或未联系上时止损金额应为 0", "amountProtected must be 0 for a false alarm or an unreachable resident");
        var note = body.Note?.Trim();
        if (note is { Length: > 500 }) errors.Add("note", "备注最多 500 字", "note is at most 500 characters");
        if (errors.Any) return (null, errors);

        var alert = await db.Alerts.FirstOrDefaultAsync(a => a.Id == alertId, ct);
        if (alert is null || !scope.Contains(alert.RegionPath)) return (null, null);
        var row = new Dissuasion
        {
            AlertId = alert.Id, Method = method!, Outcome = outcome!, AmountProtected = amount, Note = string.IsNullOrEmpty(note) ? null : note,
            At = now, OfficerId = actor.UserId, OfficerName = actor.UserName, RegionPath = alert.RegionPath,
        };
        db.Dissuasions.Add(row);
        // An unanswered call is not a contact: the clock to first contact runs until someone is reached.
        if (outcome != "unreachable") alert.FirstContactAt ??= now;
        alert.Outcome = outcome;
        alert.AmountProtected += amount;
        alert.Open = outcome == "unreachable";
        // The note is the officer's free text and may name people: the audit line keeps the facts only.
        await db.SaveAuditedAsync(actor, now, "antifraud.dissuasion.record", $"alert:{alert.Id}",
            string.Create(CultureInfo.InvariantCulture, $"{method} {outcome} {amount} yuan"), ct);
        return ((new DissuasionDto(row.Id, row.Method, row.Outcome, row.AmountProtected, row.Note, row.At, row.OfficerName), alert.RegionPath), null);
    }
}
