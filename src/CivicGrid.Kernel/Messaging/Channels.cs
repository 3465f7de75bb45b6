using System.Globalization;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace CivicGrid.Kernel.Messaging;

/// <summary>The messaging settings (<c>CivicGrid:Messaging</c>).</summary>
public sealed class MessagingOptions
{
    public const string Section = "CivicGrid:Messaging";

    /// <summary>Whether this node's dispatcher sends; false makes a node that only queues (the others send).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Attempts before a message goes to the dead-letter list.</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>How long a node holds the messages it claimed; a node killed while sending gives them back after this.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often a node looks for messages queued on the others (its own wake it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    public SmsOptions Sms { get; set; } = new();

    /// <summary>Group robots by name: <c>Kind</c> dingtalk or wecom, <c>Url</c> (the webhook with its access token), DingTalk's signing <c>Secret</c>.</summary>
    public Dictionary<string, RobotOptions> Robots { get; set; } = new(StringComparer.Ordinal);

    public ZzdOptions Zzd { get; set; } = new();

    public SmtpOptions Smtp { get; set; } = new();
}

public sealed class SmsOptions
{
    /// <summary>"record" (default: stored on the outbox page, nothing leaves the platform) or "gateway".</summary>
    public string Provider { get; set; } = "record";

    /// <summary>The gateway's send address (JSON POST in the common shape of Chinese SMS gateways).</summary>
    public string? GatewayUrl { get; set; }

    /// <summary>The approved sign name (签名), e.g. 萧山基层智治.</summary>
    public string SignName { get; set; } = "萧山基层智治";

    public string? AccessKey { get; set; }

    /// <summary>Signs each request (HMAC-SHA256 of the body) so the gateway knows it is ours.</summary>
    public string? Secret { get; set; }

    /// <summary>The token the gateway sends with delivery receipts and replies (退订); without one both are refused.</summary>
    public string? CallbackToken { get; set; }
}

public sealed class RobotOptions
{
    public string Kind { get; set; } = Channels.DingTalk;
    public string Url { get; set; } = "";
    public string? Secret { get; set; }
}

public sealed class ZzdOptions
{
    /// <summary>The 浙政钉 open platform's address (e.g. https://openplatform.dg-work.cn).</summary>
    public string? BaseUrl { get; set; }
    public string? AppKey { get; set; }
    public string? AppSecret { get; set; }
    public string? TenantId { get; set; }

    /// <summary>Work notices per official per day (浙政钉 allows about 100).</summary>
    public int DailyLimitPerUser { get; set; } = 100;
}

public sealed class SmtpOptions
{
    public string? Host { get; set; }
    public int Port { get; set; } = 25;
    public string From { get; set; } = "civicgrid@localhost";
    public string? UserName { get; set; }
    public string? Password { get; set; }
    public bool UseTls { get; set; }
}

/// <summary>What a channel answered: delivered, failed (counted as an attempt), or throttled (try again then, not counted).</summary>
public sealed record Delivery(bool Ok, string SentBy, string? Error = null, DateTime? RetryAt = null, string? Receipt = null)
{
    public static Delivery Sent(string by, string? receipt = null) => new(true, by, Receipt: receipt);
    public static Delivery Failed(string by, string error) => new(false, by, error);
    public static Delivery Throttled(string by, DateTime at, string why) => new(false, by, why, at);
}

