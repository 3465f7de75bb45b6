using System.Collections.Concurrent;
using System.Text.Json;
using CivicGrid.Kernel.PersonalData;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Kernel.Messaging;

/// <summary>
/// One message in the platform's outbox (table <c>outbox_messages</c>). A module adds it through its own context in the
/// transaction of the write that causes it (<see cref="OutboxModel.MapOutbox"/>); a dispatcher on some node claims it with a
/// lease and delivers it through its channel, at least once, with <see cref="IdempotencyKey"/> for the receiver to drop a repeat.
/// </summary>
public sealed class OutboxMessage
{
    public long Id { get; set; }

    /// <summary>The message kind (its template): <c>population.late_move_in</c>, <c>signin.code</c>.</summary>
    public string Kind { get; set; } = "";

    /// <summary><see cref="Channels"/>: sms, dingtalk, wecom, zzd, email, inbox.</summary>
    public string Channel { get; set; } = Channels.Sms;

    /// <summary>Encrypted recipient (a phone, an e-mail address); for robots the robot's name, for the inbox the staff account id, both in clear.</summary>
    public byte[] Recipient { get; set; } = [];

    public string RecipientMasked { get; set; } = "";

    /// <summary>The rendered text; secret parameters are left as <c>{name}</c> placeholders (see <see cref="Outbox.Shown"/>).</summary>
    public string Body { get; set; } = "";

    /// <summary>The template's parameters without secrets, as JSON (the SMS gateway's TemplateParam).</summary>
    public string Parameters { get; set; } = "{}";

    /// <summary>Secret parameters (one-time codes) as encrypted JSON; dropped once delivered (kept a day in the demo's record-only mode).</summary>
    public byte[]? SecretParameters { get; set; }

    /// <summary>The SMS template code the kind mapped to when it was queued.</summary>
    public string? TemplateCode { get; set; }

    public string IdempotencyKey { get; set; } = "";

    public string State { get; set; } = OutboxStates.Pending;

    /// <summary>Essential messages (codes, deadlines the law sets) go out even to residents who stopped the others.</summary>
    public bool Essential { get; set; }

    public string SourceModule { get; set; } = "";

    /// <summary>Whose area the message belongs to: the district admin sees all, others their area.</summary>
    public string RegionPath { get; set; } = "";

    public int Attempts { get; set; }

    public DateTime NextAttemptAt { get; set; }

    public string? LeaseOwner { get; set; }

    public DateTime? LeaseUntil { get; set; }

    public string? LastError { get; set; }

    public DateTime CreatedAt { get; set; }

    public DateTime? SentAt { get; set; }

    /// <summary>Which sender delivered it (record, gateway, robot...).</summary>
    public string? SentBy { get; set; }

    /// <summary>The provider's own id or the delivery receipt's status (DELIVERED, FAILED: code).</summary>
    public string? Receipt { get; set; }
}

public static class Channels
{
    public const string Sms = "sms";
    public const string DingTalk = "dingtalk";
    public const string WeCom = "wecom";
    public const string ZheZhengDing = "zzd";
    public const string Email = "email";
    public const string Inbox = "inbox";

    public static string Title(string channel) => channel switch
    {
        Sms => Bilingual.Pick("短信", "SMS"),
        DingTalk => Bilingual.Pick("钉钉群机器人", "DingTalk robot"),
        WeCom => Bilingual.Pick("企业微信群机器人", "WeCom robot"),
        ZheZhengDing => Bilingual.Pick("浙政钉工作通知", "Zhezhengding work notice"),
        Email => Bilingual.Pick("电子邮件", "E-mail"),
        Inbox => Bilingual.Pick("站内消息", "Staff inbox"),
        _ => channel,
    };
}

public static class OutboxStates
{
    public const string Pending = "pending";
    public const string Sent = "sent";
    /// <summary>The last attempt failed: on the dead-letter list until an admin resends it.</summary>
    public const string Dead = "dead";
    /// <summary>Not sent: the resident stopped non-essential messages.</summary>
    public const string OptedOut = "opted_out";

    public static string Title(string state) => state switch
    {
        Pending => Bilingual.Pick("待发送", "Pending"),
        Sent => Bilingual.Pick("已发送", "Sent"),
        Dead => Bilingual.Pick("发送失败", "Failed"),
        OptedOut => Bilingual.Pick("已退订", "Opted out"),
        _ => state,
    };
}

