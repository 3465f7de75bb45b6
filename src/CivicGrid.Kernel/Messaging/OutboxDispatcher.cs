using System.Data.Common;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.Operations;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CivicGrid.Kernel.Messaging;

/// <summary>
/// Delivers the outbox on this node. Per-node work by design: every node runs one, and each message is claimed by exactly one
/// of them with a lease (<c>FOR UPDATE SKIP LOCKED</c> on PostgreSQL; SQLite has one writer and one node). A node killed while
/// sending gives its messages back when the lease runs out; delivery is at least once, with the message's idempotency key
/// passed to the channel (the gateway's outId, 浙政钉's bizMsgId, the inbox's unique key) so a repeat can be dropped.
/// Failures retry with a growing delay (30 s doubling, at most an hour); after the last attempt the message is dead and waits
/// on the outbox page for the district admin's resend. A failure never leaves this loop: the host goes on.
/// </summary>
public sealed class OutboxDispatcher(IDbContextFactory<KernelDbContext> factory, Outbox outbox, DatabaseOptions database, IOptions<MessagingOptions> options,
    JobOptions jobs, IHttpClientFactory http, TimeProvider time, ILogger<OutboxDispatcher> logger) : BackgroundService
{
    private readonly MessagingOptions settings = options.Value;

    public string Node { get; } = jobs.ResolvedNodeId;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.Enabled) return;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DispatchAsync(stoppingToken) > 0) { }
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                logger.LogWarning(e, "Outbox dispatch failed on {Node}; trying again on the next poll", Node);
            }
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            wait.CancelAfter(settings.PollInterval);
            try { await outbox.Signal.ReadAsync(wait.Token); }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { }
        }
    }

    /// <summary>Claims up to <paramref name="batch"/> due messages for this node and delivers them; returns how many it handled.</summary>
    public async Task<int> DispatchAsync(CancellationToken ct, int batch = 50)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        outbox.UseOverrides(await db.Set<MessageTemplateOverride>().AsNoTracking().ToListAsync(ct));
        var ids = await ClaimAsync(db, batch, ct);
        if (ids.Count == 0) return 0;
        var messages = await db.Set<OutboxMessage>().Where(m => ids.Contains(m.Id)).OrderBy(m => m.Id).ToListAsync(ct);
        // SMS through the gateway is the bulk (reminders, notices to a village): sent side by side, saved once per batch. The
        // others go one by one in order (robots and 浙政钉 count what was sent before them; the inbox writes through this context).
        var gateway = string.Equals(settings.Sms.Provider, "gateway", StringComparison.OrdinalIgnoreCase);
        var bulk = gateway ? messages.Where(m => m.Channel == Channels.Sms).ToList() : [];
        if (bulk.Count > 0) await DeliverBulkSmsAsync(db, bulk, ct);
        foreach (var message in messages.Except(bulk))
        {
            ct.ThrowIfCancellationRequested();
            var now = time.GetUtcNow();
            Apply(message, await AttemptAsync(message, () => SendAsync(db, message, now, ct), ct), now);
            await db.SaveChangesAsync(ct);
        }
        return messages.Count;
    }

    private async Task DeliverBulkSmsAsync(KernelDbContext db, List<OutboxMessage> messages, CancellationToken ct)
    {
        var phones = messages.ToDictionary(m => m.Id, outbox.RecipientOf);
        var indexes = messages.Where(m => !m.Essential).ToDictionary(m => m.Id, m => outbox.OptOutIndex(phones[m.Id]));
        var wanted = indexes.Values.Distinct().ToList();
        var optedOut = wanted.Count == 0 ? [] : (await db.Set<MessageOptOut>().AsNoTracking().Where(o => wanted.Contains(o.PhoneIndex)).Select(o => o.PhoneIndex).ToListAsync(ct)).ToHashSet();
        var client = http.CreateClient("messaging");
        var results = new System.Collections.Concurrent.ConcurrentDictionary<long, Delivery>();
        await Parallel.ForEachAsync(messages, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = ct }, async (m, token) =>
        {
            results[m.Id] = indexes.TryGetValue(m.Id, out var index) && optedOut.Contains(index)
                ? new Delivery(false, OutboxStates.OptedOut)
                : await AttemptAsync(m, () => ChannelProtocols.SmsGatewayAsync(client, settings.Sms, phones[m.Id], m.TemplateCode, outbox.GatewayParameters(m),
                    m.IdempotencyKey, token), token);
        });
        var now = time.GetUtcNow();
        foreach (var m in messages) Apply(m, results[m.Id], now);
        // A node killed between sending and this save: the lease runs out and another node sends them again, with the same
        // outId, which the gateway uses to drop the repeat.
        await db.SaveChangesAsync(ct);
    }

    private async Task<List<long>> ClaimAsync(KernelDbContext db, int batch, CancellationToken ct)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var skipLocked = database.IsPostgres ? " FOR UPDATE SKIP LOCKED" : "";
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = connection.CreateCommand();
            command.CommandText = $"""
                UPDATE {OutboxModel.Table} SET "LeaseOwner" = @node, "LeaseUntil" = @until
                WHERE "Id" IN (SELECT "Id" FROM {OutboxModel.Table}
                    WHERE "State" = '{OutboxStates.Pending}' AND "NextAttemptAt" <= @now AND ("LeaseUntil" IS NULL OR "LeaseUntil" < @now)
                    ORDER BY "Id" LIMIT @batch{skipLocked})
                RETURNING "Id"
                """;
            Add(command, "node", Node);
            Add(command, "until", now + settings.Lease);
            Add(command, "now", now);
            Add(command, "batch", batch);
            var ids = new List<long>();
            await using var reader = await command.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct)) ids.Add(reader.GetInt64(0));
            return ids;
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }

    private static async Task<Delivery> AttemptAsync(OutboxMessage message, Func<Task<Delivery>> send, CancellationToken ct)
    {
        try
        {
            return await send();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or InvalidOperationException or System.Text.Json.JsonException
            or MailKit.Net.Smtp.SmtpCommandException or MailKit.Net.Smtp.SmtpProtocolException or System.Net.Sockets.SocketException or IOException
            or FormatException)
        {
            if (ct.IsCancellationRequested) throw;
            return Delivery.Failed(message.Channel, e.GetType().Name + ": " + e.Message);
        }
    }

    private void Apply(OutboxMessage message, Delivery delivery, DateTimeOffset now)
    {
        message.LeaseOwner = null;
        message.LeaseUntil = null;
        if (delivery.Ok)
        {
            message.State = OutboxStates.Sent;
            message.SentAt = now.UtcDateTime;
            message.SentBy = delivery.SentBy;
            message.Receipt = delivery.Receipt;
            message.LastError = null;
            message.Attempts++;
            // Delivered: a secret has no further use. The demo's record-only SMS keeps it a day so a newcomer can read the code.
            if (delivery.SentBy != "record") message.SecretParameters = null;
            PlatformMetrics.OutboxSent.Add(1, PlatformMetrics.Tag("channel", message.Channel));
        }
        else if (delivery.RetryAt is { } at)
        {
            message.NextAttemptAt = at;
            message.LastError = Trim(delivery.Error);
        }
        else if (delivery.SentBy == OutboxStates.OptedOut)
        {
            message.State = OutboxStates.OptedOut;
            message.SecretParameters = null;
        }
        else
        {
            message.Attempts++;
            message.LastError = Trim(delivery.Error);
            PlatformMetrics.OutboxFailed.Add(1, PlatformMetrics.Tag("channel", message.Channel));
            if (message.Attempts >= settings.MaxAttempts)
            {
                message.State = OutboxStates.Dead;
            }
            else
            {
                message.NextAttemptAt = now.UtcDateTime + Backoff(message.Attempts);
            }
            // Ids and masks only: the number, address or code is never in a log line.
            logger.LogWarning("Outbox message {Id} ({Kind}, {Channel}) to {Recipient} failed, attempt {Attempt}: {Error}",
                message.Id, message.Kind, message.Channel, message.RecipientMasked, message.Attempts, message.LastError);
        }
    }

    public static TimeSpan Backoff(int attempts) => TimeSpan.FromSeconds(Math.Min(3600, 30 * Math.Pow(2, Math.Max(0, attempts - 1))));

    private static string? Trim(string? error) => error is { Length: > 500 } ? error[..500] : error;

    private async Task<Delivery> SendAsync(KernelDbContext db, OutboxMessage message, DateTimeOffset now, CancellationToken ct)
    {
        var client = http.CreateClient("messaging");
        switch (message.Channel)
        {
            case Channels.Sms:
            {
                var phone = outbox.RecipientOf(message);
                if (!message.Essential && await db.Set<MessageOptOut>().AnyAsync(o => o.PhoneIndex == outbox.OptOutIndex(phone), ct))
                    return new Delivery(false, OutboxStates.OptedOut);
                if (!string.Equals(settings.Sms.Provider, "gateway", StringComparison.OrdinalIgnoreCase)) return Delivery.Sent("record");
                return await ChannelProtocols.SmsGatewayAsync(client, settings.Sms, phone, message.TemplateCode, outbox.GatewayParameters(message),
                    message.IdempotencyKey, ct);
            }
            case Channels.DingTalk or Channels.WeCom:
            {
                var name = outbox.RecipientOf(message);
                if (!settings.Robots.TryGetValue(name, out var robot) || string.IsNullOrEmpty(robot.Url))
                    return Delivery.Failed(message.Channel, $"robot {name} is not configured under CivicGrid:Messaging:Robots");
                // Both robots take 20 messages a minute and block for 10 minutes beyond that: count what the cluster sent to
                // this robot in the last minute and wait for room instead of being blocked (or dropping the message).
                var since = now.UtcDateTime.AddMinutes(-1);
                var recent = await db.Set<OutboxMessage>().Where(m => m.Channel == message.Channel && m.RecipientMasked == message.RecipientMasked
                    && m.State == OutboxStates.Sent && m.SentAt > since).Select(m => m.SentAt!.Value).OrderBy(t => t).ToListAsync(ct);
                if (recent.Count >= 20) return Delivery.Throttled(message.Channel, recent[^20].AddMinutes(1).AddSeconds(1), "20 messages a minute per robot: waiting");
                var text = outbox.Delivered(message);
                return message.Channel == Channels.DingTalk
                    ? await ChannelProtocols.DingTalkAsync(client, robot, text, now, ct)
                    : await ChannelProtocols.WeComAsync(client, robot, text, now, ct);
            }
            case Channels.ZheZhengDing:
            {
                var receiver = outbox.RecipientOf(message);
                var dayStart = Time.ChinaTime.StartOfDayUtc(Time.ChinaTime.DateOf(now.UtcDateTime));
                var today = db.Set<OutboxMessage>().Where(m => m.Channel == Channels.ZheZhengDing && m.RecipientMasked == message.RecipientMasked
                    && m.State == OutboxStates.Sent && m.SentAt >= dayStart);
                // 浙政钉 takes the same content once a day per official: a repeat is done already.
                if (await today.AnyAsync(m => m.Body == message.Body, ct)) return Delivery.Sent("zzd-same-today");
                if (await today.CountAsync(ct) >= settings.Zzd.DailyLimitPerUser)
                    return Delivery.Throttled("zzd", dayStart.AddDays(1), "daily limit of work notices for this official reached");
                return await ChannelProtocols.ZzdAsync(client, settings.Zzd, receiver, outbox.Delivered(message), message.IdempotencyKey, now, ct);
            }
            case Channels.Email:
                return await EmailAsync(outbox.RecipientOf(message), outbox.Kind(message.Kind).NameZh, outbox.Delivered(message), message.IdempotencyKey, ct);
            case Channels.Inbox:
            {
                var user = outbox.RecipientOf(message);
                if (!await db.Set<InboxItem>().AnyAsync(i => i.IdempotencyKey == message.IdempotencyKey, ct))
                {
                    var kind = outbox.Kind(message.Kind);
                    var parameters = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(message.Parameters) ?? [];
                    db.Set<InboxItem>().Add(new InboxItem
                    {
                        UserId = user, Title = kind.NameZh, Body = outbox.Delivered(message), Link = parameters.GetValueOrDefault("link"),
                        CreatedAt = now.UtcDateTime, IdempotencyKey = message.IdempotencyKey,
                    });
                }
                return Delivery.Sent("inbox");
            }
            default:
                return Delivery.Failed(message.Channel, $"unknown channel {message.Channel}");
        }
    }

    private async Task<Delivery> EmailAsync(string to, string subject, string text, string messageId, CancellationToken ct)
    {
        var smtp = settings.Smtp;
        if (string.IsNullOrEmpty(smtp.Host)) return Delivery.Failed("smtp", "CivicGrid:Messaging:Smtp:Host is not set");
        var mail = new MimeKit.MimeMessage();
        mail.From.Add(MimeKit.MailboxAddress.Parse(smtp.From));
        mail.To.Add(MimeKit.MailboxAddress.Parse(to));
        mail.Subject = subject;
        // The idempotency key as Message-ID: a receiving system that saw it already can drop the repeat.
        mail.MessageId = $"{messageId.Replace(':', '.')}@civicgrid";
        mail.Body = new MimeKit.TextPart("plain") { Text = text };
        using var client = new MailKit.Net.Smtp.SmtpClient();
        await client.ConnectAsync(smtp.Host, smtp.Port, smtp.UseTls ? MailKit.Security.SecureSocketOptions.StartTls : MailKit.Security.SecureSocketOptions.None, ct);
        if (!string.IsNullOrEmpty(smtp.UserName)) await client.AuthenticateAsync(smtp.UserName, smtp.Password ?? "", ct);
        var answer = await client.SendAsync(mail, ct);
        await client.DisconnectAsync(true, ct);
        return Delivery.Sent("smtp", answer is { Length: > 0 } ? answer[..Math.Min(answer.Length, 120)] : null);
    }
}
