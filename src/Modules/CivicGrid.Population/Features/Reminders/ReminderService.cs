using CivicGrid.Kernel.Calendar;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Kernel.Messaging;
using CivicGrid.Population.Features.Tenancies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace CivicGrid.Population.Features.Reminders;

/// <summary>
/// Reminds landlords of late reports by SMS (through the outbox): the platform job <see cref="JobKey"/>, hourly, once per
/// cluster. Each late report is reminded once: a <see cref="Reminder"/> row (unique by kind, target and due day) commits
/// with its message, so a run repeated (recovered after a node died, or run now) sends nothing twice.
/// </summary>
internal sealed class ReminderService(IServiceScopeFactory scopes, TimeProvider time, IOptionsMonitor<PopulationOptions> options, Outbox outbox,
    ILogger<ReminderService> logger) : IPlatformJob, IDisposable
{
    public const string JobKey = "late_report_reminders";

    public static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    /// <summary>Events older than this are not reminded by SMS (e.g. history imported at start); lists still show them.</summary>
    public const int ReminderLookbackDays = 90;

    // One run at a time in this process: a scheduled run and a direct call never send the same reminder twice.
    private readonly SemaphoreSlim gate = new(1, 1);

    public Task RunAsync(Acting job, CancellationToken ct) => RunOnceAsync(ct);

    /// <summary>Sends the reminders due now; returns how many were sent.</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            using var scope = scopes.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
            var addresses = scope.ServiceProvider.GetRequiredService<AddressDirectory>();
            var protector = scope.ServiceProvider.GetRequiredService<PersonalDataProtector>();
            var now = time.GetUtcNow().UtcDateTime;
            var today = Tenancies.Tenancies.Today(now);
            var late = await LateReports.FindAsync(db, options.CurrentValue, scope.ServiceProvider.GetRequiredService<WorkCalendar>(), today, null, null, today.AddDays(-ReminderLookbackDays), ct);
            if (late.Count == 0) return 0;
            var sent = 0;
            foreach (var chunk in late.Chunk(500))
            {
                var targets = chunk.Select(l => l.TargetId).Distinct().ToList();
                var done = (await db.Reminders.AsNoTracking().Where(r => targets.Contains(r.TargetId))
                    .Select(r => new { r.Kind, r.TargetId, r.DueOn }).ToListAsync(ct)).Select(r => (r.Kind, r.TargetId, r.DueOn)).ToHashSet();
                var todo = chunk.Where(l => !done.Contains((l.Kind, l.TargetId, l.Deadline))).ToList();
                if (todo.Count == 0) continue;
                var landlordIds = todo.Select(l => l.LandlordId).Distinct().ToList();
                var phones = await db.Landlords.AsNoTracking().Where(l => landlordIds.Contains(l.Id)).ToDictionaryAsync(l => l.Id, l => l.Phone, ct);
                var addressIds = todo.Select(l => l.AddressId).Distinct().ToList();
                var lines = await addresses.LinesAsync(addressIds, ct);
                foreach (var item in todo)
                {
                    db.Reminders.Add(new Reminder
                    {
                        Kind = item.Kind, TargetId = item.TargetId, DueOn = item.Deadline, RegionPath = item.RegionPath, LandlordId = item.LandlordId, SentAt = now,
                    });
                    if (phones.TryGetValue(item.LandlordId, out var phone))
                        outbox.EnqueueSms(db, item.Kind == ReminderKind.MoveInLate ? PopulationMessages.LateMoveIn : PopulationMessages.LateMoveOut,
                            protector.Decrypt(phone), Parameters(item, lines.GetValueOrDefault(item.AddressId) ?? ""), item.RegionPath,
                            $"population.reminder:{item.Kind}:{item.TargetId}:{item.Deadline:yyyyMMdd}");
                }
                try
                {
                    await db.SaveChangesAsync(ct);
                    sent += todo.Count;
                }
                catch (DbUpdateException e)
                {
                    // Another node reminded some of them first (unique kind/target/due day): theirs stands, the rest go next run.
                    logger.LogInformation(e, "Reminders already sent elsewhere; skipped {Count}", todo.Count);
                    db.ChangeTracker.Clear();
                }
            }
            if (sent > 0) outbox.Notify();
            return sent;
        }
        finally
        {
            gate.Release();
        }
    }

    public static Dictionary<string, string> Parameters(LateItem item, string address) => new()
    {
        ["address"] = address,
        ["tenant"] = Mask.Name(item.TenantName),
        ["since"] = Kernel.Time.ChinaTime.Date(item.Since),
        ["deadline"] = Kernel.Time.ChinaTime.Date(item.Deadline),
    };

    public void Dispose() => gate.Dispose();
}
