using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Calendar;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Declarations;
using CivicGrid.Population.Features.Reminders;
using CivicGrid.Population.Features.Tenancies;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CivicGrid.Population.Tests.Features;

/// <summary>A district with its own rules: 3 days to report a move-in.</summary>
public sealed class ReminderDistrictFactory : PlatformFactory
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("CivicGrid:Population:MoveInReportDays", "3");
    }
}

public class PopulationOptionsTests
{
    [Fact]
    public void MoveOutDeadline_ThreeWorkingDays_SkipsTheWeekend()
    {
        var options = new PopulationOptions();
        var calendar = new WorkCalendar(CalendarFile.ShippedRows());
        // Thursday 2026-11-26 → Fri 27, (Sat, Sun), Mon 30, Tue 1 December.
        Assert.Equal(new DateOnly(2026, 12, 1), options.MoveOutDeadline(new DateOnly(2026, 11, 26), calendar));
        Assert.Equal(new DateOnly(2026, 11, 30), options.MoveInDeadline(new DateOnly(2026, 11, 28)));
    }

    [Fact]
    public void MoveOutDeadline_FollowsThePlatformCalendar_HolidaysSkipped_And调休SaturdayCounts()
    {
        var options = new PopulationOptions();
        var calendar = new WorkCalendar(CalendarFile.ShippedRows());
        // Wednesday 2026-09-30 → (Oct 1–7 国庆节) Thu 8, Fri 9, Sat 10 (调休上班).
        Assert.Equal(new DateOnly(2026, 10, 10), options.MoveOutDeadline(new DateOnly(2026, 9, 30), calendar));
        // Friday 2026-09-18 → (Sat 19) Sun 20 (调休上班), Mon 21, Tue 22.
        Assert.Equal(new DateOnly(2026, 9, 22), options.MoveOutDeadline(new DateOnly(2026, 9, 18), calendar));
        // A calendar without those days counts an ordinary week: the same Wednesday ends on Monday 10-05.
        Assert.Equal(new DateOnly(2026, 10, 5), options.MoveOutDeadline(new DateOnly(2026, 9, 30), new WorkCalendar([])));
    }
}

public class ReminderTests(ReminderDistrictFactory factory) : IClassFixture<ReminderDistrictFactory>
{
    private static int next;

    private static string NewId() => CitizenId.Create("330109", new DateOnly(1975, 6, 1).AddDays(Interlocked.Increment(ref next) * 13), 300 + next);

    private static string NewPhone() => $"1370000{Interlocked.Increment(ref next):0000}";

    private DateTime Now => factory.Time.GetUtcNow().UtcDateTime;

    private DateOnly Today => Tenancies.Today(Now);

