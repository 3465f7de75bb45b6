using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.SignIn;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Outbox;

/// <summary>
/// The platform's code sender until the messaging platform replaces it: the sign-in code goes out as an SMS through this
/// module's outbox (recipient encrypted, dispatched once committed). The stored text shows the code as asterisks; the
/// text with the code is kept only encrypted, and only until it is delivered.
/// </summary>
internal sealed class OutboxCodeSender(IDbContextFactory<PopulationDbContext> factory, PersonalDataProtector protector, OutboxSignal signal,
    TimeProvider time) : ICodeSender
{
    public async Task SendAsync(CodeMessage message, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        OutboxSignal.EnqueueSecret(db, protector, message.Phone, Text(message, "******"), Text(message, message.Code), time.GetUtcNow().UtcDateTime);
        await db.SaveChangesAsync(ct);
        signal.Notify();
    }

    private static string Text(CodeMessage m, string code)
    {
        var who = m.Purpose switch
        {
            "landlord" => "房东登录",
            "reporter" => "问题反映",
            "party" => "调解案件查询",
            _ => "登录",
        };
        return $"【萧山基层智治】您的{who}验证码为 {code}，{m.Lifetime.TotalMinutes:0} 分钟内有效，请勿告诉他人。";
    }
}
