using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Messaging;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Notices;

public sealed record NoticeRequest(int? RegionId, string? Text);

public sealed record NoticeResult(int Queued, int Residents);

/// <summary>
/// A notice to the residents of a grid, village or town (停水, 台风, 疫苗接种): one SMS per current resident's mobile number
/// in the area, through the platform's outbox as a non-essential message, so residents who replied T (退订) do not get it.
/// All messages commit with one audit line (who, where, how many), or none does.
/// </summary>
internal static class Notices
{
    public const int MaxText = 200;

    public static RouteGroupBuilder MapNoticeApi(this RouteGroupBuilder api)
    {
        api.MapPost("/notices", Send).WithTags("Population").WithName("SendNotice")
            .WithSummary("向辖区居民发送短信通知（已退订者不发） / Send an SMS notice to the residents of an area (not to those who opted out)")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.SendNotices)));
        return api;
    }

    public static async Task<(NoticeResult? Result, FieldErrors Errors)> SendAsync(PopulationDbContext db, Outbox outbox, PersonalDataProtector protector,
        RegionScope area, string? text, Actor actor, DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var body = text?.Trim() ?? "";
        if (body.Length == 0) errors.Add("text", "通知内容必填", "text is required");
        else if (body.Length > MaxText) errors.Add("text", $"通知内容不超过 {MaxText} 字", $"text is at most {MaxText} characters");
        else if (body.Contains('{') || body.Contains('}')) errors.Add("text", "通知内容不能包含花括号", "text may not contain braces");
        if (errors.Any) return (null, errors);
        var today = DateOnly.FromDateTime(Kernel.Time.ChinaTime.FromUtc(now));
        var residents = await db.Residents.AsNoTracking().InScope(area)
            .Where(r => r.Phone != null && r.PhoneIndex != null && (r.Until == null || r.Until >= today))
            .Select(r => new { r.PhoneIndex, r.Phone, r.RegionPath }).ToListAsync(ct);
        var batch = Guid.NewGuid().ToString("N")[..12];
        var queued = 0;
        // One message per number: a family sharing a phone gets the notice once.
        foreach (var r in residents.GroupBy(r => r.PhoneIndex).Select(g => g.First()))
        {
            outbox.EnqueueSms(db, MessagingServices.NoticeKind, protector.Decrypt(r.Phone!), new Dictionary<string, string> { ["text"] = body }, r.RegionPath,
                $"population.notice:{batch}:{r.PhoneIndex}");
            queued++;
        }
        await db.SaveAuditedAsync(actor, now, "population.notice.send", $"region:{area.RegionId}", $"{queued} messages, batch {batch}", ct);
        outbox.Notify();
        return (new NoticeResult(queued, residents.Count), errors);
    }

    private static async Task<Results<Ok<NoticeResult>, ValidationProblem, ProblemHttpResult>> Send(NoticeRequest body, HttpContext http, PopulationDbContext db,
        RegionDirectory regions, Outbox outbox, PersonalDataProtector protector, TimeProvider time, CancellationToken ct)
    {
        var area = await Visits.Visits.AreaAsync(regions, body.RegionId, http.User.RequiredScope(), ct);
        if (area is null) return Problems.RegionNotFound();
        var (result, errors) = await SendAsync(db, outbox, protector, area, body.Text, Actor.From(http), time.GetUtcNow().UtcDateTime, ct);
        return result is null ? errors.ToProblem() : TypedResults.Ok(result);
    }
}