/// <summary>A resident who replied T (退订) or asked to stop non-essential messages; by blind index of the phone.</summary>
public sealed class MessageOptOut
{
    public string PhoneIndex { get; set; } = "";
    public DateTime At { get; set; }
    public string Source { get; set; } = "";
}

/// <summary>A district's own text (and SMS template code) for a message kind, replacing the built-in one.</summary>
public sealed class MessageTemplateOverride
{
    public string Kind { get; set; } = "";
    public string Text { get; set; } = "";
    public string? SmsTemplateCode { get; set; }
    public DateTime UpdatedAt { get; set; }
    public string UpdatedBy { get; set; } = "";
}

/// <summary>A message in a staff member's inbox (the bell in the header).</summary>
public sealed class InboxItem
{
    public long Id { get; set; }
    public string UserId { get; set; } = "";
    public string Title { get; set; } = "";
    public string Body { get; set; } = "";
    public string? Link { get; set; }
    public DateTime CreatedAt { get; set; }
    public DateTime? ReadAt { get; set; }
    /// <summary>The outbox message's key: delivered twice, stored once.</summary>
    public string IdempotencyKey { get; set; } = "";
}

/// <summary>
/// A kind of message a module sends: its built-in Chinese text with <c>{parameters}</c>, the SMS template code it maps to at
/// the gateway, and whether it is essential (goes out even to residents who opted out). Registered with
/// <see cref="MessagingServices.AddMessageKind"/>; the district admin may replace text and code on the templates page.
/// </summary>
public sealed record MessageKind(string Kind, string Module, string NameZh, string NameEn, string Text, string? SmsTemplateCode, bool Essential,
    IReadOnlyList<string> Parameters, IReadOnlyList<string>? Secrets = null)
{
    public IReadOnlyList<string> SecretNames => Secrets ?? [];
}

public static class OutboxModel
{
    public const string Table = "outbox_messages";

    /// <summary>Maps the outbox into a module's context (excluded from its migrations) so a write and its messages commit together.</summary>
    public static void MapOutbox(this ModelBuilder model, bool owner)
    {
        model.Entity<OutboxMessage>(e =>
        {
            e.ToTable(Table, t => { if (!owner) t.ExcludeFromMigrations(); });
            e.HasKey(x => x.Id);
            e.Property(x => x.Kind).HasMaxLength(64);
            e.Property(x => x.Channel).HasMaxLength(16);
            e.Property(x => x.RecipientMasked).HasMaxLength(64);
            e.Property(x => x.Body).HasMaxLength(2000);
            e.Property(x => x.Parameters).HasMaxLength(2000);
            e.Property(x => x.TemplateCode).HasMaxLength(64);
            e.Property(x => x.IdempotencyKey).HasMaxLength(128);
            e.Property(x => x.State).HasMaxLength(16);
            e.Property(x => x.SourceModule).HasMaxLength(32);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.Property(x => x.LeaseOwner).HasMaxLength(128);
            e.Property(x => x.LastError).HasMaxLength(500);
            e.Property(x => x.SentBy).HasMaxLength(32);
            e.Property(x => x.Receipt).HasMaxLength(128);
            e.HasIndex(x => x.IdempotencyKey).IsUnique();
            e.HasIndex(x => new { x.State, x.NextAttemptAt });
            e.HasIndex(x => new { x.RegionPath, x.CreatedAt });
            e.HasIndex(x => new { x.Channel, x.RecipientMasked, x.SentAt });
        });
    }

    internal static void MapMessaging(ModelBuilder model)
    {
        model.MapOutbox(owner: true);
        model.Entity<MessageOptOut>(e =>
        {
            e.ToTable("message_opt_outs");
            e.HasKey(x => x.PhoneIndex);
            e.Property(x => x.PhoneIndex).HasMaxLength(64);
            e.Property(x => x.Source).HasMaxLength(32);
        });
        model.Entity<MessageTemplateOverride>(e =>
        {
            e.ToTable("message_templates");
            e.HasKey(x => x.Kind);
            e.Property(x => x.Kind).HasMaxLength(64);
            e.Property(x => x.Text).HasMaxLength(1000);
            e.Property(x => x.SmsTemplateCode).HasMaxLength(64);
            e.Property(x => x.UpdatedBy).HasMaxLength(128);
        });
        model.Entity<InboxItem>(e =>
        {
            e.ToTable("inbox_items");
            e.HasKey(x => x.Id);
            e.Property(x => x.UserId).HasMaxLength(64);
            e.Property(x => x.Title).HasMaxLength(200);
            e.Property(x => x.Body).HasMaxLength(2000);
            e.Property(x => x.Link).HasMaxLength(256);
            e.Property(x => x.IdempotencyKey).HasMaxLength(128);
            e.HasIndex(x => x.IdempotencyKey).IsUnique();
            e.HasIndex(x => new { x.UserId, x.ReadAt, x.CreatedAt });
        });
    }
}

