using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.Messaging;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CivicGrid.Web.Tests.Features.Messaging;

/// <summary>A local HTTP endpoint standing in for a provider: records each request and answers with <see cref="Answer"/>.</summary>
public sealed class FakeProvider : IDisposable
{
    private readonly HttpListener listener = new();

    public sealed record Request(string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body);

    public ConcurrentQueue<Request> Requests { get; } = new();

    public Func<Request, (int Status, string Body)> Answer { get; set; } = _ => (200, "{}");

    public string Url { get; }

    public FakeProvider()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        Url = $"http://127.0.0.1:{port}";
        listener.Prefixes.Add(Url + "/");
        listener.Start();
        _ = Task.Run(async () =>
        {
            while (listener.IsListening)
            {
                HttpListenerContext c;
                try { c = await listener.GetContextAsync(); } catch (Exception) { return; }
                using var reader = new StreamReader(c.Request.InputStream);
                var request = new Request(c.Request.Url!.AbsolutePath, c.Request.Url.Query,
                    c.Request.Headers.AllKeys.Where(k => k is not null).ToDictionary(k => k!, k => c.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase),
                    await reader.ReadToEndAsync());
                Requests.Enqueue(request);
                var (status, body) = Answer(request);
                c.Response.StatusCode = status;
                c.Response.ContentType = "application/json";
                var bytes = System.Text.Encoding.UTF8.GetBytes(body);
                await c.Response.OutputStream.WriteAsync(bytes);
                c.Response.Close();
            }
        });
    }

    public void Dispose() => listener.Close();
}

/// <summary>A platform whose messaging settings point at local fakes.</summary>
public sealed class MessagingFactory(Dictionary<string, string> settings) : PlatformFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        // Tests drive the dispatcher themselves: this node's background one does not send.
        builder.UseSetting("CivicGrid:Messaging:Enabled", "false");
        foreach (var (k, v) in settings) builder.UseSetting(k, v);
    }
}

public class OutboxTests
{
    private static Dictionary<string, string> P(params (string, string)[] values) => values.ToDictionary(v => v.Item1, v => v.Item2);

    private static async Task<long> EnqueueAsync(MessagingFactory factory, Func<Outbox, KernelDbContext, OutboxMessage> add)
    {
        using var scope = factory.Services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KernelDbContext>();
        var message = add(scope.ServiceProvider.GetRequiredService<Outbox>(), db);
        await db.SaveChangesAsync();
        return message.Id;
    }

