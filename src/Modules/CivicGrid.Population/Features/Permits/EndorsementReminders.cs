using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Population.Data;
using CivicGrid.Kernel.Messaging;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CivicGrid.Population.Features.Permits;

/// <summary>
/// Reminds permit holders of their yearly endorsement (签注) by SMS through the outbox, <see cref="PopulationOptions.EndorsementReminderDays"/>
/// days before it is due, once per due day: the reminder row (kind, permit, due day) is unique and commits with the message.
/// Each run first lapses the permits that no longer hold: the holder has no current residence in the register any more
/// (moved away), or the endorsement is more than a year overdue. The platform job <see cref="JobKey"/>, hourly, once per
/// cluster; a repeated run lapses and reminds nothing twice.
/// </summary>
internal sealed class EndorsementReminders(IServiceScopeFactory scopes, Outbox outbox, IOptions<PopulationOptions> options, TimeProvider time,
    ILogger<EndorsementReminders> logger) : IPlatformJob, IDisposable
{
    public const string JobKey = "permit_endorsement_reminders";

    private const int Batch = 200;

    // One run at a time in this process: a scheduled run and a caller (a test, an operator) must not both remind the same holder.
    private readonly SemaphoreSlim running = new(1, 1);

    public Task RunAsync(Acting job, CancellationToken ct) => RunOnceAsync(ct);

    /// <summary>Sends the reminders due now; returns how many went into the outbox.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await running.WaitAsync(ct);
        try
        {
            var now = time.GetUtcNow().UtcDateTime;
            await LapseAsync(now, ct);
            var horizon = Permits.Today(now).AddDays(options.Value.EndorsementReminderDays);
            var sent = 0;
            long after = 0;
            while (true)
            {
                using var scope = scopes.CreateScope();
                var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
                var protector = scope.ServiceProvider.GetRequiredService<PersonalDataProtector>();
                var due = await db.Permits.AsNoTracking()
                    .Where(p => p.Status == PermitStatus.Issued && p.EndorsementDue != null && p.EndorsementDue <= horizon && p.Phone != null && p.Id > after)
                    .Where(p => !db.Reminders.Any(r => r.Kind == ReminderKind.EndorsementDue && r.TargetId == p.Id && r.DueOn == p.EndorsementDue))
                    .OrderBy(p => p.Id).Take(Batch).ToListAsync(ct);
                if (due.Count == 0) break;
                foreach (var p in due)
                {
                    db.Reminders.Add(new Reminder
                    {
                        Kind = ReminderKind.EndorsementDue, TargetId = p.Id, DueOn = p.EndorsementDue!.Value, RegionPath = p.RegionPath, SentAt = now,
                    });
                    outbox.EnqueueSms(db, PopulationMessages.EndorsementDue, protector.Decrypt(p.Phone!), new Dictionary<string, string>
                    {
                        ["name"] = p.Name, ["number"] = p.PermitNumber ?? "", ["due"] = Kernel.Time.ChinaTime.Date(p.EndorsementDue!.Value),
                    }, p.RegionPath, $"population.endorsement:{p.Id}:{p.EndorsementDue:yyyyMMdd}");
                }
                await db.SaveChangesAsync(ct);
                sent += due.Count;
                after = due[^1].Id;
            }
            if (sent > 0) outbox.Notify();
            return sent;
        }
        finally
        {
            running.Release();
        }
    }

    /// <summary>
    /// Sets <see cref="PermitStatus.Lapsed"/> on issued permits whose holder moved away or whose endorsement lapsed, each with
    /// an audit line by <see cref="Actor.System"/> saved together with it (target and reason only, no personal data).
    /// </summary>
    private async Task<int> LapseAsync(DateTime now, CancellationToken ct)
    {
        var yearAgo = Permits.Today(now).AddYears(-1);
        var lapsed = 0;
        while (true)
        {
            // A fresh scope per batch keeps the tracker small; lapsed permits leave the query, so each batch takes the next ones.
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            var batch = await db.Permits
                .Where(p => p.Status == PermitStatus.Issued)
                .Select(p => new
                {
                    Permit = p,
                    MovedAway = !db.Residents.Any(r => r.IdIndex == p.IdIndex && r.Until == null),
                    Overdue = p.EndorsementDue != null && p.EndorsementDue < yearAgo,
                })
                .Where(x => x.MovedAway || x.Overdue)
                .OrderBy(x => x.Permit.Id).Take(Batch).ToListAsync(ct);
            if (batch.Count == 0) break;
            foreach (var x in batch)
            {
                x.Permit.Status = PermitStatus.Lapsed;
                x.Permit.UpdatedAt = now;
                db.Audit(Actor.System, now, LapseAction, $"permit:{x.Permit.Id}", LapseReason(x.MovedAway, x.Overdue));
            }
            await db.SaveChangesAsync(ct);
            lapsed += batch.Count;
        }
        if (lapsed > 0) logger.LogInformation("{Count} residence permits lapsed", lapsed);
        return lapsed;
    }

    public const string LapseAction = "population.permit.lapse";

    /// <summary>The audit detail of a lapse: why, never who.</summary>
    public static string LapseReason(bool movedAway, bool overdue) => (movedAway, overdue) switch
    {
        (true, true) => "reason:moved_away,endorsement_overdue",
        (true, false) => "reason:moved_away",
        _ => "reason:endorsement_overdue",
    };

    public void Dispose() => running.Dispose();
}
