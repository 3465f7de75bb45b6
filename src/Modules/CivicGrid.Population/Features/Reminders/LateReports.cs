using CivicGrid.Kernel;
using CivicGrid.Kernel.Calendar;
using CivicGrid.Kernel.Regions;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Reminders;

/// <summary>
/// A landlord's report that is late. <see cref="Since"/> is the day the report became due (the move-in, the lease end or
/// the day the tenant moved in elsewhere); <see cref="Deadline"/> the last day it could be reported in time.
/// </summary>
internal sealed record LateItem(ReminderKind Kind, long TargetId, long LandlordId, long PropertyId, long AddressId, string RegionPath, string TenantName,
    string TenantIdMasked, DateOnly Since, DateOnly Deadline, int DaysLate)
{
    public string KindTitle => Kind == ReminderKind.MoveInLate ? Bilingual.Pick("入住未登记", "Move-in not reported") : Bilingual.Pick("退租未登记", "Move-out not reported");
}

/// <summary>
/// Finds late landlord reports with the district's rules (<see cref="PopulationOptions"/>): (a) a tenant declared themselves
/// (pending or confirmed) at a rental and the landlord reported no tenancy for that person by the move-in deadline; (b) an
/// open tenancy whose lease ended, or whose tenant has since declared or been registered at another address, without a
/// move-out by the deadline in working days. A report is late the day after its deadline, not on it.
/// </summary>
internal static class LateReports
{
    /// <summary>Lists go back a year: older unreported events are history, not reminders.</summary>
    public const int ListLookbackDays = 365;

    /// <summary>The late reports the lists show (the landlord's page, /rentals, the API): an area's or a landlord's, a year back.</summary>
    public static Task<List<LateItem>> ListAsync(PopulationDbContext db, PopulationOptions options, WorkCalendar calendar, DateOnly today, RegionScope? scope,
        long? landlordId, CancellationToken ct) =>
        FindAsync(db, options, calendar, today, scope, landlordId, today.AddDays(-ListLookbackDays), ct);

