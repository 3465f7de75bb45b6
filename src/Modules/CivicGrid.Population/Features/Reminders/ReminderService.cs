using CivicGrid.Kernel.Calendar;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Outbox;
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
internal sealed class ReminderService(IServiceScopeFactory scopes, TimeProvider time, IOptionsMonitor<PopulationOptions> options, OutboxSignal signal,
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
                        OutboxSignal.Enqueue(db, protector, protector.Decrypt(phone), Message(item, lines.GetValueOrDefault(item.AddressId) ?? ""), now);
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
            if (sent > 0) signal.Notify();
            return sent;
        }
        finally
        {
            gate.Release();
        }
    }

    public static string Message(LateItem item, string address) => item.Kind == ReminderKind.MoveInLate
        ? $"【萧山基层智治】您的出租房（{address}）租客{Mask.Name(item.TenantName)}于{item.Since:yyyy-MM-dd}入住，应在{item.Deadline:yyyy-MM-dd}前登记，现已逾期，请尽快登录房东页面登记租住信息。"
        : $"【萧山基层智治】您的出租房（{address}）租客{Mask.Name(item.TenantName)}自{item.Since:yyyy-MM-dd}起已租期届满或迁居他处，退租应在{item.Deadline:yyyy-MM-dd}前登记，现已逾期，请尽快登录房东页面登记退租。";

    public void Dispose() => gate.Dispose();
}
