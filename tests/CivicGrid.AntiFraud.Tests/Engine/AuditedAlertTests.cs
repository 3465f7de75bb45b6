using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Engine;
using CivicGrid.Kernel.Audit;
using CivicGrid.Streams;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.AntiFraud.Tests.Engine;

/// <summary>Alerts and their audit lines commit together: a batch whose lines are refused leaves no alert, and is stored whole later.</summary>
public class AuditedAlertTests
{
    private const string Action = "antifraud.alert.raise";

    [Fact]
    public async Task Store_AuditLinesRefused_NoAlertStored_SameBatchStoredLater()
    {
        await using var factory = new PlatformFactory();
        _ = factory.Server;
        var writer = factory.Services.GetRequiredService<AlertWriter>();
        var now = factory.Time.GetUtcNow();
        Alert Raise(string subject) => new(subject, "police.call-no-verify-transfer", "冒充公检法", null, ResponseLevel.Visit, 140, now, now,
            AlertBed.PoliceScenario(subject, now, subject));
        List<Alert> batch = [Raise("audited-alert-subject-01"), Raise("audited-alert-subject-02")];
        var subjects = batch.Select(a => a.Subject).ToList();
        Task<List<FraudAlert>> StoredAsync() => factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Alerts.AsNoTracking()
            .Where(a => subjects.Contains(a.Subject)).ToListAsync());

        await factory.WithScopeAsync(async sp => { await AuditFailures.RejectAsync(sp.GetRequiredService<AntiFraudDbContext>(), Action); return 0; });
        try
        {
            await Assert.ThrowsAnyAsync<DbUpdateException>(() => writer.StoreAsync(batch, default));
            Assert.Empty(await StoredAsync());
        }
        finally
        {
            await factory.WithScopeAsync(async sp => { await AuditFailures.AllowAsync(sp.GetRequiredService<AntiFraudDbContext>()); return 0; });
        }

        // Stored again (as the writer retries a batch), the batch goes in whole: each alert once, each with its line.
        await writer.StoreAsync(batch, default);
        var stored = await StoredAsync();
        Assert.Equal(2, stored.Count);
        var targets = stored.Select(a => $"alert:{a.Id}").ToList();
        Assert.Equal(2, await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Set<AuditEntry>()
            .CountAsync(a => a.Action == Action && targets.Contains(a.Target))));
    }
}