/// <summary>
/// The platform's one way to send a message (singleton). <see cref="Enqueue"/> adds it to the caller's context: it is saved
/// with the caller's write, then <see cref="Notify"/> wakes this node's dispatcher (the others find it on their next poll).
/// </summary>
public sealed class Outbox(IEnumerable<MessageKind> kinds, PersonalDataProtector protector, TimeProvider time)
{
    private readonly Dictionary<string, MessageKind> byKind = kinds.GroupBy(k => k.Kind).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MessageTemplateOverride> overrides = new(StringComparer.Ordinal);
    private readonly System.Threading.Channels.Channel<bool> signal =
        System.Threading.Channels.Channel.CreateBounded<bool>(new System.Threading.Channels.BoundedChannelOptions(1)
        {
            FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite,
        });

    public IReadOnlyCollection<MessageKind> Kinds => byKind.Values;

    public MessageKind Kind(string kind) => byKind.TryGetValue(kind, out var k) ? k
        : throw new InvalidOperationException($"message kind {kind} is not registered");

    /// <summary>The text and SMS code in force for a kind: the district's own, else the built-in.</summary>
    public (string Text, string? SmsTemplateCode, bool Overridden) Template(string kind)
    {
        var k = Kind(kind);
        return overrides.TryGetValue(kind, out var o) ? (o.Text, o.SmsTemplateCode ?? k.SmsTemplateCode, true) : (k.Text, k.SmsTemplateCode, false);
    }

    /// <summary>Replaces the cached district templates (at start, after an edit, and on each node's dispatcher poll).</summary>
    public void UseOverrides(IEnumerable<MessageTemplateOverride> list)
    {
        var fresh = list.ToDictionary(o => o.Kind, StringComparer.Ordinal);
        foreach (var key in overrides.Keys.Where(k => !fresh.ContainsKey(k))) overrides.TryRemove(key, out _);
        foreach (var (key, value) in fresh) overrides[key] = value;
    }

    internal System.Threading.Channels.ChannelReader<bool> Signal => signal.Reader;

    /// <summary>Wakes this node's dispatcher after a commit that added messages.</summary>
    public void Notify() => signal.Writer.TryWrite(true);

    /// <summary>An SMS to a resident's or landlord's mobile number (normalised).</summary>
    public OutboxMessage EnqueueSms(DbContext db, string kind, string phone, IReadOnlyDictionary<string, string> parameters, string regionPath,
        string? idempotencyKey = null, IReadOnlyDictionary<string, string>? secrets = null) =>
        Add(db, kind, Channels.Sms, protector.Encrypt(phone), Mask.Phone(phone), parameters, regionPath, idempotencyKey, secrets);

    /// <summary>A message to a group robot (DingTalk or WeCom) configured under <c>CivicGrid:Messaging:Robots:{name}</c>.</summary>
    public OutboxMessage EnqueueRobot(DbContext db, string kind, string channel, string robot, IReadOnlyDictionary<string, string> parameters, string regionPath,
        string? idempotencyKey = null) =>
        Add(db, kind, channel, System.Text.Encoding.UTF8.GetBytes(robot), robot, parameters, regionPath, idempotencyKey, null);

    /// <summary>A message to a staff account: its inbox, or 浙政钉 (<see cref="Channels.ZheZhengDing"/>) with the account's 浙政钉 id.</summary>
    public OutboxMessage EnqueueStaff(DbContext db, string kind, string channel, string userIdOrZzdId, IReadOnlyDictionary<string, string> parameters, string regionPath,
        string? idempotencyKey = null) =>
        Add(db, kind, channel, System.Text.Encoding.UTF8.GetBytes(userIdOrZzdId), channel == Channels.Inbox ? "staff" : userIdOrZzdId,
            parameters, regionPath, idempotencyKey, null);