    public static async Task<List<LateItem>> FindAsync(PopulationDbContext db, PopulationOptions options, WorkCalendar calendar, DateOnly today, RegionScope? scope,
        long? landlordId, DateOnly notBefore, CancellationToken ct)
    {
        var items = new List<LateItem>();

        // (a) Move-ins: the deadline moveIn + N days lies before today ⇔ moveIn < today − N.
        var lastLateMoveIn = today.AddDays(-options.MoveInReportDays - 1);
        var declarations = db.Declarations.AsNoTracking().Where(d => (d.Status == DeclarationStatus.Pending || d.Status == DeclarationStatus.Confirmed)
            && d.Relation != Relation.Owner && d.MoveInDate <= lastLateMoveIn && d.MoveInDate >= notBefore);
        if (scope is not null) declarations = declarations.InScope(scope);
        // Only verified claims are reminded: a pending claimant is told nothing about the address's residents.
        var properties = db.RentalProperties.AsNoTracking().Where(p => p.Claim == PropertyClaim.Verified);
        if (landlordId is not null) properties = properties.Where(p => p.LandlordId == landlordId);
        var moveIns = await (from d in declarations
                             join p in properties on d.AddressId equals p.AddressId
                             where !db.Tenancies.Any(t => t.RentalPropertyId == p.Id && t.TenantIdIndex == d.IdIndex && (t.MoveOut == null || t.MoveOut >= d.MoveInDate))
                             select new { d.Id, p.LandlordId, PropertyId = p.Id, d.AddressId, d.RegionPath, d.Name, d.IdMasked, d.MoveInDate })
            .ToListAsync(ct);
        // An address let by two landlords: the declaration is reminded to the first one.
        foreach (var m in moveIns.GroupBy(m => m.Id).Select(g => g.OrderBy(x => x.PropertyId).First()))
        {
            var deadline = options.MoveInDeadline(m.MoveInDate);
            items.Add(new LateItem(ReminderKind.MoveInLate, m.Id, m.LandlordId, m.PropertyId, m.AddressId, m.RegionPath, m.Name, m.IdMasked, m.MoveInDate,
                deadline, today.DayNumber - deadline.DayNumber));
        }

        // (b) Move-outs of open tenancies: due from the lease end, or from the first day the tenant lives elsewhere.
        var tenancies = db.Tenancies.AsNoTracking().Where(t => t.MoveOut == null);
        if (scope is not null) tenancies = tenancies.InScope(scope);
        if (landlordId is not null) tenancies = tenancies.Where(t => t.LandlordId == landlordId);
        // Only a tenancy with one of those days in [notBefore, today) can be listed: its earliest such day is the one it is
        // due from, and the list skips anything due from before notBefore. So the candidates come from the date side, by
        // index (lease end, declaration move-in day, residence start), instead of reading every open tenancy of the district
        // (about 480,000). The days are then worked out for the candidates exactly as before.
        var byLease = tenancies.Where(t => t.LeaseEnd >= notBefore && t.LeaseEnd < today).Select(t => t.Id);
        var byDeclaration = from d in db.Declarations
                            where d.MoveInDate >= notBefore && d.MoveInDate < today && d.Status != DeclarationStatus.Rejected
                            join t in tenancies on d.IdIndex equals t.TenantIdIndex
                            where d.AddressId != t.AddressId && d.MoveInDate > t.MoveIn
                            select t.Id;
        var byResidence = from r in db.Residents
                          where r.Since >= notBefore && r.Since < today
                          join t in tenancies on r.IdIndex equals t.TenantIdIndex
                          where r.AddressId != t.AddressId && r.Since > t.MoveIn
                          select t.Id;
        var candidates = (await byLease.ToListAsync(ct)).Concat(await byDeclaration.ToListAsync(ct)).Concat(await byResidence.ToListAsync(ct))
            .Distinct().Order().ToList();
        foreach (var chunk in candidates.Chunk(CandidateChunk))
        {
            var ids = chunk.ToList();
            await AddMoveOutsAsync(tenancies.Where(t => ids.Contains(t.Id)));
        }
        return items.OrderByDescending(i => i.DaysLate).ThenBy(i => i.TargetId).ToList();

        async Task AddMoveOutsAsync(IQueryable<Tenancy> someTenancies)
        {
            var open = await someTenancies.Select(t => new
                {
                    t.Id, t.LandlordId, t.RentalPropertyId, t.AddressId, t.RegionPath, t.TenantName, t.TenantIdMasked, t.LeaseEnd,
                    Declared = db.Declarations.Where(d => d.IdIndex == t.TenantIdIndex && d.AddressId != t.AddressId && d.Status != DeclarationStatus.Rejected
                        && d.MoveInDate > t.MoveIn).Min(d => (DateOnly?)d.MoveInDate),
                    Registered = db.Residents.Where(r => r.IdIndex == t.TenantIdIndex && r.AddressId != t.AddressId && r.Since > t.MoveIn).Min(r => r.Since),
                })
                .Where(x => (x.LeaseEnd != null && x.LeaseEnd < today) || x.Declared < today || x.Registered < today)
                .ToListAsync(ct);
            foreach (var t in open)
            {
                var since = new[] { t.LeaseEnd, t.Declared, t.Registered }.Where(d => d is not null).Min()!.Value;
                if (since < notBefore) continue;
                var deadline = options.MoveOutDeadline(since, calendar);
                if (deadline >= today) continue;
                items.Add(new LateItem(ReminderKind.MoveOutLate, t.Id, t.LandlordId, t.RentalPropertyId, t.AddressId, t.RegionPath, t.TenantName,
                    t.TenantIdMasked, since, deadline, today.DayNumber - deadline.DayNumber));
            }
        }
    }

    // Candidate ids go to the database as one parameter (a JSON array on SQLite, an array on PostgreSQL); chunks keep it modest.
    private const int CandidateChunk = 5_000;
}
