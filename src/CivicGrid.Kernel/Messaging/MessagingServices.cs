using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.SignIn;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CivicGrid.Kernel.Messaging;

public static class MessagingServices
{
    /// <summary>A free-text notice (to residents of a grid or village, to staff): not essential, so residents who opted out do not get it.</summary>
    public const string NoticeKind = "platform.notice";

    /// <summary>The outbox, its dispatcher on this node, the channels, and the sign-in code sender.</summary>
    public static IServiceCollection AddMessaging(this IServiceCollection services, IConfiguration config)
    {
        services.AddOptions<MessagingOptions>().Bind(config.GetSection(MessagingOptions.Section));
        services.AddHttpClient("messaging", c => c.Timeout = TimeSpan.FromSeconds(15));
        services.TryAddSingleton<Outbox>();
        services.TryAddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        services.AddSingleton<ICodeSender, OutboxCodeSender>();
        services.TryAddSingleton<ClusterSignal>();
        services.TryAddSingleton<ClusterListener>();
        services.AddHostedService(sp => sp.GetRequiredService<ClusterListener>());
        services.AddMessageKind(new MessageKind(OutboxCodeSender.Kind, "kernel", "登录验证码", "Sign-in code",
            "【萧山基层智治】您的{purpose}验证码为 {code}，{minutes} 分钟内有效，请勿告诉他人。", "SMS_CIVICGRID_CODE", Essential: true,
            ["purpose", "minutes"], ["code"]));
        services.AddMessageKind(new MessageKind(NoticeKind, "kernel", "通知", "Notice", "【萧山基层智治】{text}", "SMS_CIVICGRID_NOTICE", Essential: false, ["text"]));
        services.AddPlatformJob<OutboxPurge>("outbox_purge", "清理已发送消息中的验证码", "Purge secrets of sent messages", JobSchedule.Every(TimeSpan.FromHours(1)));
        return services;
    }

    /// <summary>Registers a message kind (its built-in template) for the templates page and <see cref="Outbox"/>.</summary>
    public static IServiceCollection AddMessageKind(this IServiceCollection services, MessageKind kind)
    {
        services.AddSingleton(kind);
        return services;
    }
}

/// <summary>The one-time sign-in code goes out as an essential SMS; the code is an encrypted template parameter, never stored in clear.</summary>
internal sealed class OutboxCodeSender(IDbContextFactory<KernelDbContext> factory, Outbox outbox) : ICodeSender
{
    public const string Kind = "signin.code";

    public async Task SendAsync(CodeMessage message, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var purpose = message.Purpose switch
        {
            "landlord" => "房东登录",
            "reporter" => "问题反映",
            "party" => "调解案件查询",
            _ => "登录",
        };
        outbox.EnqueueSms(db, Kind, message.Phone,
            new Dictionary<string, string> { ["purpose"] = purpose, ["minutes"] = message.Lifetime.TotalMinutes.ToString("0", System.Globalization.CultureInfo.InvariantCulture) },
            "/", secrets: new Dictionary<string, string> { ["code"] = message.Code });
        await db.SaveChangesAsync(ct);
        outbox.Notify();
    }
}

/// <summary>Drops the secrets the demo's record-only SMS kept for a day, so no code outlives its use for long.</summary>
internal sealed class OutboxPurge(IDbContextFactory<KernelDbContext> factory, TimeProvider time) : IPlatformJob
{
    public async Task RunAsync(Context.Acting job, CancellationToken ct)
    {
        var before = time.GetUtcNow().UtcDateTime.AddDays(-1);
        await using var db = await factory.CreateDbContextAsync(ct);
        await db.Set<OutboxMessage>().Where(m => m.SecretParameters != null && m.State != OutboxStates.Pending && m.CreatedAt < before)
            .ExecuteUpdateAsync(s => s.SetProperty(m => m.SecretParameters, (byte[]?)null), ct);
    }
}