    /// <summary>Moves the platform clock to a local (UTC+8) hour of a day; the fake clock only goes forward.</summary>
    private void At(DateOnly day, int hour, int minute = 0)
    {
        var target = new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, minute)), TimeSpan.FromHours(8));
        Assert.True(target >= factory.Time.GetUtcNow(), "the fake clock cannot go back");
        factory.Time.SetUtcNow(target);
    }

    private Address AddressAt(string gridName, int skip) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = places.Regions.AsNoTracking().First(r => r.Name == gridName);
        return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(skip).First();
    });

    private Task<T> Db<T>(Func<PopulationDbContext, PersonalDataProtector, Task<T>> use) => factory.WithScopeAsync(sp =>
        use(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<PersonalDataProtector>()));

    private Task<(long LandlordId, long PropertyId, string Phone)> RentalAsync(Address address) => Db(async (db, protector) =>
    {
        var phone = NewPhone();
        var landlord = new Landlord
        {
            Name = "房东", Phone = protector.Encrypt(phone), PhoneIndex = protector.BlindIndex("phone", phone), PhoneMasked = Mask.Phone(phone), RegisteredAt = Now,
        };
        db.Landlords.Add(landlord);
        await db.SaveChangesAsync();
        var property = new RentalProperty { LandlordId = landlord.Id, AddressId = address.Id, RegionPath = address.RegionPath, Rooms = 3, RegisteredAt = Now };
        db.RentalProperties.Add(property);
        await db.SaveChangesAsync();
        return (landlord.Id, property.Id, phone);
    });

    private Task<long> DeclareAsync(Address address, string idNumber, DateOnly moveIn) => Db(async (db, protector) =>
    {
        var result = await Declarations.SubmitAsync(db, protector, address.Info(),
            new DeclarationForm { Name = "租客", IdNumber = idNumber, MoveInDate = moveIn, Relation = Relation.Tenant }, null, Now, default);
        Assert.False(result.Errors.Any);
        return result.Declaration!.Id;
    });

    private Task<long> MoveInAsync(long landlordId, long propertyId, string idNumber, DateOnly moveIn, DateOnly? leaseEnd, string name = "租客") => Db(async (db, protector) =>
    {
        var result = await Tenancies.ReportMoveInAsync(db, protector, landlordId,
            new MoveInForm { PropertyId = propertyId, Name = name, IdNumber = idNumber, MoveIn = moveIn, LeaseEnd = leaseEnd }, Actor.System, Now, default);
        Assert.Equal(Tenancies.Outcome.Created, result.Outcome);
        return result.Tenancy!.Id;
    });

    private Task<int> RunAsync() => factory.Services.GetRequiredService<ReminderService>().RunOnceAsync(default);

    private Task<List<Reminder>> RemindersAsync(ReminderKind kind, long targetId) => Db((db, _) =>
        db.Reminders.AsNoTracking().Where(r => r.Kind == kind && r.TargetId == targetId).ToListAsync());

    private Task<int> MessagesToAsync(string phone) => Db((db, _) => db.Outbox.CountAsync(m => m.RecipientMasked == Mask.Phone(phone)));

    /// <summary>
    /// The district admin loads 2027's notice as the platform's calendar (as on the calendar page): Friday 01-01 and Monday
    /// 01-04 off, Saturday 01-09 a 调休 working day. The reminders count with it.
    /// </summary>
    private Task<int> LoadNextYearsNoticeAsync() => factory.WithScopeAsync(async sp =>
    {
        var db = sp.GetRequiredService<KernelDbContext>();
        if (!(await CalendarStore.YearsAsync(db, default)).Any(y => y.Year == 2027))
        {
            var file = System.Text.Encoding.UTF8.GetBytes("date,name,off_day\n2027-01-01,元旦,1\n2027-01-04,元旦,1\n2027-01-09,元旦,0\n");
            var load = await CalendarStore.LoadYearAsync(db, 2027, file, "test", replace: false, Actor.System, TimeProvider.System, default);
            Assert.Empty(load.Errors);
        }
        await sp.GetRequiredService<WorkCalendar>().RefreshAsync(db, default);
        return 0;
    });

    [Fact]
    public void Options_FromTheDistrictsConfiguration_AreUsed_WithThePlatformsCalendar()
    {
        var options = factory.Services.GetRequiredService<IOptionsMonitor<PopulationOptions>>().CurrentValue;
        var calendar = factory.Services.GetRequiredService<WorkCalendar>();
        Assert.Equal(3, options.MoveInReportDays);
        // The platform's calendar is the one seeded from the shipped notices: 国庆节 2026 is off, Saturday 10-10 is worked.
        Assert.Equal(new DateOnly(2026, 10, 10), options.MoveOutDeadline(new DateOnly(2026, 9, 30), calendar));
    }

    [Fact]
    public async Task MoveInLate_NotOnTheDeadline_LateTheDayAfter_RemindedOnce_AndAReportedMoveInNever()
    {
        var address = AddressAt("众联村第2网格", 0);
        var (landlordId, propertyId, phone) = await RentalAsync(address);
        var moveIn = Today;
        var unreported = await DeclareAsync(address, NewId(), moveIn);
        var reportedId = NewId();
        var reported = await DeclareAsync(address, reportedId, moveIn);
        await MoveInAsync(landlordId, propertyId, reportedId, moveIn, null);

        At(moveIn.AddDays(3), 23, 30);
        await RunAsync();
        Assert.Empty(await RemindersAsync(ReminderKind.MoveInLate, unreported));
        Assert.Equal(0, await MessagesToAsync(phone));

        At(moveIn.AddDays(4), 0, 30);
        await RunAsync();
        var reminder = Assert.Single(await RemindersAsync(ReminderKind.MoveInLate, unreported));
        Assert.Equal((moveIn.AddDays(3), landlordId), (reminder.DueOn, reminder.LandlordId!.Value));
        Assert.Equal(1, await MessagesToAsync(phone));
        var body = await Db((db, _) => db.Outbox.Where(m => m.RecipientMasked == Mask.Phone(phone)).Select(m => m.Body).FirstAsync());
        Assert.Contains("逾期", body);

        await RunAsync();
        At(moveIn.AddDays(4), 3);
        await RunAsync();
        Assert.Single(await RemindersAsync(ReminderKind.MoveInLate, unreported));
        Assert.Equal(1, await MessagesToAsync(phone));
        Assert.Empty(await RemindersAsync(ReminderKind.MoveInLate, reported));
    }

    [Fact]
    public async Task MoveOutLate_CountsWorkingDays_SkippingTheHolidayAndCountingThe调休Saturday()
    {
        await LoadNextYearsNoticeAsync();
        var (landlordId, propertyId, phone) = await RentalAsync(AddressAt("众联村第2网格", 1));
        var (_, otherProperty, otherPhone) = await RentalAsync(AddressAt("众联村第2网格", 2));
        var overHoliday = await MoveInAsync(landlordId, propertyId, NewId(), new DateOnly(2026, 12, 20), new DateOnly(2027, 1, 1));
        var otherLandlord = await Db((db, _) => db.RentalProperties.Where(p => p.Id == otherProperty).Select(p => p.LandlordId).FirstAsync());
        var overSaturday = await MoveInAsync(otherLandlord, otherProperty, NewId(), new DateOnly(2026, 12, 20), new DateOnly(2027, 1, 6));

        At(new DateOnly(2027, 1, 7), 23);
        await RunAsync();
        Assert.Empty(await RemindersAsync(ReminderKind.MoveOutLate, overHoliday));

        At(new DateOnly(2027, 1, 8), 0, 30);
        await RunAsync();
        Assert.Equal(new DateOnly(2027, 1, 7), Assert.Single(await RemindersAsync(ReminderKind.MoveOutLate, overHoliday)).DueOn);
        Assert.Equal(1, await MessagesToAsync(phone));
        Assert.Empty(await RemindersAsync(ReminderKind.MoveOutLate, overSaturday));

        At(new DateOnly(2027, 1, 9), 23);
        await RunAsync();
        Assert.Empty(await RemindersAsync(ReminderKind.MoveOutLate, overSaturday));

        At(new DateOnly(2027, 1, 10), 0, 30);
        await RunAsync();
        Assert.Equal(new DateOnly(2027, 1, 9), Assert.Single(await RemindersAsync(ReminderKind.MoveOutLate, overSaturday)).DueOn);
        Assert.Equal(1, await MessagesToAsync(otherPhone));
        Assert.Single(await RemindersAsync(ReminderKind.MoveOutLate, overHoliday));
    }

    [Fact]
    public async Task MoveOut_Reported_IsNotReminded_ButTenantDeclaredElsewhereIs()
    {
        var (landlordId, propertyId, _) = await RentalAsync(AddressAt("众联村第2网格", 3));
        var today = Today;
        var movedOut = await MoveInAsync(landlordId, propertyId, NewId(), today.AddDays(-40), today.AddDays(-20));
        await Db(async (db, _) => (await Tenancies.ReportMoveOutAsync(db, landlordId, movedOut, new MoveOutForm { MoveOut = today.AddDays(-19) }, Actor.System, Now, default)).Outcome);
        var leaseEnded = await MoveInAsync(landlordId, propertyId, NewId(), today.AddDays(-40), today.AddDays(-20));
        var movingTenant = NewId();
        var declaredElsewhere = await MoveInAsync(landlordId, propertyId, movingTenant, today.AddDays(-40), null);
        await DeclareAsync(AddressAt("众联村第3网格", 0), movingTenant, today.AddDays(-10));

        await RunAsync();
        Assert.Empty(await RemindersAsync(ReminderKind.MoveOutLate, movedOut));
        Assert.Single(await RemindersAsync(ReminderKind.MoveOutLate, leaseEnded));
        var options = factory.Services.GetRequiredService<IOptionsMonitor<PopulationOptions>>().CurrentValue;
        Assert.Equal(options.MoveOutDeadline(today.AddDays(-10), factory.Services.GetRequiredService<WorkCalendar>()), Assert.Single(await RemindersAsync(ReminderKind.MoveOutLate, declaredElsewhere)).DueOn);
    }

    [Fact]
    public async Task LateList_StaffSeeTheirAreaOnly_AndTheRentalsPageListsLateFirst()
    {
        var (landlordId, propertyId, _) = await RentalAsync(AddressAt("众联村第2网格", 4));
        var tenancy = await MoveInAsync(landlordId, propertyId, NewId(), Today.AddDays(-30), Today.AddDays(-15), "本村租客");
        // Another village of the same town: the town officer sees it, the cadre of 众联村 does not.
        var elsewhere = factory.WithScope(sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var village = places.Regions.AsNoTracking().First(r => r.Name == "众联村" && r.Level == RegionLevel.Village);
            return places.Addresses.AsNoTracking().Where(a => !a.RegionPath.StartsWith(village.RegionPath)).OrderBy(a => a.Id).First();
        });
        var (otherLandlord, otherProperty, _) = await RentalAsync(elsewhere);
        var foreignTenancy = await MoveInAsync(otherLandlord, otherProperty, NewId(), Today.AddDays(-30), Today.AddDays(-15), "外村租客");
        var (village, foreign) = factory.WithScope(sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            return (places.Regions.AsNoTracking().First(r => r.Name == "众联村" && r.Level == RegionLevel.Village).Id,
                places.Regions.AsNoTracking().First(r => r.Name == "光明村" && r.Level == RegionLevel.Village).Id);
        });

        var cadre = await factory.SignInAsync("cadre");
        var items = (await cadre.GetFromJsonAsync<LatePage>($"/api/v1/regions/{village}/tenancies/late?size=200"))!.Items;
        Assert.Contains(items!, i => i.Kind == ReminderKind.MoveOutLate && i.TargetId == tenancy && i.DaysLate > 0);
        Assert.DoesNotContain(items!, i => i.TargetId == foreignTenancy);
        Assert.Equal(HttpStatusCode.NotFound, (await cadre.GetAsync($"/api/v1/regions/{foreign}/tenancies/late")).StatusCode);
        var grid = await factory.SignInAsync("grid");
        Assert.Equal(HttpStatusCode.Forbidden, (await grid.GetAsync($"/api/v1/regions/{village}/tenancies/late")).StatusCode);

        var page = await cadre.GetStringAsync("/rentals");
        Assert.Contains("出租房管理", page);
        Assert.Contains("late-report", page);
        Assert.Contains("有逾期", page);
        Assert.Contains("本村租客", page);
        Assert.DoesNotContain("外村租客", page);
        var townPage = await (await factory.SignInAsync("town")).GetStringAsync("/rentals");
        Assert.Contains("外村租客", townPage);
    }
}
