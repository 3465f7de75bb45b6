using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Units;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Web.Features.Units;

/// <summary>
/// The demo district's units, so the units page shows something on the first run: 河上镇's comprehensive governance centre,
/// its police station and 众联村's mediation committee, with the demo accounts as members and a week's roster from today.
/// Created once, when there are no units yet; regions are taken from the demo accounts' own regions.
/// </summary>
public static class DemoUnits
{
    public static async Task EnsureAsync(IServiceProvider services, CancellationToken ct)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KernelDbContext>();
        var time = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        if (await db.Units.AnyAsync(ct)) return;
        var names = new[] { "town", "cadre", "grid", "police", "mediator" };
        var users = await db.Users.AsNoTracking().Where(u => names.Contains(u.UserName!)).ToDictionaryAsync(u => u.UserName!, ct);
        if (users.Count < names.Length) return;
        var now = time.GetUtcNow().UtcDateTime;
        var town = users["town"];
        var village = users["mediator"];

        OrgUnit Unit(string name, string kind, StaffUser at, StaffUser head, params (StaffUser User, string Role)[] others)
        {
            var unit = new OrgUnit { Name = name, Kind = kind, RegionId = at.RegionId, RegionPath = at.RegionPath, HeadUserId = head.Id, CreatedAt = now };
            unit.Members.Add(new UnitMember { UserId = head.Id, Role = UnitRoles.Head });
            unit.Members.AddRange(others.Select(o => new UnitMember { UserId = o.User.Id, Role = o.Role }));
            db.Units.Add(unit);
            return unit;
        }

        var centre = Unit("河上镇社会治理综合指挥中心", UnitKinds.Department, town, town, (users["grid"], UnitRoles.Duty), (users["cadre"], UnitRoles.Member));
        var station = Unit("河上派出所", UnitKinds.PoliceStation, town, users["police"]);
        var committee = Unit("众联村人民调解委员会", UnitKinds.MediationCommittee, village, users["mediator"], (users["cadre"], UnitRoles.Member));
        await db.SaveChangesAsync(ct);

        // A week from today (China dates): the centre's day shift alternates between the town officer and the grid worker,
        // the station's officer is on duty around the clock, the committee's mediator keeps office hours.
        var today = ChinaTime.DateOf(now);
        static DateTime At(DateOnly day, int hour, int minute = 0) => ChinaTime.ToUtc(day.ToDateTime(new TimeOnly(hour, minute)));
        for (var d = 0; d < 7; d++)
        {
            var day = today.AddDays(d);
            db.UnitShifts.Add(new UnitShift { UnitId = centre.Id, UserId = (d % 2 == 0 ? town : users["grid"]).Id, StartUtc = At(day, 8), EndUtc = At(day, 20) });
            db.UnitShifts.Add(new UnitShift { UnitId = station.Id, UserId = users["police"].Id, StartUtc = ChinaTime.StartOfDayUtc(day), EndUtc = ChinaTime.StartOfDayUtc(day.AddDays(1)) });
            db.UnitShifts.Add(new UnitShift { UnitId = committee.Id, UserId = users["mediator"].Id, StartUtc = At(day, 8, 30), EndUtc = At(day, 17, 30) });
        }
        await db.SaveChangesAsync(ct);
    }
}
