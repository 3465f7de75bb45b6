using CivicGrid.Kernel.Calendar;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Reminders;
using CivicGrid.Population.Features.Tenancies;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CivicGrid.Population.Tests.Features;

/// <summary>
/// The late-report scan reads only tenancies with an event in the window; its answers must be those of the scan that read
/// every open tenancy. <see cref="ReferenceMoveOutsAsync"/> is that earlier scan, kept verbatim as the yardstick.
/// </summary>
public class LateReportScanTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private DateTime Now => factory.Time.GetUtcNow().UtcDateTime;

    /// <summary>
    /// A mix of open and closed tenancies in 众联村 with lease ends, declarations and residences elsewhere before, inside and
    /// after the windows, rejected declarations, events at the tenancy's own address, and events before the move-in.
    /// </summary>
    private async Task<(RegionScope Village, RegionScope Grid, long LandlordId)> SeedAsync()
    {
        var (village, grid, addresses) = factory.WithScope(sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var v = places.Regions.AsNoTracking().First(r => r.Name == "众联村" && r.Level == RegionLevel.Village);
            var g = places.Regions.AsNoTracking().First(r => r.Name == "众联村第2网格");
            var a = places.Addresses.AsNoTracking().Where(x => x.RegionPath.StartsWith(v.RegionPath)).OrderBy(x => x.Id).Take(30).ToList();
            return (new RegionScope(v.Id, v.RegionPath, v.Level), new RegionScope(g.Id, g.RegionPath, g.Level), a);
        });
        var landlordId = await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            if (await db.Landlords.AnyAsync(l => l.Name == "扫描房东")) return (await db.Landlords.FirstAsync(l => l.Name == "扫描房东")).Id;
            var protector = sp.GetRequiredService<PersonalDataProtector>();
            var random = new Random(42);
            var today = Tenancies.Today(Now);
            var landlords = new List<Landlord>();
            foreach (var (name, phone) in new[] { ("扫描房东", "13600000301"), ("另一房东", "13600000302") })
            {
                var l = new Landlord { Name = name, Phone = protector.Encrypt(phone), PhoneIndex = protector.BlindIndex("phone", phone), PhoneMasked = Mask.Phone(phone), RegisteredAt = Now };
                db.Landlords.Add(l);
                landlords.Add(l);
            }
            await db.SaveChangesAsync();
            var properties = addresses.Take(20).Select((a, i) => new RentalProperty { LandlordId = landlords[i % 2].Id, AddressId = a.Id, RegionPath = a.RegionPath, Rooms = 3, RegisteredAt = Now }).ToList();
            db.RentalProperties.AddRange(properties);
            await db.SaveChangesAsync();
            DateOnly Day(DateOnly from, int min, int max) => from.AddDays(random.Next(min, max));
            for (var n = 0; n < 160; n++)
            {
                var id = CitizenId.Create("330109", new DateOnly(1970, 1, 1).AddDays(n * 7), 101 + n);
                var (blob, index, masked) = (protector.Encrypt(id), protector.BlindIndex("id", id), Mask.IdNumber(id));
                var property = properties[random.Next(properties.Count)];
                var moveIn = Day(today, -800, -5);
                var leaseEnd = random.Next(4) == 0 ? (DateOnly?)null : Day(moveIn, 0, 900);
                DateOnly? moveOut = random.Next(6) == 0 ? Day(moveIn, 0, 60) : null;
                db.Tenancies.Add(new Tenancy
                {
                    RentalPropertyId = property.Id, LandlordId = property.LandlordId, AddressId = property.AddressId, RegionPath = property.RegionPath,
                    TenantName = "租客" + n, TenantIdNumber = blob, TenantIdIndex = index, TenantIdMasked = masked, MoveIn = moveIn, LeaseEnd = leaseEnd,
                    MoveOut = moveOut, MoveInReportedAt = Now, Source = TenancySource.Import,
                });
                for (var k = random.Next(3); k > 0; k--)
                {
                    var elsewhere = random.Next(5) == 0 ? addresses.First(a => a.Id == property.AddressId) : addresses[20 + random.Next(10)];
                    db.Declarations.Add(new Declaration
                    {
                        AddressId = elsewhere.Id, RegionPath = elsewhere.RegionPath, Name = "租客" + n, IdNumber = blob, IdIndex = index, IdMasked = masked,
                        MoveInDate = Day(moveIn, -30, 700), Relation = Relation.Tenant, Status = (DeclarationStatus)random.Next(3),
                        LookupCode = $"SCAN{n:D4}{k}", SubmittedAt = Now,
                    });
                }
                for (var k = random.Next(3); k > 0; k--)
                {
                    var elsewhere = random.Next(5) == 0 ? addresses.First(a => a.Id == property.AddressId) : addresses[20 + random.Next(10)];
                    db.Residents.Add(new Resident
                    {
                        Name = "租客" + n, IdNumber = blob, IdIndex = index, IdMasked = masked, BirthDate = CitizenId.BirthDate(id), AddressId = elsewhere.Id,
                        RegionPath = elsewhere.RegionPath, Kind = ResidenceKind.Floating, Since = random.Next(8) == 0 ? null : Day(moveIn, -30, 700),
                    });
                }
            }
            await db.SaveChangesAsync();
            return landlords[0].Id;
        });
        return (village, grid, landlordId);
    }

    [Fact]
    public async Task FindAsync_ReadsOnlyDueCandidates_SameMoveOutsAsReadingEveryOpenTenancy()
    {
        var (village, grid, landlordId) = await SeedAsync();
        var options = factory.Services.GetRequiredService<IOptionsMonitor<PopulationOptions>>().CurrentValue;
        var calendar = factory.Services.GetRequiredService<WorkCalendar>();
        var today = Tenancies.Today(Now);
        var compared = 0;
        foreach (var lookback in new[] { ReminderService.ReminderLookbackDays, LateReports.ListLookbackDays, 30 })
            foreach (var scope in new RegionScope?[] { null, village, grid })
                foreach (var landlord in new long?[] { null, landlordId })
                {
                    var notBefore = today.AddDays(-lookback);
                    var (actual, expected) = await factory.WithScopeAsync(async sp =>
                    {
                        var db = sp.GetRequiredService<PopulationDbContext>();
                        var found = await LateReports.FindAsync(db, options, calendar, today, scope, landlord, notBefore, default);
                        return (found.Where(i => i.Kind == ReminderKind.MoveOutLate).OrderBy(i => i.TargetId).ToList(),
                            (await ReferenceMoveOutsAsync(db, options, calendar, today, scope, landlord, notBefore)).OrderBy(i => i.TargetId).ToList());
                    });
                    Assert.Equal(expected, actual);
                    compared += expected.Count;
                }
        // The mix is rich enough that the comparison means something.
        Assert.True(compared > 50, $"only {compared} late move-outs compared");
    }

    /// <summary>The scan as it was before: every open tenancy of the area, its days worked out in SQL, the window applied after.</summary>
    private static async Task<List<LateItem>> ReferenceMoveOutsAsync(PopulationDbContext db, PopulationOptions options, WorkCalendar calendar, DateOnly today, RegionScope? scope,
        long? landlordId, DateOnly notBefore)
    {
        var items = new List<LateItem>();
        var tenancies = db.Tenancies.AsNoTracking().Where(t => t.MoveOut == null);
        if (scope is not null) tenancies = tenancies.InScope(scope);
        if (landlordId is not null) tenancies = tenancies.Where(t => t.LandlordId == landlordId);
        var open = await tenancies.Select(t => new
            {
                t.Id, t.LandlordId, t.RentalPropertyId, t.AddressId, t.RegionPath, t.TenantName, t.TenantIdMasked, t.LeaseEnd,
                Declared = db.Declarations.Where(d => d.IdIndex == t.TenantIdIndex && d.AddressId != t.AddressId && d.Status != DeclarationStatus.Rejected
                    && d.MoveInDate > t.MoveIn).Min(d => (DateOnly?)d.MoveInDate),
                Registered = db.Residents.Where(r => r.IdIndex == t.TenantIdIndex && r.AddressId != t.AddressId && r.Since > t.MoveIn).Min(r => r.Since),
            })
            .Where(x => (x.LeaseEnd != null && x.LeaseEnd < today) || x.Declared < today || x.Registered < today)
            .ToListAsync();
        foreach (var t in open)
        {
            var since = new[] { t.LeaseEnd, t.Declared, t.Registered }.Where(d => d is not null).Min()!.Value;
            if (since < notBefore) continue;
            var deadline = options.MoveOutDeadline(since, calendar);
            if (deadline >= today) continue;
            items.Add(new LateItem(ReminderKind.MoveOutLate, t.Id, t.LandlordId, t.RentalPropertyId, t.AddressId, t.RegionPath, t.TenantName,
                t.TenantIdMasked, since, deadline, today.DayNumber - deadline.DayNumber));
        }
        return items;
    }
}
