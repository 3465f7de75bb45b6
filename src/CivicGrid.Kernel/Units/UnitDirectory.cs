using CivicGrid.Kernel.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Kernel.Units;

/// <summary>A unit as other modules see it.</summary>
public sealed record UnitInfo(int Id, string Name, string Kind, int RegionId, string RegionPath, string? HeadUserId);

/// <summary>A member of a unit with the name to show.</summary>
public sealed record UnitMemberInfo(string UserId, string UserName, string DisplayName, string Role);

/// <summary>
/// Questions about units that work orders, mediation and scoring ask: which units an account belongs to, who is in a unit,
/// who is on duty in a unit now (or at an instant). Scoped: it uses the request's Kernel context.
/// </summary>
public sealed class UnitDirectory(KernelDbContext db, TimeProvider time)
{
    public async Task<IReadOnlyList<UnitInfo>> UnitsOfAsync(string userId, CancellationToken ct) =>
        await db.Units.AsNoTracking().Where(u => u.Members.Any(m => m.UserId == userId)).OrderBy(u => u.Id)
            .Select(u => new UnitInfo(u.Id, u.Name, u.Kind, u.RegionId, u.RegionPath, u.HeadUserId)).ToListAsync(ct);

    public async Task<IReadOnlyList<UnitMemberInfo>> MembersAsync(int unitId, CancellationToken ct) =>
        await (from m in db.UnitMembers.AsNoTracking()
               join u in db.Users.AsNoTracking() on m.UserId equals u.Id
               where m.UnitId == unitId
               orderby m.Role, u.UserName
               select new UnitMemberInfo(u.Id, u.UserName ?? "", u.DisplayName, m.Role)).ToListAsync(ct);

    /// <summary>Members whose shift covers <paramref name="at"/> (start inclusive, end exclusive); now when it is null.</summary>
    public async Task<IReadOnlyList<UnitMemberInfo>> OnDutyAsync(int unitId, DateTimeOffset? at, CancellationToken ct)
    {
        var instant = (at ?? time.GetUtcNow()).UtcDateTime;
        return await (from s in db.UnitShifts.AsNoTracking()
                      join u in db.Users.AsNoTracking() on s.UserId equals u.Id
                      join m in db.UnitMembers.AsNoTracking() on new { s.UnitId, s.UserId } equals new { m.UnitId, m.UserId }
                      where s.UnitId == unitId && s.StartUtc <= instant && s.EndUtc > instant
                      orderby u.UserName
                      select new UnitMemberInfo(u.Id, u.UserName ?? "", u.DisplayName, m.Role)).ToListAsync(ct);
    }
}