    /// <summary>An e-mail to an address (kept encrypted, shown masked).</summary>
    public OutboxMessage EnqueueEmail(DbContext db, string kind, string address, IReadOnlyDictionary<string, string> parameters, string regionPath,
        string? idempotencyKey = null) =>
        Add(db, kind, Channels.Email, protector.Encrypt(address), MaskEmail(address), parameters, regionPath, idempotencyKey, null);

    private OutboxMessage Add(DbContext db, string kind, string channel, byte[] recipient, string masked, IReadOnlyDictionary<string, string> parameters,
        string regionPath, string? idempotencyKey, IReadOnlyDictionary<string, string>? secrets)
    {
        var k = Kind(kind);
        var (text, code, _) = Template(kind);
        var missing = k.Parameters.Concat(k.SecretNames).Where(p => !parameters.ContainsKey(p) && secrets?.ContainsKey(p) != true).ToList();
        if (missing.Count > 0) throw new ArgumentException($"message {kind} lacks parameters: {string.Join(", ", missing)}", nameof(parameters));
        var now = time.GetUtcNow().UtcDateTime;
        var message = new OutboxMessage
        {
            Kind = kind, Channel = channel, Recipient = recipient, RecipientMasked = masked,
            Body = Render(text, parameters), Parameters = JsonSerializer.Serialize(parameters), TemplateCode = code,
            SecretParameters = secrets is { Count: > 0 } ? protector.Encrypt(JsonSerializer.Serialize(secrets)) : null,
            IdempotencyKey = idempotencyKey ?? $"{kind}:{Guid.NewGuid():N}",
            Essential = k.Essential, SourceModule = k.Module, RegionPath = regionPath, CreatedAt = now, NextAttemptAt = now,
        };
        db.Set<OutboxMessage>().Add(message);
        return message;
    }

    /// <summary>Replaces <c>{name}</c> by its value; names not given stay as placeholders (the secrets).</summary>
    public static string Render(string text, IReadOnlyDictionary<string, string> values)
    {
        foreach (var (name, value) in values) text = text.Replace("{" + name + "}", value, StringComparison.Ordinal);
        return text;
    }

    /// <summary>The text as the platform shows it: secret placeholders as asterisks.</summary>
    public string Shown(OutboxMessage m)
    {
        var k = byKind.GetValueOrDefault(m.Kind);
        return k is null ? m.Body : Render(m.Body, k.SecretNames.ToDictionary(s => s, _ => "******"));
    }

    /// <summary>The full text of a record-only message with its secret, for the demo district's outbox page (the caller audits each view).</summary>
    public string Reveal(OutboxMessage m) => Delivered(m);

    /// <summary>The text to deliver: secrets decrypted into their placeholders. Never logged.</summary>
    internal string Delivered(OutboxMessage m) => m.SecretParameters is null ? m.Body : Render(m.Body, Secrets(m));

    internal Dictionary<string, string> Secrets(OutboxMessage m) => m.SecretParameters is null ? []
        : JsonSerializer.Deserialize<Dictionary<string, string>>(protector.Decrypt(m.SecretParameters)) ?? [];

    /// <summary>The template parameters for the SMS gateway, secrets included. Never logged.</summary>
    internal Dictionary<string, string> GatewayParameters(OutboxMessage m)
    {
        var all = JsonSerializer.Deserialize<Dictionary<string, string>>(m.Parameters) ?? [];
        foreach (var (k, v) in Secrets(m)) all[k] = v;
        return all;
    }

    internal string RecipientOf(OutboxMessage m) => m.Channel is Channels.Sms or Channels.Email
        ? protector.Decrypt(m.Recipient) : System.Text.Encoding.UTF8.GetString(m.Recipient);

    /// <summary>The blind index under which a phone's opt-out is kept.</summary>
    public string OptOutIndex(string normalizedPhone) => protector.BlindIndex("phone", normalizedPhone);

    private static string MaskEmail(string address)
    {
        var at = address.IndexOf('@', StringComparison.Ordinal);
        return at <= 0 ? "***" : address[..1] + "***" + address[at..];
    }
}