    private static Task<OutboxMessage> LoadAsync(MessagingFactory factory, long id) =>
        factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Outbox.AsNoTracking().FirstAsync(m => m.Id == id));

    private static async Task DrainAsync(MessagingFactory factory)
    {
        var dispatcher = factory.Services.GetRequiredService<OutboxDispatcher>();
        while (await dispatcher.DispatchAsync(default) > 0) { }
    }

    /// <summary>Drives the dispatcher until the message reaches <paramref name="state"/> (another dispatcher may hold it for a moment).</summary>
    private static async Task WaitForStateAsync(MessagingFactory factory, long id, string state)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while ((await LoadAsync(factory, id)).State != state)
        {
            timeout.Token.ThrowIfCancellationRequested();
            await DrainAsync(factory);
            await Task.Yield();
        }
    }

    [Fact]
    public async Task Sms_ThroughGateway_SendsTemplateCodeAndParametersWithOutId_SignedBody_CodeNeverStoredInClear()
    {
        using var gateway = new FakeProvider { Answer = _ => (200, "{\"code\":\"OK\",\"bizId\":\"biz-1\"}") };
        using var factory = new MessagingFactory(new()
        {
            ["CivicGrid:Messaging:Sms:Provider"] = "gateway", ["CivicGrid:Messaging:Sms:GatewayUrl"] = gateway.Url + "/sms/send",
            ["CivicGrid:Messaging:Sms:AccessKey"] = "ak", ["CivicGrid:Messaging:Sms:Secret"] = "gateway-secret",
        });
        var id = await EnqueueAsync(factory, (o, db) => o.EnqueueSms(db, "signin.code", "13912345678",
            P(("purpose", "房东登录"), ("minutes", "5")), "/", secrets: P(("code", "482913"))));
        var stored = await LoadAsync(factory, id);
        Assert.DoesNotContain("482913", stored.Body + stored.Parameters);
        Assert.DoesNotContain("13912345678", System.Text.Encoding.UTF8.GetString(stored.Recipient));

        await DrainAsync(factory);
        var request = Assert.Single(gateway.Requests);
        using var json = JsonDocument.Parse(request.Body);
        Assert.Equal("13912345678", json.RootElement.GetProperty("phoneNumbers").GetString());
        Assert.Equal("萧山基层智治", json.RootElement.GetProperty("signName").GetString());
        Assert.Equal("SMS_CIVICGRID_CODE", json.RootElement.GetProperty("templateCode").GetString());
        var parameters = JsonDocument.Parse(json.RootElement.GetProperty("templateParam").GetString()!).RootElement;
        Assert.Equal("482913", parameters.GetProperty("code").GetString());
        Assert.Equal(stored.IdempotencyKey, json.RootElement.GetProperty("outId").GetString());
        var expected = Convert.ToHexStringLower(System.Security.Cryptography.HMACSHA256.HashData("gateway-secret"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes(request.Body)));
        Assert.Equal(expected, request.Headers["X-Signature"]);

        var sent = await LoadAsync(factory, id);
        Assert.Equal(OutboxStates.Sent, sent.State);
        Assert.Equal("biz-1", sent.Receipt);
        Assert.Null(sent.SecretParameters);
    }

    [Fact]
    public async Task FailingChannel_RetriesWithGrowingDelay_ThenDead_ResendByAdminDelivers()
    {
        var fail = true;
        using var gateway = new FakeProvider();
        gateway.Answer = _ => fail ? (500, "{\"code\":\"ServiceUnavailable\"}") : (200, "{\"code\":\"OK\",\"bizId\":\"b\"}");
        using var factory = new MessagingFactory(new()
        {
            ["CivicGrid:Messaging:Sms:Provider"] = "gateway", ["CivicGrid:Messaging:Sms:GatewayUrl"] = gateway.Url + "/send", ["CivicGrid:Messaging:MaxAttempts"] = "3",
        });
        var id = await EnqueueAsync(factory, (o, db) => o.EnqueueSms(db, MessagingServices.NoticeKind, "13912340000", P(("text", "停水通知")), "/"));
        await DrainAsync(factory);
        var first = await LoadAsync(factory, id);
        Assert.Equal((OutboxStates.Pending, 1), (first.State, first.Attempts));
        Assert.Equal(factory.Time.GetUtcNow().UtcDateTime.AddSeconds(30), first.NextAttemptAt);
        // Not due yet: nothing is tried.
        await DrainAsync(factory);
        Assert.Single(gateway.Requests);
        factory.Time.Advance(TimeSpan.FromSeconds(31));
        await DrainAsync(factory);
        var second = await LoadAsync(factory, id);
        Assert.Equal(2, second.Attempts);
        Assert.Equal(factory.Time.GetUtcNow().UtcDateTime.AddSeconds(60), second.NextAttemptAt);
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        await DrainAsync(factory);
        var dead = await LoadAsync(factory, id);
        Assert.Equal(OutboxStates.Dead, dead.State);
        Assert.Contains("500", dead.LastError);

        var admin = await factory.SignInAsync("admin");
        var list = await admin.GetFromJsonAsync<JsonElement>("/api/v1/messages?state=dead");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), m => m.GetProperty("id").GetInt64() == id && m.GetProperty("recipient").GetString() == "139****0000");
        fail = false;
        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/v1/messages/{id}/resend", null)).StatusCode);
        // The resend wakes this node's background dispatcher too: whichever claims it, it is sent once.
        await WaitForStateAsync(factory, id, OutboxStates.Sent);
        Assert.Equal(4, gateway.Requests.Count);
        // A message that is not dead is not resent.
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/messages/{id}/resend", null)).StatusCode);
        var grid = await factory.SignInAsync("grid");
        Assert.Equal(HttpStatusCode.Forbidden, (await grid.GetAsync("/api/v1/messages")).StatusCode);
    }

    [Fact]
    public async Task DingTalkRobot_SignsEachRequest_And25Messages_Send20ThisMinute_TheRestQueuedNotDropped()
    {
        const string secret = "SEC-robot-secret";
        using var robot = new FakeProvider();
        robot.Answer = r =>
        {
            // The fake checks DingTalk's signature: base64 HMAC-SHA256 of "timestamp\nsecret", URL-encoded in the query.
            var query = System.Web.HttpUtility.ParseQueryString(r.Query);
            var ok = query["sign"] == Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret),
                System.Text.Encoding.UTF8.GetBytes(query["timestamp"] + "\n" + secret)));
            return ok ? (200, "{\"errcode\":0,\"errmsg\":\"ok\"}") : (200, "{\"errcode\":310000,\"errmsg\":\"sign not match\"}");
        };
        using var factory = new MessagingFactory(new()
        {
            ["CivicGrid:Messaging:Robots:zhonglian:Kind"] = "dingtalk", ["CivicGrid:Messaging:Robots:zhonglian:Url"] = robot.Url + "/robot/send?access_token=t",
            ["CivicGrid:Messaging:Robots:zhonglian:Secret"] = secret,
        });
        var ids = new List<long>();
        for (var i = 0; i < 25; i++)
            ids.Add(await EnqueueAsync(factory, (o, db) => o.EnqueueRobot(db, MessagingServices.NoticeKind, Channels.DingTalk, "zhonglian", P(("text", $"第{i}条")), "/")));
        await DrainAsync(factory);
        Assert.Equal(20, robot.Requests.Count);
        var states = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Outbox.AsNoTracking().Where(m => ids.Contains(m.Id)).ToListAsync());
        Assert.Equal(20, states.Count(m => m.State == OutboxStates.Sent));
        Assert.All(states.Where(m => m.State != OutboxStates.Sent), m => Assert.Equal((OutboxStates.Pending, 0), (m.State, m.Attempts)));
        using (var body = JsonDocument.Parse(robot.Requests.First().Body))
        {
            Assert.Equal("text", body.RootElement.GetProperty("msgtype").GetString());
            Assert.StartsWith("【萧山基层智治】第", body.RootElement.GetProperty("text").GetProperty("content").GetString());
        }
        factory.Time.Advance(TimeSpan.FromSeconds(62));
        await DrainAsync(factory);
        Assert.Equal(25, robot.Requests.Count);
    }

    [Fact]
    public async Task WeComRobot_BlockedAnswer_WaitsTenMinutes_WithoutLosingTheMessage()
    {
        var blocked = true;
        using var robot = new FakeProvider();
        robot.Answer = _ => blocked ? (200, "{\"errcode\":45009,\"errmsg\":\"api freq out of limit\"}") : (200, "{\"errcode\":0,\"errmsg\":\"ok\"}");
        using var factory = new MessagingFactory(new()
        {
            ["CivicGrid:Messaging:Robots:town:Kind"] = "wecom", ["CivicGrid:Messaging:Robots:town:Url"] = robot.Url + "/cgi-bin/webhook/send?key=k",
        });
        var id = await EnqueueAsync(factory, (o, db) => o.EnqueueRobot(db, MessagingServices.NoticeKind, Channels.WeCom, "town", P(("text", "台风预警")), "/"));
        await DrainAsync(factory);
        var waiting = await LoadAsync(factory, id);
        Assert.Equal((OutboxStates.Pending, 0), (waiting.State, waiting.Attempts));
        Assert.Equal(factory.Time.GetUtcNow().UtcDateTime.AddMinutes(10), waiting.NextAttemptAt);
        blocked = false;
        factory.Time.Advance(TimeSpan.FromMinutes(10));
        await DrainAsync(factory);
        Assert.Equal(OutboxStates.Sent, (await LoadAsync(factory, id)).State);
    }

    [Fact]
    public async Task ZzdWorkNotice_SignedAsTheOpenPlatformSigns_SameContentOncePerDay()
    {
        using var zzd = new FakeProvider();
        zzd.Answer = r =>
        {
            var form = System.Web.HttpUtility.ParseQueryString(r.Body);
            var sorted = form.AllKeys.Order(StringComparer.Ordinal).Select(k => new KeyValuePair<string, string>(k!, form[k]!));
            var sign = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData("app-secret"u8.ToArray(), System.Text.Encoding.UTF8.GetBytes(
                $"POST\n{r.Headers["X-Hmac-Auth-Timestamp"]}\n{r.Headers["X-Hmac-Auth-Nonce"]}\n{r.Path}\n{string.Join("&", sorted.Select(p => $"{p.Key}={p.Value}"))}")));
            return sign == r.Headers["X-Hmac-Auth-Signature"] && r.Headers["apiKey"] == "app-key" && form["receiverIds"] == "zzd-1001" && form["bizMsgId"] is { Length: > 0 }
                ? (200, "{\"success\":true,\"content\":{\"success\":true}}")
                : (200, "{\"success\":false,\"errorCode\":\"SIGN\",\"errorMsg\":\"bad signature\"}");
        };
        using var factory = new MessagingFactory(new()
        {
            ["CivicGrid:Messaging:Zzd:BaseUrl"] = zzd.Url, ["CivicGrid:Messaging:Zzd:AppKey"] = "app-key", ["CivicGrid:Messaging:Zzd:AppSecret"] = "app-secret",
            ["CivicGrid:Messaging:Zzd:TenantId"] = "196729",
        });
        var first = await EnqueueAsync(factory, (o, db) => o.EnqueueStaff(db, MessagingServices.NoticeKind, Channels.ZheZhengDing, "zzd-1001", P(("text", "请核实出租房")), "/"));
        var repeat = await EnqueueAsync(factory, (o, db) => o.EnqueueStaff(db, MessagingServices.NoticeKind, Channels.ZheZhengDing, "zzd-1001", P(("text", "请核实出租房")), "/"));
        await DrainAsync(factory);
        Assert.Single(zzd.Requests);
        Assert.Equal(("sent", "zzd"), ((await LoadAsync(factory, first)).State, (await LoadAsync(factory, first)).SentBy));
        Assert.Equal("zzd-same-today", (await LoadAsync(factory, repeat)).SentBy);
    }

    private sealed class Store(ConcurrentQueue<string> mails) : SmtpServer.Storage.MessageStore
    {
        public override Task<SmtpServer.Protocol.SmtpResponse> SaveAsync(SmtpServer.ISessionContext context, SmtpServer.IMessageTransaction transaction,
            ReadOnlySequence<byte> buffer, CancellationToken cancellationToken)
        {
            mails.Enqueue(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
            return Task.FromResult(SmtpServer.Protocol.SmtpResponse.Ok);
        }
    }

    [Fact]
    public async Task Email_OverSmtp_ArrivesWithTheIdempotencyKeyAsMessageId()
    {
        var probe = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        var mails = new ConcurrentQueue<string>();
        var options = new SmtpServer.SmtpServerOptionsBuilder().ServerName("localhost").Endpoint(e => e.Endpoint(new IPEndPoint(IPAddress.Loopback, port))).Build();
        var services = new SmtpServer.ComponentModel.ServiceProvider();
        services.Add(new Store(mails));
        var server = new SmtpServer.SmtpServer(options, services);
        using var stop = new CancellationTokenSource();
        var running = server.StartAsync(stop.Token);
        using var factory = new MessagingFactory(new()
        {
            ["CivicGrid:Messaging:Smtp:Host"] = "127.0.0.1", ["CivicGrid:Messaging:Smtp:Port"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["CivicGrid:Messaging:Smtp:From"] = "civicgrid@xiaoshan.example",
        });
        var id = await EnqueueAsync(factory, (o, db) => o.EnqueueEmail(db, MessagingServices.NoticeKind, "zhang.wei@example.org", P(("text", "月度考评已发布")), "/"));
        var stored = await LoadAsync(factory, id);
        Assert.Equal("z***@example.org", stored.RecipientMasked);
        await DrainAsync(factory);
        var mail = Assert.Single(mails);
        Assert.Contains("zhang.wei@example.org", mail);
        Assert.Contains(stored.IdempotencyKey.Replace(':', '.'), mail);
        Assert.Equal(OutboxStates.Sent, (await LoadAsync(factory, id)).State);
        await stop.CancelAsync();
        try { await running; } catch (OperationCanceledException) { }
    }

    [Fact]
    public async Task ResidentRepliesT_NonEssentialMessagesStop_EssentialStillGo_CallbacksNeedTheToken()
    {
        using var factory = new MessagingFactory(new() { ["CivicGrid:Messaging:Sms:CallbackToken"] = "cb-token" });
        var client = factory.CreateClient();
        var noToken = await client.PostAsJsonAsync("/api/v1/messaging/sms/replies", new { phone = "13912349999", content = "T" });
        Assert.Equal(HttpStatusCode.Forbidden, noToken.StatusCode);
        using var reply = new HttpRequestMessage(HttpMethod.Post, "/api/v1/messaging/sms/replies")
        {
            Content = JsonContent.Create(new { phone = "+86 139 1234 9999", content = "t" }), Headers = { { "X-Callback-Token", "cb-token" } },
        };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(reply)).StatusCode);
        var notice = await EnqueueAsync(factory, (o, db) => o.EnqueueSms(db, MessagingServices.NoticeKind, "13912349999", P(("text", "社区活动")), "/"));
        var code = await EnqueueAsync(factory, (o, db) => o.EnqueueSms(db, "signin.code", "13912349999", P(("purpose", "登录"), ("minutes", "5")), "/", secrets: P(("code", "111222"))));
        await DrainAsync(factory);
        Assert.Equal(OutboxStates.OptedOut, (await LoadAsync(factory, notice)).State);
        Assert.Equal(OutboxStates.Sent, (await LoadAsync(factory, code)).State);

        // The delivery receipt echoes the outId and is kept on the message.
        var key = (await LoadAsync(factory, code)).IdempotencyKey;
        using var receipt = new HttpRequestMessage(HttpMethod.Post, "/api/v1/messaging/sms/receipts")
        {
            Content = JsonContent.Create(new[] { new { outId = key, success = true, errCode = (string?)null } }), Headers = { { "X-Callback-Token", "cb-token" } },
        };
        Assert.Equal(1, await (await client.SendAsync(receipt)).Content.ReadFromJsonAsync<int>());
        Assert.Equal("DELIVERED", (await LoadAsync(factory, code)).Receipt);
    }

    [Fact]
    public async Task Template_EditedByAdmin_UnknownParameterRefusedNamingText_NewMessagesUseIt()
    {
        using var factory = new MessagingFactory([]);
        var admin = await factory.SignInAsync("admin");
        var bad = await admin.PutAsJsonAsync("/api/v1/message-templates/signin.code", new { text = "验证码 {code}，{oops}", smsTemplateCode = "SMS_1" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        var message = problem.GetProperty("errors").GetProperty("text")[0].GetString()!;
        Assert.Contains("oops", message);
        Assert.Contains("unknown parameters", message);
        var lost = await admin.PutAsJsonAsync("/api/v1/message-templates/signin.code", new { text = "您的验证码已发送", smsTemplateCode = "SMS_1" });
        Assert.Equal(HttpStatusCode.BadRequest, lost.StatusCode);

        var ok = await admin.PutAsJsonAsync("/api/v1/message-templates/platform.notice", new { text = "【萧山区】{text}（回T退订）", smsTemplateCode = "SMS_2468" });
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var id = await EnqueueAsync(factory, (o, db) => o.EnqueueSms(db, MessagingServices.NoticeKind, "13912340001", P(("text", "停电通知")), "/"));
        var stored = await LoadAsync(factory, id);
        Assert.Equal("【萧山区】停电通知（回T退订）", stored.Body);
        Assert.Equal("SMS_2468", stored.TemplateCode);
        var audit = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries.AnyAsync(a => a.Action == "messaging.template.save"));
        Assert.True(audit);
    }

    [Fact]
    public async Task Inbox_MessageToStaff_AppearsOnceInTheirInbox_MarkRead()
    {
        using var factory = new MessagingFactory([]);
        var admin = await factory.SignInAsync("admin");
        var grid = await factory.SignInAsync("grid");
        var userId = (await factory.WithScopeAsync(sp => sp.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<Kernel.Accounts.StaffUser>>().FindByNameAsync("grid")))!.Id;
        var id = await EnqueueAsync(factory, (o, db) => o.EnqueueStaff(db, MessagingServices.NoticeKind, Channels.Inbox, userId, P(("text", "新的走访任务")), "/"));
        await DrainAsync(factory);
        // Delivered twice (a node died after sending, before recording): the inbox still holds it once.
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<KernelDbContext>();
            await db.Outbox.Where(m => m.Id == id).ExecuteUpdateAsync(s => s.SetProperty(m => m.State, OutboxStates.Pending));
            return 0;
        });
        await DrainAsync(factory);
        var inbox = await grid.GetFromJsonAsync<JsonElement>("/api/v1/inbox");
        var item = Assert.Single(inbox.EnumerateArray());
        Assert.Contains("新的走访任务", item.GetProperty("body").GetString());
        Assert.False(item.GetProperty("read").GetBoolean());
        Assert.Empty((await admin.GetFromJsonAsync<JsonElement>("/api/v1/inbox")).EnumerateArray());
        Assert.Equal(HttpStatusCode.NotFound, (await admin.PostAsync($"/api/v1/inbox/{item.GetProperty("id").GetInt64()}/read", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await grid.PostAsync($"/api/v1/inbox/{item.GetProperty("id").GetInt64()}/read", null)).StatusCode);
        Assert.True((await grid.GetFromJsonAsync<JsonElement>("/api/v1/inbox"))[0].GetProperty("read").GetBoolean());
    }

    [Fact]
    public async Task TwoNodes_DispatchingTogether_EachMessageClaimedOnce_AKilledNodesLeaseRunsOut()
    {
        var seen = new ConcurrentDictionary<string, int>();
        using var gateway = new FakeProvider();
        gateway.Answer = r =>
        {
            using var json = JsonDocument.Parse(r.Body);
            seen.AddOrUpdate(json.RootElement.GetProperty("outId").GetString()!, 1, (_, n) => n + 1);
            return (200, "{\"code\":\"OK\",\"bizId\":\"x\"}");
        };
        using var factory = new MessagingFactory(new()
        {
            ["CivicGrid:Messaging:Sms:Provider"] = "gateway", ["CivicGrid:Messaging:Sms:GatewayUrl"] = gateway.Url + "/send",
        });
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<KernelDbContext>();
            var outbox = sp.GetRequiredService<Outbox>();
            for (var i = 0; i < 300; i++) outbox.EnqueueSms(db, MessagingServices.NoticeKind, $"1391234{i:0000}", P(("text", $"n{i}")), "/");
            await db.SaveChangesAsync();
            return 0;
        });
        OutboxDispatcher Node(string name) => new(factory.Services.GetRequiredService<IDbContextFactory<KernelDbContext>>(), factory.Services.GetRequiredService<Outbox>(),
            factory.Services.GetRequiredService<DatabaseOptions>(), factory.Services.GetRequiredService<IOptions<MessagingOptions>>(), new JobOptions { NodeId = name },
            factory.Services.GetRequiredService<IHttpClientFactory>(), factory.Time, NullLogger<OutboxDispatcher>.Instance);
        var a = Node("node-a");
        var b = Node("node-b");
        async Task Drain(OutboxDispatcher d) { while (await d.DispatchAsync(default, batch: 20) > 0) { } }
        await Task.WhenAll(Task.Run(() => Drain(a)), Task.Run(() => Drain(b)));
        Assert.Equal(300, seen.Count);
        Assert.All(seen.Values, n => Assert.Equal(1, n));

        // A node that claimed messages and died: nobody takes them until its lease runs out, then another node does.
        var stranded = await EnqueueAsync(factory, (o, db) => o.EnqueueSms(db, MessagingServices.NoticeKind, "13900000001", P(("text", "x")), "/"));
        await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Outbox.Where(m => m.Id == stranded).ExecuteUpdateAsync(s => s
            .SetProperty(m => m.LeaseOwner, "dead-node").SetProperty(m => m.LeaseUntil, factory.Time.GetUtcNow().UtcDateTime.AddSeconds(60))));
        await Drain(a);
        Assert.Equal(OutboxStates.Pending, (await LoadAsync(factory, stranded)).State);
        factory.Time.Advance(TimeSpan.FromSeconds(61));
        await Drain(b);
        Assert.Equal(OutboxStates.Sent, (await LoadAsync(factory, stranded)).State);
    }

    [Fact]
    public async Task MessageOfAWriteThatRollsBack_IsNeverSent_AnUnconfiguredRobot_FailsWithAClearError()
    {
        using var gateway = new FakeProvider { Answer = _ => (200, "{\"code\":\"OK\",\"bizId\":\"x\"}") };
        using var factory = new MessagingFactory(new()
        {
            ["CivicGrid:Messaging:Sms:Provider"] = "gateway", ["CivicGrid:Messaging:Sms:GatewayUrl"] = gateway.Url + "/send",
        });
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<KernelDbContext>();
            await using var tx = await db.Database.BeginTransactionAsync();
            sp.GetRequiredService<Outbox>().EnqueueSms(db, MessagingServices.NoticeKind, "13912345000", P(("text", "回滚")), "/");
            await db.SaveChangesAsync();
            await tx.RollbackAsync();
            return 0;
        });
        var robot = await EnqueueAsync(factory, (o, db) => o.EnqueueRobot(db, MessagingServices.NoticeKind, Channels.DingTalk, "nobody", P(("text", "x")), "/"));
        await DrainAsync(factory);
        Assert.Empty(gateway.Requests);
        Assert.False(await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Outbox.AnyAsync(m => m.Body.Contains("回滚"))));
        var failed = await LoadAsync(factory, robot);
        Assert.Equal(1, failed.Attempts);
        Assert.Contains("robot nobody is not configured", failed.LastError);
        // A template parameter missing is the caller's bug: refused before anything is written.
        Assert.Throws<ArgumentException>(() => factory.WithScope(sp => sp.GetRequiredService<Outbox>()
            .EnqueueSms(sp.GetRequiredService<KernelDbContext>(), "signin.code", "13912345000", P(("purpose", "登录")), "/")));
    }
}
