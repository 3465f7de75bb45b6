using System.Net.Http.Json;
using System.Threading.Channels;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CivicGrid.Population.Features.Outbox;

/// <summary>
/// Notifications go through an outbox table: the write that causes a message and the message commit together, and a
/// dispatcher delivers them afterwards. Which sender delivers is configuration (CivicGrid:Outbox:Sender):
/// "record" (default) only records it in the platform; "webhook" POSTs it to CivicGrid:Outbox:WebhookUrl (an SMS
/// gateway or a DingTalk robot, with CivicGrid:Outbox:WebhookFormat "dingtalk" or "json").
/// </summary>
internal sealed class OutboxSignal
{
    private readonly Channel<bool> signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public ChannelReader<bool> Reader => signal.Reader;

    /// <summary>Wakes the dispatcher after a commit that added messages.</summary>
    public void Notify() => signal.Writer.TryWrite(true);

    /// <summary>Adds a message to the context's pending changes; it is saved with the caller's write.</summary>
    public static void Enqueue(PopulationDbContext db, PersonalDataProtector protector, string phone, string body, DateTime now) =>
        db.Outbox.Add(new OutboxMessage
        {
            Channel = "sms", Recipient = protector.Encrypt(phone), RecipientMasked = Mask.Phone(phone), Body = body, CreatedAt = now,
        });

    /// <summary>A message carrying a secret: <paramref name="shown"/> is stored in clear, <paramref name="secret"/> only encrypted until delivered.</summary>
    public static void EnqueueSecret(PopulationDbContext db, PersonalDataProtector protector, string phone, string shown, string secret, DateTime now) =>
        db.Outbox.Add(new OutboxMessage
        {
            Channel = "sms", Recipient = protector.Encrypt(phone), RecipientMasked = Mask.Phone(phone), Body = shown, SecretBody = protector.Encrypt(secret),
            CreatedAt = now,
        });
}

internal sealed class OutboxDispatcher(IServiceScopeFactory scopes, OutboxSignal signal, IConfiguration config, IHttpClientFactory http,
    TimeProvider time, ILogger<OutboxDispatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await DispatchAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogWarning(e, "Outbox dispatch failed; retrying on the next signal");
            }
            // Wait for new messages, or retry failed ones after a while.
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            wait.CancelAfter(TimeSpan.FromSeconds(30));
            try { await signal.Reader.ReadAsync(wait.Token); }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested) { }
        }
    }

    /// <summary>Delivers every unsent message (up to 5 attempts each); returns how many went out.</summary>
    public async Task<int> DispatchAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
        var protector = scope.ServiceProvider.GetRequiredService<PersonalDataProtector>();
        var sender = config["CivicGrid:Outbox:Sender"] ?? "record";
        var sent = 0;
        var batch = await db.Outbox.Where(m => m.SentAt == null && m.Attempts < 5).OrderBy(m => m.Id).Take(100).ToListAsync(ct);
        foreach (var message in batch)
        {
            message.Attempts++;
            try
            {
                var text = message.SecretBody is null ? message.Body : protector.Decrypt(message.SecretBody);
                if (sender == "webhook") await SendWebhookAsync(text, message.Id, protector.Decrypt(message.Recipient), ct);
                message.SentAt = time.GetUtcNow().UtcDateTime;
                // Delivered: the secret has no further use here.
                message.SecretBody = null;
                message.SentBy = sender;
                sent++;
                Kernel.Operations.PlatformMetrics.OutboxSent.Add(1, Kernel.Operations.PlatformMetrics.Tag("channel", sender));
            }
            catch (HttpRequestException e)
            {
                message.LastError = e.Message;
                Kernel.Operations.PlatformMetrics.OutboxFailed.Add(1, Kernel.Operations.PlatformMetrics.Tag("channel", sender));
                // The number is not logged: only the message id and the masked recipient.
                logger.LogWarning("Outbox message {Id} to {Recipient} failed: {Error}", message.Id, message.RecipientMasked, e.Message);
            }
            await db.SaveChangesAsync(ct);
        }
        return sent;
    }

    private async Task SendWebhookAsync(string text, long id, string phone, CancellationToken ct)
    {
        var url = config["CivicGrid:Outbox:WebhookUrl"] ?? throw new HttpRequestException("CivicGrid:Outbox:WebhookUrl is not configured");
        object payload = config["CivicGrid:Outbox:WebhookFormat"] == "dingtalk"
            ? new { msgtype = "text", text = new { content = text }, at = new { atMobiles = new[] { phone } } }
            : new { to = phone, body = text, id };
        using var response = await http.CreateClient("outbox").PostAsJsonAsync(url, payload, ct);
        response.EnsureSuccessStatusCode();
    }
}