/// <summary>The channel senders. Each is built to its published protocol and tested against a local fake that checks it.</summary>
internal static class ChannelProtocols
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// SMS gateway: POST JSON <c>{phoneNumbers, signName, templateCode, templateParam, outId}</c> with <c>templateParam</c> a JSON
    /// string (the shape of Aliyun, Tencent Cloud and most Chinese gateways), headers <c>X-Access-Key</c> and
    /// <c>X-Signature</c> (hex HMAC-SHA256 of the body with the secret). The answer <c>{"code":"OK","bizId":"..."}</c>;
    /// <c>outId</c> (our idempotency key) comes back in the delivery receipt.
    /// </summary>
    public static async Task<Delivery> SmsGatewayAsync(HttpClient http, SmsOptions sms, string phone, string? templateCode,
        IReadOnlyDictionary<string, string> parameters, string outId, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(sms.GatewayUrl)) return Delivery.Failed("gateway", "CivicGrid:Messaging:Sms:GatewayUrl is not set");
        if (string.IsNullOrEmpty(templateCode)) return Delivery.Failed("gateway", "no SMS template code for this message kind");
        var body = JsonSerializer.Serialize(new
        {
            phoneNumbers = phone, signName = sms.SignName, templateCode, templateParam = JsonSerializer.Serialize(parameters, Json), outId,
        }, Json);
        using var request = new HttpRequestMessage(HttpMethod.Post, sms.GatewayUrl) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Access-Key", sms.AccessKey ?? "");
        request.Headers.Add("X-Signature", Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(sms.Secret ?? ""), Encoding.UTF8.GetBytes(body))));
        using var response = await http.SendAsync(request, ct);
        var answer = await ReadJsonAsync(response, ct);
        var code = answer?["code"]?.GetValue<string>();
        if (response.IsSuccessStatusCode && code == "OK") return Delivery.Sent("gateway", answer?["bizId"]?.GetValue<string>());
        // Gateways answer a flow-control code when a number gets too many messages: try again later, not an attempt lost.
        if (code is "isv.BUSINESS_LIMIT_CONTROL" or "LimitExceeded")
            return Delivery.Throttled("gateway", DateTime.UtcNow.AddHours(1), $"gateway flow control: {code}");
        return Delivery.Failed("gateway", $"gateway answered {(int)response.StatusCode} {code} {answer?["message"]}");
    }

    /// <summary>
    /// DingTalk group robot: POST <c>{"msgtype":"text","text":{"content":...}}</c> to the webhook with
    /// <c>&amp;timestamp=ms&amp;sign=</c> the URL-encoded base64 HMAC-SHA256 of <c>timestamp + "\n" + secret</c> keyed by the secret.
    /// errcode 0 is delivered; 130101 (sending too fast) blocks the robot: retry in 10 minutes.
    /// </summary>
    public static async Task<Delivery> DingTalkAsync(HttpClient http, RobotOptions robot, string text, DateTimeOffset now, CancellationToken ct)
    {
        var url = robot.Url;
        if (!string.IsNullOrEmpty(robot.Secret))
        {
            var timestamp = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
            url += (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + $"timestamp={timestamp}&sign={Uri.EscapeDataString(DingTalkSign(timestamp, robot.Secret))}";
        }
        using var response = await http.PostAsJsonAsync(url, new { msgtype = "text", text = new { content = text } }, Json, ct);
        var answer = await ReadJsonAsync(response, ct);
        var errcode = answer?["errcode"]?.GetValue<int>();
        if (response.IsSuccessStatusCode && errcode == 0) return Delivery.Sent("dingtalk");
        if (errcode == 130101) return Delivery.Throttled("dingtalk", now.UtcDateTime.AddMinutes(10), "robot blocked for sending too fast (130101)");
        return Delivery.Failed("dingtalk", $"robot answered {(int)response.StatusCode} errcode {errcode} {answer?["errmsg"]}");
    }

    public static string DingTalkSign(string timestamp, string secret) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(timestamp + "\n" + secret)));

    /// <summary>WeCom group robot: POST <c>{"msgtype":"text","text":{"content":...}}</c>; errcode 45009 is its rate limit.</summary>
    public static async Task<Delivery> WeComAsync(HttpClient http, RobotOptions robot, string text, DateTimeOffset now, CancellationToken ct)
    {
        using var response = await http.PostAsJsonAsync(robot.Url, new { msgtype = "text", text = new { content = text } }, Json, ct);
        var answer = await ReadJsonAsync(response, ct);
        var errcode = answer?["errcode"]?.GetValue<int>();
        if (response.IsSuccessStatusCode && errcode == 0) return Delivery.Sent("wecom");
        if (errcode == 45009) return Delivery.Throttled("wecom", now.UtcDateTime.AddMinutes(10), "robot over its rate limit (45009)");
        return Delivery.Failed("wecom", $"robot answered {(int)response.StatusCode} errcode {errcode} {answer?["errmsg"]}");
    }

    /// <summary>
    /// 浙政钉 work notice: POST form <c>/message/workNotification</c> (tenantId, receiverIds, bizMsgId, msg) signed as the
    /// government DingTalk open platform signs requests: headers X-Hmac-Auth-Timestamp, -Version 1.0, -Nonce, apiKey and
    /// X-Hmac-Auth-Signature = base64 HMAC-SHA256 of "POST\n{timestamp}\n{nonce}\n{path}\n{sorted form}" keyed by the app secret.
    /// bizMsgId (our idempotency key) lets the platform drop a repeat.
    /// </summary>
    public static async Task<Delivery> ZzdAsync(HttpClient http, ZzdOptions zzd, string receiverId, string text, string bizMsgId, DateTimeOffset now, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(zzd.BaseUrl) || string.IsNullOrEmpty(zzd.AppKey) || string.IsNullOrEmpty(zzd.AppSecret))
            return Delivery.Failed("zzd", "CivicGrid:Messaging:Zzd is not configured");
        const string path = "/message/workNotification";
        var form = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["bizMsgId"] = bizMsgId,
            ["msg"] = JsonSerializer.Serialize(new { msgtype = "text", text = new { content = text } }, Json),
            ["receiverIds"] = receiverId,
            ["tenantId"] = zzd.TenantId ?? "",
        };
        var timestamp = now.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture);
        var nonce = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture) + RandomNumberGenerator.GetInt32(1000, 9999).ToString(CultureInfo.InvariantCulture);
        using var request = new HttpRequestMessage(HttpMethod.Post, zzd.BaseUrl.TrimEnd('/') + path) { Content = new FormUrlEncodedContent(form) };
        request.Headers.Add("X-Hmac-Auth-Timestamp", timestamp);
        request.Headers.Add("X-Hmac-Auth-Version", "1.0");
        request.Headers.Add("X-Hmac-Auth-Nonce", nonce);
        request.Headers.Add("apiKey", zzd.AppKey);
        request.Headers.Add("X-Hmac-Auth-Signature", ZzdSign(zzd.AppSecret, timestamp, nonce, path, form));
        using var response = await http.SendAsync(request, ct);
        var answer = await ReadJsonAsync(response, ct);
        if (response.IsSuccessStatusCode && answer?["success"]?.GetValue<bool>() == true) return Delivery.Sent("zzd");
        return Delivery.Failed("zzd", $"浙政钉 answered {(int)response.StatusCode} {answer?["errorCode"]} {answer?["errorMsg"]}");
    }

    public static string ZzdSign(string secret, string timestamp, string nonce, string path, IEnumerable<KeyValuePair<string, string>> sortedForm)
    {
        var parameters = string.Join("&", sortedForm.Select(p => $"{p.Key}={p.Value}"));
        var bytes = Encoding.UTF8.GetBytes($"POST\n{timestamp}\n{nonce}\n{path}\n{parameters}");
        return Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), bytes));
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpResponseMessage response, CancellationToken ct)
    {
        try
        {
            return JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
