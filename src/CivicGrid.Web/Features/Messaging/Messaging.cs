using System.Text.RegularExpressions;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Messaging;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CivicGrid.Web.Features.Messaging;

public sealed record MessageView(long Id, string Kind, string KindName, string Channel, string ChannelName, string Recipient, string Body,
    string State, string StateName, int Attempts, string? LastError, DateTime CreatedAt, DateTime? SentAt, DateTime NextAttemptAt, string? SentBy,
    bool Essential, bool HasSecret);

public sealed record MessagePage(IReadOnlyList<MessageView> Items, int Total, IReadOnlyDictionary<string, int> ByState);

public sealed record TemplateView(string Kind, string Module, string Name, string Text, string? SmsTemplateCode, bool Essential, bool Overridden,
    IReadOnlyList<string> Parameters, string BuiltInText);

public sealed record TemplateRequest(string? Text, string? SmsTemplateCode);

public sealed record InboxView(long Id, string Title, string Body, string? Link, DateTime CreatedAt, bool Read);

public sealed record SmsReceipt(string? OutId, bool? Success, string? ErrCode);

public sealed record SmsReply(string? Phone, string? Content);

/// <summary>
/// The outbox for the district admin (every message and its state, dead letters with resend), the message templates
/// (text and SMS template code per kind), each staff member's inbox, and the SMS gateway's callbacks (delivery receipts,
/// replies: "T" / "TD" / "退订" stops non-essential messages to that number).
/// </summary>
public static partial class MessagingFeature
{
    public static IServiceCollection AddMessagingPages(this IServiceCollection services)
    {
        services.AddSingleton(new NavEntry(97, "消息发送", "Messages", "messages", "mail", Roles.DistrictAdmin));
        services.AddSingleton(new NavEntry(98, "消息模板", "Message templates", "messages/templates", "mail", Roles.DistrictAdmin));
        return services;
    }

