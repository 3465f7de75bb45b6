using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Units;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Web.Features.Units;

/// <summary>
/// Organisational units, their members and on-duty rosters. District admins and town officers manage the units of their
/// region subtree; every other staff member reads the units it belongs to. A unit outside both answers 404.
/// </summary>
public static class Units
{
    public static IServiceCollection AddUnits(this IServiceCollection services)
    {
        services.AddScoped<UnitDirectory>();
        services.AddSingleton(new NavEntry(85, "单位与值班", "Units", "units", "people"));
        return services;
    }

    public static WebApplication MapUnits(this WebApplication app, RouteGroupBuilder api)
    {
        var units = api.MapGroup("/units").WithTags("Units")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.ReadUnits)));
        units.MapGet("/", async (HttpContext http, KernelDbContext db, CancellationToken ct) => TypedResults.Ok(await ListAsync(db, Acting.From(http), ct)))
            .WithName("ListUnits").WithSummary("本辖区及所属单位 / Units in one's area or one belongs to");
        units.MapGet("/roster-template", () => TypedResults.File(RosterTemplate(), XlsxType, "值班表模板.xlsx"))
            .WithName("GetRosterTemplate").WithSummary("值班表模板 / Roster template (xlsx)");
        units.MapPost("/", Create)
            .WithName("CreateUnit").WithSummary("新建单位 / Create a unit at a region of one's area");
        units.MapGet("/{unitId:int}", Get)
            .WithName("GetUnit").WithSummary("单位详情与成员 / A unit with its members");
        units.MapPut("/{unitId:int}", Update)
            .WithName("UpdateUnit").WithSummary("修改单位名称或类型 / Rename a unit or change its kind");
        units.MapPost("/{unitId:int}/members", AddMember)
            .WithName("SetUnitMember").WithSummary("添加成员或改其角色 / Add a member or change its role (head, member, duty)");
        units.MapDelete("/{unitId:int}/members/{userId}", RemoveMember)
            .WithName("RemoveUnitMember").WithSummary("移除成员 / Remove a member and its future shifts");
        units.MapGet("/{unitId:int}/roster", GetRoster)
            .WithName("GetUnitRoster").WithSummary("一周值班表 / The week's roster (week=yyyy-MM-dd)");
        units.MapPost("/{unitId:int}/roster", AddShift)
            .WithName("AddUnitShift").WithSummary("添加班次 / Add one shift (China time yyyy-MM-dd HH:mm)");
        units.MapDelete("/{unitId:int}/roster/{shiftId:long}", RemoveShift)
            .WithName("RemoveUnitShift").WithSummary("删除班次 / Remove a shift");
        units.MapPost("/{unitId:int}/roster/import", Import).DisableAntiforgery()
            .WithName("ImportUnitRoster").WithSummary("上传值班表 / Upload a roster (xlsx or csv); all rows or none");
        units.MapGet("/{unitId:int}/on-duty", OnDuty)
            .WithName("GetUnitOnDuty").WithSummary("当前（或某时刻）在岗人员 / Who is on duty now or at an instant (at=ISO 8601)");
        return app;
    }

    public const string XlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public sealed record UnitDto(int Id, string Name, string Kind, string KindTitle, int RegionId, string? HeadUserId, int MemberCount, bool CanManage);

    public sealed record UnitDetail(int Id, string Name, string Kind, string KindTitle, int RegionId, string? HeadUserId, bool CanManage,
        IReadOnlyList<UnitMemberInfo> Members);

    public sealed record ShiftDto(long Id, string UserId, string UserName, string DisplayName, DateTime StartUtc, DateTime EndUtc, string Start, string End);

    public sealed record UnitRequest(string? Name, string? Kind, int? RegionId);

    public sealed record MemberRequest(string? UserName, string? Role);

    public sealed record ShiftRequest(string? UserName, string? Start, string? End);

    public static bool CanManage(Acting acting, OrgUnit unit) =>
        acting.Has(Permissions.ManageUnits) && acting.Scope is { } scope && scope.Contains(unit.RegionPath);

    /// <summary>Managers read their subtree's units; everyone else reads the units it is a member of.</summary>
    public static bool CanRead(Acting acting, OrgUnit unit) =>
        CanManage(acting, unit) || (acting.Has(Permissions.ReadUnits) && acting.InUnit(unit.Id));

    /// <summary>Units the caller manages (its subtree, for managers) and the units it belongs to.</summary>
    public static async Task<List<UnitDto>> ListAsync(KernelDbContext db, Acting user, CancellationToken ct)
    {
        var scope = user.RequiredScope;
        var mine = user.UnitIds.ToList();
        var manages = user.Has(Permissions.ManageUnits);
        var (lo, hi) = (scope.Path, scope.PathUpperBound);
        var rows = await db.Units.AsNoTracking()
            .Where(u => mine.Contains(u.Id) || (manages && string.Compare(u.RegionPath, lo) >= 0 && string.Compare(u.RegionPath, hi) < 0))
            .OrderBy(u => u.RegionPath).ThenBy(u => u.Name).Take(500)
            .Select(u => new { Unit = u, Count = u.Members.Count }).ToListAsync(ct);
        return rows.Select(r => new UnitDto(r.Unit.Id, r.Unit.Name, r.Unit.Kind, UnitKinds.Title(r.Unit.Kind), r.Unit.RegionId, r.Unit.HeadUserId,
            r.Count, CanManage(user, r.Unit))).ToList();
    }

    /// <summary>The unit if the caller may read it; null otherwise (the same answer as for a unit that does not exist).</summary>
    public static async Task<OrgUnit?> FindReadableAsync(KernelDbContext db, Acting user, int unitId, CancellationToken ct)
    {
        var unit = await db.Units.FirstOrDefaultAsync(u => u.Id == unitId, ct);
        return unit is not null && CanRead(user, unit) ? unit : null;
    }

    private static ProblemHttpResult UnitNotFound() => Problems.NotFound("单位不存在或不在您的辖区内", "Unit not found or outside your area");

    private static ProblemHttpResult ReadOnly() => Problems.Forbidden("您只能查看本单位，不能修改", "You may read this unit but not change it");

    public static FieldErrors CheckUnit(UnitRequest body)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(body.Name) || body.Name.Trim().Length > 64)
            errors.Add("name", "单位名称必填，最多 64 字", "name is required, at most 64 characters");
        if (!UnitKinds.IsKnown(body.Kind))
            errors.Add("kind", "单位类型无效", "unknown unit kind");
        return errors;
    }

    /// <summary>Creates a unit at a region of the caller's subtree (unaudited: only <see cref="CreateAuditedAsync"/> calls it).</summary>
    private static async Task<(OrgUnit? Unit, FieldErrors Errors)> CreateAsync(UnitRequest body, Acting user,
        KernelDbContext db, RegionDirectory regions, TimeProvider time, CancellationToken ct)
    {
        var errors = CheckUnit(body);
        RegionInfo? region = null;
        if (body.RegionId is null) errors.Add("regionId", "必须选择所在区域", "regionId is required");
        else if ((region = await regions.FindInScopeAsync(body.RegionId.Value, user.RequiredScope, ct)) is null)
            errors.Add("regionId", "区域不存在或不在您的辖区内", "region not found or outside your area");
        if (errors.Any) return (null, errors);
        var name = body.Name!.Trim();
        if (await db.Units.AnyAsync(u => u.RegionId == region!.Id && u.Name == name, ct))
        {
            errors.Add("name", "该区域已有同名单位", "a unit of that name already exists in the region");
            return (null, errors);
        }
        var now = time.GetUtcNow().UtcDateTime;
        var unit = new OrgUnit { Name = name, Kind = body.Kind!, RegionId = region!.Id, RegionPath = region.RegionPath, CreatedAt = now };
        db.Units.Add(unit);
        await db.SaveChangesAsync(ct);
        return (unit, errors);
    }

    private static async Task<Results<Created<UnitDto>, ValidationProblem, ProblemHttpResult>> Create(UnitRequest body, HttpContext http,
        KernelDbContext db, RegionDirectory regions, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        if (!acting.Has(Permissions.ManageUnits)) return Problems.Forbidden("无权新建单位", "You may not create units");
        var (unit, errors) = await CreateAuditedAsync(body, acting, db, regions, time, ct);
        return unit is null ? errors.ToProblem()
            : TypedResults.Created($"/api/v1/units/{unit.Id}", new UnitDto(unit.Id, unit.Name, unit.Kind, UnitKinds.Title(unit.Kind), unit.RegionId, null, 0, true));
    }

    /// <summary>Create with its audit line in one transaction (the unit's id is only known after the insert).</summary>
    public static async Task<(OrgUnit? Unit, FieldErrors Errors)> CreateAuditedAsync(UnitRequest body, Acting user,
        KernelDbContext db, RegionDirectory regions, TimeProvider time, CancellationToken ct)
    {
        (OrgUnit? Unit, FieldErrors Errors) created = (null, new FieldErrors());
        await db.SaveAuditedAsync(user.Actor, time.GetUtcNow().UtcDateTime, async ct =>
        {
            created = await CreateAsync(body, user, db, regions, time, ct);
            return created.Unit is { } unit ? [new AuditLine("unit.create", $"unit:{unit.Id}", $"kind={unit.Kind} region={unit.RegionId}")] : [];
        }, ct);
        return created;
    }

    private static async Task<Results<Ok<UnitDetail>, ProblemHttpResult>> Get(int unitId, HttpContext http, KernelDbContext db, UnitDirectory directory, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var unit = await FindReadableAsync(db, acting, unitId, ct);
        if (unit is null) return UnitNotFound();
        return TypedResults.Ok(new UnitDetail(unit.Id, unit.Name, unit.Kind, UnitKinds.Title(unit.Kind), unit.RegionId, unit.HeadUserId,
            CanManage(acting, unit), await directory.MembersAsync(unit.Id, ct)));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Update(int unitId, UnitRequest body, HttpContext http,
        KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var unit = await FindReadableAsync(db, acting, unitId, ct);
        if (unit is null) return UnitNotFound();
        if (!CanManage(acting, unit)) return ReadOnly();
        var errors = await UpdateAsync(unit, body, acting.Actor, db, time, ct);
        return errors.Any ? errors.ToProblem() : TypedResults.NoContent();
    }

    /// <summary>Renames a unit or changes its kind (not its region), audited in the same save.</summary>
    public static async Task<FieldErrors> UpdateAsync(OrgUnit unit, UnitRequest body, Actor actor, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var errors = CheckUnit(body);
        if (errors.Any) return errors;
        var name = body.Name!.Trim();
        if (await db.Units.AnyAsync(u => u.Id != unit.Id && u.RegionId == unit.RegionId && u.Name == name, ct))
        {
            errors.Add("name", "该区域已有同名单位", "a unit of that name already exists in the region");
            return errors;
        }
        unit.Name = name;
        unit.Kind = body.Kind!;
        await db.SaveAuditedAsync(actor, time.GetUtcNow().UtcDateTime, "unit.update", $"unit:{unit.Id}", $"kind={unit.Kind}", ct);
        return errors;
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> AddMember(int unitId, MemberRequest body, HttpContext http,
        KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var unit = await FindReadableAsync(db, acting, unitId, ct);
        if (unit is null) return UnitNotFound();
        if (!CanManage(acting, unit)) return ReadOnly();
        var errors = await SetMemberAsync(unit, body, acting.RequiredScope, acting.Actor, db, time, ct);
        return errors.Any ? errors.ToProblem() : TypedResults.NoContent();
    }

    /// <summary>
    /// Adds a staff account of the manager's subtree to the unit, or changes its role there. Role head makes it the unit's
    /// head; the previous head stays a member. The member's cookie picks up its new unit claims at the next security-stamp
    /// check (every minute), which rebuilds the claims without signing anyone out.
    /// </summary>
    public static async Task<FieldErrors> SetMemberAsync(OrgUnit unit, MemberRequest body, Kernel.Regions.RegionScope scope, Actor actor,
        KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (body.Role is null || !UnitRoles.All.Contains(body.Role)) errors.Add("role", "单位内角色无效（head、member、duty）", "role must be head, member or duty");
        var name = body.UserName?.Trim();
        var account = string.IsNullOrEmpty(name) ? null : await db.Users.FirstOrDefaultAsync(u => u.UserName == name, ct);
        if (account is null || !scope.Contains(account.RegionPath))
            errors.Add("userName", "账号不存在或不在您的辖区内", "account not found or outside your area");
        if (errors.Any || account is null) return errors;
        var member = await db.UnitMembers.FirstOrDefaultAsync(m => m.UnitId == unit.Id && m.UserId == account.Id, ct);
        if (member is null) db.UnitMembers.Add(member = new UnitMember { UnitId = unit.Id, UserId = account.Id });
        member.Role = body.Role!;
        if (body.Role == UnitRoles.Head && unit.HeadUserId != account.Id)
        {
            var previous = await db.UnitMembers.FirstOrDefaultAsync(m => m.UnitId == unit.Id && m.UserId == unit.HeadUserId, ct);
            if (previous is not null) previous.Role = UnitRoles.Member;
            unit.HeadUserId = account.Id;
        }
        else if (body.Role != UnitRoles.Head && unit.HeadUserId == account.Id)
        {
            unit.HeadUserId = null;
        }
        await db.SaveAuditedAsync(actor, time.GetUtcNow().UtcDateTime, "unit.member_set", $"unit:{unit.Id}", $"user={account.Id} role={member.Role}", ct);
        return errors;
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveMember(int unitId, string userId, HttpContext http,
        KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var unit = await FindReadableAsync(db, acting, unitId, ct);
        if (unit is null) return UnitNotFound();
        if (!CanManage(acting, unit)) return ReadOnly();
        return await RemoveMemberAsync(unit, userId, acting.Actor, db, time, ct)
            ? TypedResults.NoContent() : Problems.NotFound("该账号不是本单位成员", "The account is not a member of this unit");
    }

    /// <summary>Removes a member and its future shifts in the unit (past shifts stay as the record of who was on duty).</summary>
    public static async Task<bool> RemoveMemberAsync(OrgUnit unit, string userId, Actor actor, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var member = await db.UnitMembers.FirstOrDefaultAsync(m => m.UnitId == unit.Id && m.UserId == userId, ct);
        if (member is null) return false;
        var now = time.GetUtcNow().UtcDateTime;
        db.UnitMembers.Remove(member);
        db.UnitShifts.RemoveRange(await db.UnitShifts.Where(s => s.UnitId == unit.Id && s.UserId == userId && s.StartUtc > now).ToListAsync(ct));
        if (unit.HeadUserId == userId) unit.HeadUserId = null;
        await db.SaveAuditedAsync(actor, now, "unit.member_remove", $"unit:{unit.Id}", $"user={userId}", ct);
        return true;
    }

    /// <summary>The shifts of a unit overlapping the week that starts on <paramref name="monday"/> (China dates).</summary>
    public static async Task<List<ShiftDto>> WeekAsync(KernelDbContext db, int unitId, DateOnly monday, CancellationToken ct)
    {
        var start = ChinaTime.StartOfDayUtc(monday);
        var end = ChinaTime.StartOfDayUtc(monday.AddDays(7));
        var rows = await (from s in db.UnitShifts.AsNoTracking()
                          join u in db.Users.AsNoTracking() on s.UserId equals u.Id
                          where s.UnitId == unitId && s.StartUtc < end && s.EndUtc > start
                          orderby s.StartUtc
                          select new { s, u.UserName, u.DisplayName }).ToListAsync(ct);
        return rows.Select(r => new ShiftDto(r.s.Id, r.s.UserId, r.UserName ?? "", r.DisplayName, r.s.StartUtc, r.s.EndUtc,
            ChinaTime.Minute(r.s.StartUtc), ChinaTime.Minute(r.s.EndUtc))).ToList();
    }

    public static DateOnly MondayOf(DateOnly day) => day.AddDays(-(((int)day.DayOfWeek + 6) % 7));

    private static async Task<Results<Ok<List<ShiftDto>>, ValidationProblem, ProblemHttpResult>> GetRoster(int unitId, string? week, HttpContext http,
        KernelDbContext db, ChinaClock clock, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var unit = await FindReadableAsync(db, acting, unitId, ct);
        if (unit is null) return UnitNotFound();
        var day = clock.Today;
        if (week is not null && !DateOnly.TryParseExact(week, ChinaTime.DateFormat, out day))
            return Problems.Field("week", "week 格式应为 yyyy-MM-dd", "week must be yyyy-MM-dd");
        return TypedResults.Ok(await WeekAsync(db, unit.Id, MondayOf(day), ct));
    }

    /// <summary>
    /// Checks the rows against the unit's members and the people's existing shifts and writes them all, with one audit line,
    /// in one save; or writes nothing and returns the row errors.
    /// </summary>
    public static async Task<(int Added, List<RowError> Errors)> AddShiftsAsync(OrgUnit unit, IReadOnlyList<ShiftRow> rows, Actor actor,
        KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var names = rows.Select(r => r.UserName.Trim()).Where(n => n.Length > 0).Distinct().ToList();
        var userIds = await db.Users.AsNoTracking().Where(u => names.Contains(u.UserName!)).ToDictionaryAsync(u => u.UserName!, u => u.Id, ct);
        var members = (await db.UnitMembers.AsNoTracking().Where(m => m.UnitId == unit.Id).Select(m => m.UserId).ToListAsync(ct)).ToHashSet();
        var ids = userIds.Values.ToList();
        // Only shifts that can clash: those of the same people within the file's time span.
        var times = rows.SelectMany(r => new[] { Roster.ParseChinaTime(r.Start), Roster.ParseChinaTime(r.End) }).OfType<DateTime>().ToList();
        var (windowStart, windowEnd) = times.Count > 0 ? (times.Min(), times.Max()) : (DateTime.MaxValue, DateTime.MinValue);
        var existing = await db.UnitShifts.AsNoTracking().Where(s => ids.Contains(s.UserId) && s.EndUtc > windowStart && s.StartUtc < windowEnd).ToListAsync(ct);
        var (shifts, errors) = Roster.Check(rows, userIds, members, existing);
        if (errors.Count > 0) return (0, errors);
        db.UnitShifts.AddRange(shifts.Select(s => new UnitShift { UnitId = unit.Id, UserId = s.UserId, StartUtc = s.StartUtc, EndUtc = s.EndUtc }));
        await db.SaveAuditedAsync(actor, time.GetUtcNow().UtcDateTime, "unit.roster_add", $"unit:{unit.Id}", $"shifts={shifts.Count}", ct);
        return (shifts.Count, errors);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> AddShift(int unitId, ShiftRequest body, HttpContext http,
        KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var unit = await FindReadableAsync(db, acting, unitId, ct);
        if (unit is null) return UnitNotFound();
        if (!CanManage(acting, unit)) return ReadOnly();
        var (_, errors) = await AddShiftsAsync(unit, [new ShiftRow(1, body.UserName ?? "", body.Start ?? "", body.End ?? "")], acting.Actor, db, time, ct);
        if (errors.Count == 0) return TypedResults.NoContent();
        var fields = new FieldErrors();
        foreach (var e in errors)
            fields.Add(e.Column switch { Roster.UserNameColumn => "userName", Roster.StartColumn => "start", _ => "end" }, e.Message);
        return fields.ToProblem();
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> RemoveShift(int unitId, long shiftId, HttpContext http,
        KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var unit = await FindReadableAsync(db, acting, unitId, ct);
        if (unit is null) return UnitNotFound();
        if (!CanManage(acting, unit)) return ReadOnly();
        return await RemoveShiftAsync(unit, shiftId, acting.Actor, db, time, ct)
            ? TypedResults.NoContent() : Problems.NotFound("班次不存在", "Shift not found");
    }

    public static async Task<bool> RemoveShiftAsync(OrgUnit unit, long shiftId, Actor actor, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var shift = await db.UnitShifts.FirstOrDefaultAsync(s => s.Id == shiftId && s.UnitId == unit.Id, ct);
        if (shift is null) return false;
        db.UnitShifts.Remove(shift);
        await db.SaveAuditedAsync(actor, time.GetUtcNow().UtcDateTime, "unit.roster_remove", $"unit:{unit.Id}", $"shift={shift.Id} user={shift.UserId}", ct);
        return true;
    }

    /// <summary>Reads a roster file (headers 用户名, 开始时间, 结束时间); a missing column is an error on row 1.</summary>
    public static (List<ShiftRow> Rows, List<RowError> Errors) ReadRoster(Stream stream, string fileName)
    {
        List<string[]> table;
        try
        {
            table = TabularFile.Read(stream, fileName);
        }
        catch (InvalidDataException e)
        {
            return ([], [new RowError(1, "file", e.Message)]);
        }
        if (table.Count == 0) return ([], [new RowError(1, "file", Bilingual.Both("文件为空", "the file is empty"))]);
        var headers = table[0].Select(h => h.Trim()).ToList();
        var missing = Roster.Headers.Where(h => !headers.Contains(h)).ToList();
        if (missing.Count > 0)
            return ([], missing.Select(h => new RowError(1, h, Bilingual.Both($"缺少列：{h}", $"missing column: {h}"))).ToList());
        int Col(string h) => headers.IndexOf(h);
        string Cell(string[] row, string h) => Col(h) < row.Length ? row[Col(h)] : "";
        var rows = table.Skip(1).Select((r, i) => (Row: r, Number: i + 2)).Where(x => x.Row.Any(c => !string.IsNullOrWhiteSpace(c)))
            .Select(x => new ShiftRow(x.Number, Cell(x.Row, Roster.UserNameColumn), Cell(x.Row, Roster.StartColumn), Cell(x.Row, Roster.EndColumn))).ToList();
        return (rows, []);
    }

    public static byte[] RosterTemplate() =>
        TabularFile.WriteXlsx("值班表", Roster.Headers, [["grid", "2026-12-07 08:00", "2026-12-07 20:00"]]);

    /// <summary>Row errors as a 400 problem: errors keyed "第N行 列名", and the rows as a list for clients that build a table.</summary>
    public static ValidationProblem RowProblem(IReadOnlyList<RowError> errors) =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => $"第{e.Row}行 {e.Column}").ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            title: Bilingual.Both("文件有误，未写入任何记录", "The file has errors; nothing was written"),
            extensions: new Dictionary<string, object?> { ["rows"] = errors });

    private static async Task<Results<Ok<ImportResult>, ValidationProblem, ProblemHttpResult>> Import(int unitId, IFormFile? file, HttpContext http,
        KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var unit = await FindReadableAsync(db, acting, unitId, ct);
        if (unit is null) return UnitNotFound();
        if (!CanManage(acting, unit)) return ReadOnly();
        if (file is null) return Problems.Field("file", "请上传 .xlsx 或 .csv 文件", "upload an .xlsx or .csv file");
        await using var stream = file.OpenReadStream();
        var (rows, readErrors) = ReadRoster(stream, file.FileName);
        if (readErrors.Count > 0) return RowProblem(readErrors);
        var (added, errors) = await AddShiftsAsync(unit, rows, acting.Actor, db, time, ct);
        return errors.Count > 0 ? RowProblem(errors) : TypedResults.Ok(new ImportResult(added));
    }

    public sealed record ImportResult(int Added);

    private static async Task<Results<Ok<IReadOnlyList<UnitMemberInfo>>, ValidationProblem, ProblemHttpResult>> OnDuty(int unitId, DateTimeOffset? at,
        HttpContext http, KernelDbContext db, UnitDirectory directory, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var unit = await FindReadableAsync(db, acting, unitId, ct);
        if (unit is null) return UnitNotFound();
        return TypedResults.Ok(await directory.OnDutyAsync(unit.Id, at, ct));
    }
}