    public static WebApplication MapMessaging(this WebApplication app, RouteGroupBuilder api)
    {
        var messages = api.MapGroup("/messages").WithTags("Messaging")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.ManageMessages)));
        messages.MapGet("/", (string? state, string? channel, int? page, KernelDbContext db, Outbox outbox, CancellationToken ct) =>
                ListAsync(db, outbox, state, channel, page ?? 1, ct))
            .WithName("ListMessages").WithSummary("发件箱：每条消息及其状态 / The outbox: every message and its state");
        messages.MapPost("/{id:long}/resend", Resend).WithName("ResendMessage").WithSummary("重新发送失败的消息 / Resend a failed message");
        messages.MapPost("/{id:long}/reveal", Reveal).WithName("RevealDemoMessage")
            .WithSummary("演示区：查看“仅记录”短信原文（含验证码，留痕） / Demo district: read a record-only SMS with its code (audited)");
        var templates = api.MapGroup("/message-templates").WithTags("Messaging")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.ManageMessages)));
        templates.MapGet("/", (Outbox outbox) => TypedResults.Ok(Templates(outbox)))
            .WithName("ListMessageTemplates").WithSummary("消息模板（文本与短信模板编号） / Message templates (text and SMS template code)");
        templates.MapPut("/{kind}", SaveTemplate).WithName("SaveMessageTemplate").WithSummary("修改消息模板 / Change a message template");
        var inbox = api.MapGroup("/inbox").WithTags("Messaging").RequireAuthorization();
        inbox.MapGet("/", (HttpContext http, KernelDbContext db, CancellationToken ct) => InboxAsync(db, UserId(http), ct))
            .WithName("ListInbox").WithSummary("我的站内消息 / My staff inbox");
        inbox.MapPost("/{id:long}/read", MarkRead).WithName("MarkInboxRead").WithSummary("标为已读 / Mark as read");
        var sms = api.MapGroup("/messaging/sms").WithTags("Messaging").AllowAnonymous().DisableAntiforgery();
        sms.MapPost("/receipts", Receipts).WithName("SmsReceipts").WithSummary("短信网关回执（需回调令牌） / SMS gateway delivery receipts (callback token)");
        sms.MapPost("/replies", Replies).WithName("SmsReplies").WithSummary("短信上行回复：T/TD/退订 即退订 / SMS replies: T, TD or 退订 opts out");
        return app;
    }

    private static string UserId(HttpContext http) => http.User.FindFirst(System.Security.Claims.ClaimTypes.NameIdentifier)?.Value ?? "";

    public static MessageView View(OutboxMessage m, Outbox outbox)
    {
        var kind = outbox.Kinds.FirstOrDefault(k => k.Kind == m.Kind);
        return new MessageView(m.Id, m.Kind, kind is null ? m.Kind : Bilingual.Pick(kind.NameZh, kind.NameEn), m.Channel, Channels.Title(m.Channel),
            m.RecipientMasked, outbox.Shown(m), m.State, OutboxStates.Title(m.State), m.Attempts, m.LastError, m.CreatedAt, m.SentAt, m.NextAttemptAt,
            m.SentBy, m.Essential, m.SecretParameters is not null);
    }

    public static async Task<Results<Ok<MessagePage>, ValidationProblem>> ListAsync(KernelDbContext db, Outbox outbox, string? state, string? channel, int page,
        CancellationToken ct)
    {
        if (Problems.Paging(page, 50, 50) is { } bad) return bad;
        var query = db.Outbox.AsNoTracking();
        if (!string.IsNullOrEmpty(state)) query = query.Where(m => m.State == state);
        if (!string.IsNullOrEmpty(channel)) query = query.Where(m => m.Channel == channel);
        var total = await query.CountAsync(ct);
        var rows = await query.OrderByDescending(m => m.Id).Skip((page - 1) * 50).Take(50).ToListAsync(ct);
        var byState = await db.Outbox.AsNoTracking().GroupBy(m => m.State).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, ct);
        return TypedResults.Ok(new MessagePage(rows.Select(m => View(m, outbox)).ToList(), total, byState));
    }

    /// <summary>A dead letter goes back to the queue with its attempts reset (audited); other states are left alone.</summary>
    public static async Task<bool> ResendAsync(KernelDbContext db, Outbox outbox, long id, Actor actor, DateTime now, CancellationToken ct)
    {
        var m = await db.Outbox.FirstOrDefaultAsync(x => x.Id == id, ct);
        if (m is null || m.State != OutboxStates.Dead) return false;
        m.State = OutboxStates.Pending;
        m.Attempts = 0;
        m.NextAttemptAt = now;
        m.LeaseUntil = null;
        m.LeaseOwner = null;
        await db.SaveAuditedAsync(actor, now, "messaging.resend", $"message:{id}", $"{m.Kind} {m.Channel} {m.RecipientMasked}", ct);
        outbox.Notify();
        return true;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Resend(long id, HttpContext http, KernelDbContext db, Outbox outbox, TimeProvider time,
        CancellationToken ct) =>
        await ResendAsync(db, outbox, id, Actor.From(http), time.GetUtcNow().UtcDateTime, ct)
            ? TypedResults.NoContent()
            : Problems.NotFound("没有该失败消息", "No failed message with this id");

    public sealed record Revealed(string Body);

    /// <summary>
    /// In the demo district only: the text of a record-only SMS with its secret (so a newcomer can read a landlord's code).
    /// Every view is an audit line. Anywhere else, and for any message that really left the platform, 404.
    /// </summary>
    public static async Task<string?> RevealAsync(KernelDbContext db, Outbox outbox, IConfiguration config, long id, Actor actor, DateTime now, CancellationToken ct)
    {
        if (!config.GetValue("CivicGrid:Demo:SeedOnFirstRun", true)) return null;
        var m = await db.Outbox.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        if (m is null || m.SentBy != "record" || m.SecretParameters is null) return null;
        db.Audit(actor, now, "messaging.reveal", $"message:{id}", $"{m.Kind} {m.RecipientMasked}");
        await db.SaveChangesAsync(ct);
        return outbox.Reveal(m);
    }

    private static async Task<Results<Ok<Revealed>, ProblemHttpResult>> Reveal(long id, HttpContext http, KernelDbContext db, Outbox outbox, IConfiguration config,
        TimeProvider time, CancellationToken ct) =>
        await RevealAsync(db, outbox, config, id, Actor.From(http), time.GetUtcNow().UtcDateTime, ct) is { } body
            ? TypedResults.Ok(new Revealed(body))
            : Problems.NotFound("仅演示区的“仅记录”短信可查看原文", "Only record-only messages of the demo district can be read in full");

    public static List<TemplateView> Templates(Outbox outbox) => outbox.Kinds.OrderBy(k => k.Module).ThenBy(k => k.Kind).Select(k =>
    {
        var (text, code, overridden) = outbox.Template(k.Kind);
        return new TemplateView(k.Kind, k.Module, Bilingual.Pick(k.NameZh, k.NameEn), text, code, k.Essential, overridden,
            [.. k.Parameters, .. k.SecretNames], k.Text);
    }).ToList();

    [GeneratedRegex(@"\{([A-Za-z_][A-Za-z0-9_]*)\}")]
    private static partial Regex Placeholder();

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex TemplateCode();

    /// <summary>Checks and stores a district's template: every placeholder known, every secret kept, a sane SMS code. Errors name the field.</summary>
    public static async Task<FieldErrors> SaveTemplateAsync(KernelDbContext db, Outbox outbox, string kind, TemplateRequest body, Actor actor, DateTime now,
        CancellationToken ct)
    {
        var errors = new FieldErrors();
        var k = outbox.Kinds.FirstOrDefault(x => x.Kind == kind);
        if (k is null)
        {
            errors.Add("kind", "没有该消息类型", "no such message kind");
            return errors;
        }
        var text = body.Text?.Trim() ?? "";
        var known = k.Parameters.Concat(k.SecretNames).ToHashSet(StringComparer.Ordinal);
        if (text.Length == 0) errors.Add("text", "模板内容必填", "the template text is required");
        else if (text.Length > 500) errors.Add("text", "模板内容不超过 500 字", "the template text is at most 500 characters");
        else
        {
            var unknown = Placeholder().Matches(text).Select(m => m.Groups[1].Value).Where(n => !known.Contains(n)).Distinct().ToList();
            if (unknown.Count > 0)
                errors.Add("text", $"模板中有未知参数：{string.Join("、", unknown)}（可用：{string.Join("、", known)}）",
                    $"unknown parameters in the template: {string.Join(", ", unknown)} (available: {string.Join(", ", known)})");
            var lost = k.SecretNames.Where(s => !text.Contains("{" + s + "}", StringComparison.Ordinal)).ToList();
            if (lost.Count > 0)
                errors.Add("text", $"模板必须包含 {{{lost[0]}}}（例如验证码）", $"the template must keep {{{lost[0]}}} (the code)");
        }
        var code = string.IsNullOrWhiteSpace(body.SmsTemplateCode) ? null : body.SmsTemplateCode.Trim();
        if (code is not null && !TemplateCode().IsMatch(code))
            errors.Add("smsTemplateCode", "短信模板编号只能由字母、数字、下划线、点和横线组成（不超过 64 位）",
                "the SMS template code may hold letters, digits, _ . - only (at most 64)");
        if (errors.Any) return errors;
        var row = await db.Set<MessageTemplateOverride>().FirstOrDefaultAsync(o => o.Kind == kind, ct);
        if (row is null)
        {
            row = new MessageTemplateOverride { Kind = kind };
            db.Add(row);
        }
        row.Text = text;
        row.SmsTemplateCode = code;
        row.UpdatedAt = now;
        row.UpdatedBy = actor.UserName;
        await db.SaveAuditedAsync(actor, now, "messaging.template.save", $"template:{kind}", code, ct);
        outbox.UseOverrides(await db.Set<MessageTemplateOverride>().AsNoTracking().ToListAsync(ct));
        return errors;
    }

    private static async Task<Results<Ok<TemplateView>, ValidationProblem>> SaveTemplate(string kind, TemplateRequest body, HttpContext http, KernelDbContext db,
        Outbox outbox, TimeProvider time, CancellationToken ct)
    {
        var errors = await SaveTemplateAsync(db, outbox, kind, body, Actor.From(http), time.GetUtcNow().UtcDateTime, ct);
        if (errors.Any) return errors.ToProblem();
        return TypedResults.Ok(Templates(outbox).First(t => t.Kind == kind));
    }

    public static async Task<Ok<List<InboxView>>> InboxAsync(KernelDbContext db, string userId, CancellationToken ct) =>
        TypedResults.Ok(await db.Inbox.AsNoTracking().Where(i => i.UserId == userId).OrderByDescending(i => i.Id).Take(100)
            .Select(i => new InboxView(i.Id, i.Title, i.Body, i.Link, i.CreatedAt, i.ReadAt != null)).ToListAsync(ct));

    public static Task<int> UnreadAsync(KernelDbContext db, string userId, CancellationToken ct) =>
        db.Inbox.CountAsync(i => i.UserId == userId && i.ReadAt == null, ct);

    public static async Task<bool> MarkReadAsync(KernelDbContext db, string userId, long id, DateTime now, CancellationToken ct) =>
        await db.Inbox.Where(i => i.Id == id && i.UserId == userId && i.ReadAt == null).ExecuteUpdateAsync(s => s.SetProperty(i => i.ReadAt, now), ct) > 0
        || await db.Inbox.AnyAsync(i => i.Id == id && i.UserId == userId, ct);

    private static async Task<Results<NoContent, ProblemHttpResult>> MarkRead(long id, HttpContext http, KernelDbContext db, TimeProvider time, CancellationToken ct) =>
        await MarkReadAsync(db, UserId(http), id, time.GetUtcNow().UtcDateTime, ct)
            ? TypedResults.NoContent()
            : Problems.NotFound("没有该消息", "No such message");

    private static bool TokenOk(HttpContext http, MessagingOptions options) =>
        options.Sms.CallbackToken is { Length: > 0 } token && http.Request.Headers["X-Callback-Token"].ToString() is { Length: > 0 } given
        && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(System.Text.Encoding.UTF8.GetBytes(token), System.Text.Encoding.UTF8.GetBytes(given));

    /// <summary>Delivery receipts: the gateway echoes our outId (the message's idempotency key); the receipt is kept on the message.</summary>
    private static async Task<Results<Ok<int>, ProblemHttpResult, ValidationProblem>> Receipts(SmsReceipt[] receipts, HttpContext http, KernelDbContext db,
        IOptions<MessagingOptions> options, CancellationToken ct)
    {
        if (!TokenOk(http, options.Value)) return Problems.Forbidden("回调令牌无效", "Invalid callback token");
        if (receipts.Length > 1000) return Problems.Field("body", "一次最多 1000 条回执", "at most 1000 receipts per call");
        var updated = 0;
        foreach (var r in receipts.Where(r => !string.IsNullOrEmpty(r.OutId)))
        {
            var status = r.Success == true ? "DELIVERED" : $"FAILED:{r.ErrCode}";
            if (status.Length > 128) status = status[..128];
            updated += await db.Outbox.Where(m => m.IdempotencyKey == r.OutId && m.Channel == Channels.Sms)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.Receipt, status), ct);
        }
        return TypedResults.Ok(updated);
    }

    /// <summary>A resident's reply: T, TD or 退订 stops non-essential messages to that number (codes and legal deadlines still go).</summary>
    private static async Task<Results<Ok<bool>, ProblemHttpResult, ValidationProblem>> Replies(SmsReply reply, HttpContext http, KernelDbContext db, Outbox outbox,
        IOptions<MessagingOptions> options, TimeProvider time, CancellationToken ct)
    {
        if (!TokenOk(http, options.Value)) return Problems.Forbidden("回调令牌无效", "Invalid callback token");
        if (!MobileNumber.TryNormalize(reply.Phone, out var phone, out _))
            return Problems.Field("phone", "手机号格式不正确", "phone is not a mobile number");
        var content = (reply.Content ?? "").Trim().ToUpperInvariant();
        if (content is not ("T" or "TD" or "退订" or "N")) return TypedResults.Ok(false);
        var index = outbox.OptOutIndex(phone);
        if (!await db.Set<MessageOptOut>().AnyAsync(o => o.PhoneIndex == index, ct))
        {
            db.Add(new MessageOptOut { PhoneIndex = index, At = time.GetUtcNow().UtcDateTime, Source = "sms_reply" });
            try { await db.SaveChangesAsync(ct); }
            catch (DbUpdateException) { /* the same reply twice at once: one row stands */ }
        }
        return TypedResults.Ok(true);
    }
}
