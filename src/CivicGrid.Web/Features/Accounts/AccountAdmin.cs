using System.Security.Claims;
using System.Security.Cryptography;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Units;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Web.Features.Accounts;

/// <summary>
/// What a district admin does to accounts beyond creating one: import staff accounts from Excel (a district has about 3,000
/// grid workers), reset a password and unlock a locked-out account. An account given a password by someone else must
/// choose its own before it can do anything else.
/// </summary>
public static class AccountAdmin
{
    public const string MustChangeClaim = "cg:must_change_password";

    public const string UserNameColumn = "用户名";
    public const string DisplayNameColumn = "姓名";
    public const string RoleColumn = "角色";
    public const string RegionColumn = "区域编码";
    public const string PasswordColumn = "初始密码";
    public static readonly string[] Headers = [UserNameColumn, DisplayNameColumn, RoleColumn, RegionColumn, PasswordColumn];

    public const int MaxImportRows = 5000;

    public static void MapAccountAdmin(RouteGroupBuilder accounts, RouteGroupBuilder api, WebApplication app)
    {
        accounts.MapGet("/import-template", () => TypedResults.File(Template(), Units.Units.XlsxType, "账号导入模板.xlsx"))
            .WithName("GetAccountImportTemplate").WithSummary("账号导入模板 / Account import template (xlsx)");
        accounts.MapPost("/import", Import).DisableAntiforgery()
            .WithName("ImportAccounts").WithSummary("批量导入账号 / Import staff accounts; all rows or none");
        accounts.MapPost("/{userId}/reset-password", ResetPassword)
            .WithName("ResetAccountPassword").WithSummary("重置密码 / Reset an account's password (generated when none is given)");
        accounts.MapPost("/{userId}/unlock", Unlock)
            .WithName("UnlockAccount").WithSummary("解锁账号 / Lift an account's lockout");
        api.MapPost("/account/password", ChangeOwnPassword).WithTags("Accounts")
            .WithName("ChangeOwnPassword").WithSummary("修改本人密码 / Change one's own password");
        app.MapPost("/account/password/change", ChangeOwnPasswordForm).ExcludeFromDescription();
        // Until it has chosen its own password, an account reaches only the pages and calls that let it do so.
        app.Use(async (http, next) =>
        {
            if (http.User.HasClaim(MustChangeClaim, "1") && !MayPassBeforeChange(http.Request.Path))
            {
                if (http.Request.Path.StartsWithSegments("/api"))
                {
                    await Problems.Forbidden("请先修改初始密码", "Change your initial password first").ExecuteAsync(http);
                    return;
                }
                http.Response.Redirect("/account/password");
                return;
            }
            await next(http);
        });
    }

    private static bool MayPassBeforeChange(PathString path) =>
        path.StartsWithSegments("/account") || path.StartsWithSegments("/api/v1/account") || path.StartsWithSegments("/_framework")
        || path.StartsWithSegments("/_content") || path.StartsWithSegments("/_blazor") || path.StartsWithSegments("/culture")
        || path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || System.IO.Path.HasExtension(path.Value);

    public static byte[] Template() => TabularFile.WriteXlsx("账号", Headers,
        [["zhang.wei", "张伟", "网格员", "330109110201", ""], ["li.na", "李娜", "village_cadre", "330109110200", "Start@2021"]]);

    public sealed record ImportResult(int Created);

    public sealed record AccountRow(int Row, string UserName, string DisplayName, string Role, string RegionCode, string Password);

    /// <summary>A role by its code or its Chinese or English title, as a person fills the sheet.</summary>
    public static string? RoleOf(string text)
    {
        text = text.Trim();
        return Roles.All.FirstOrDefault(r => string.Equals(text, r, StringComparison.OrdinalIgnoreCase) || TitleZh(r) == text
            || string.Equals(TitleEn(r), text, StringComparison.OrdinalIgnoreCase));
    }

    private static string TitleZh(string role) => role switch
    {
        Roles.DistrictAdmin => "区级管理员", Roles.TownOfficer => "镇街干部", Roles.VillageCadre => "村社干部",
        Roles.GridWorker => "网格员", Roles.PoliceOfficer => "民警", Roles.Mediator => "调解员", _ => role,
    };

    private static string TitleEn(string role) => role switch
    {
        Roles.DistrictAdmin => "District admin", Roles.TownOfficer => "Town officer", Roles.VillageCadre => "Village cadre",
        Roles.GridWorker => "Grid worker", Roles.PoliceOfficer => "Police officer", Roles.Mediator => "Mediator", _ => role,
    };

    public static (List<AccountRow> Rows, List<RowError> Errors) ReadFile(Stream stream, string fileName)
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
        var missing = Headers.Where(h => h != PasswordColumn && !headers.Contains(h)).ToList();
        if (missing.Count > 0) return ([], missing.Select(h => new RowError(1, h, Bilingual.Both($"缺少列：{h}", $"missing column: {h}"))).ToList());
        string Cell(string[] row, string h) => headers.IndexOf(h) is var i and >= 0 && i < row.Length ? row[i].Trim() : "";
        var rows = table.Skip(1).Select((r, i) => (Row: r, Number: i + 2)).Where(x => x.Row.Any(c => !string.IsNullOrWhiteSpace(c)))
            .Select(x => new AccountRow(x.Number, Cell(x.Row, UserNameColumn), Cell(x.Row, DisplayNameColumn), Cell(x.Row, RoleColumn),
                Cell(x.Row, RegionColumn), Cell(x.Row, PasswordColumn))).ToList();
        if (rows.Count == 0) return ([], [new RowError(2, "file", Bilingual.Both("文件没有数据行", "the file has no rows"))]);
        if (rows.Count > MaxImportRows)
            return ([], [new RowError(1, "file", Bilingual.Both($"一次最多导入 {MaxImportRows} 个账号", $"at most {MaxImportRows} accounts per file"))]);
        return (rows, []);
    }

    /// <summary>
    /// Checks every row (user name free and unique in the file, role known and fitting the region's level, region in the
    /// importer's subtree, password strong) and creates all accounts with their audit lines in one save, or none. Each account
    /// must change its password at its first sign-in. <paramref name="initialPassword"/> is for rows without one.
    /// </summary>
    public static async Task<(int Created, List<RowError> Errors)> ImportAsync(IReadOnlyList<AccountRow> rows, string? initialPassword, Acting acting,
        UserManager<StaffUser> users, RegionDirectory regionDirectory, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var scope = acting.RequiredScope;
        var errors = new List<RowError>();
        var names = rows.Select(r => users.NormalizeName(r.UserName)).Where(n => !string.IsNullOrEmpty(n)).Distinct().ToList();
        var taken = (await db.Users.AsNoTracking().Where(u => names.Contains(u.NormalizedUserName!)).Select(u => u.NormalizedUserName!).ToListAsync(ct)).ToHashSet();
        var codes = rows.Select(r => r.RegionCode).Distinct().ToList();
        var regions = await regionDirectory.WithCodesAsync(codes, ct);
        var seen = new Dictionary<string, int>();
        var valid = new List<(AccountRow Row, string Role, RegionInfo Region, string Password)>();
        foreach (var row in rows)
        {
            var before = errors.Count;
            var normalized = users.NormalizeName(row.UserName);
            if (row.UserName.Length is < 3 or > 32 || !row.UserName.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
                errors.Add(new(row.Row, UserNameColumn, Bilingual.Both("用户名为 3-32 位字母、数字或 . _ -", "user name must be 3-32 letters, digits or . _ -")));
            else if (seen.TryGetValue(normalized, out var first))
                errors.Add(new(row.Row, UserNameColumn, Bilingual.Both($"用户名与第 {first} 行重复", $"user name repeats row {first}")));
            else if (taken.Contains(normalized))
                errors.Add(new(row.Row, UserNameColumn, Bilingual.Both($"用户名已存在：{row.UserName}", $"user name already taken: {row.UserName}")));
            else seen[normalized] = row.Row;
            if (row.DisplayName.Length is 0 or > 32)
                errors.Add(new(row.Row, DisplayNameColumn, Bilingual.Both("姓名必填，最多 32 字", "name is required, at most 32 characters")));
            var role = RoleOf(row.Role);
            if (role is null) errors.Add(new(row.Row, RoleColumn, Bilingual.Both($"角色无效：{row.Role}", $"unknown role: {row.Role}")));
            if (!regions.TryGetValue(row.RegionCode, out var region) || !scope.Contains(region.RegionPath))
                errors.Add(new(row.Row, RegionColumn, Bilingual.Both($"区域不存在或不在您的辖区内：{row.RegionCode}", $"region not found or outside your area: {row.RegionCode}")));
            else if (role is not null && !Accounts.RoleFits(role, region.Level))
                errors.Add(new(row.Row, RoleColumn, Bilingual.Both("该角色不能设在此级区域", "this role does not fit the region's level")));
            var password = row.Password.Length > 0 ? row.Password : initialPassword ?? "";
            if (password.Length == 0)
                errors.Add(new(row.Row, PasswordColumn, Bilingual.Both("未填初始密码，也未指定统一初始密码", "no password in the row and no initial password given")));
            else if (await PasswordErrorAsync(users, new StaffUser { UserName = row.UserName }, password) is { } weak)
                errors.Add(new(row.Row, PasswordColumn, weak));
            if (errors.Count == before) valid.Add((row, role!, region!, password));
        }
        if (errors.Count > 0) return (0, errors);

        var now = time.GetUtcNow();
        // Hashing is the slow part (PBKDF2); rows sharing the initial password share one hash. They all must change it at
        // their first sign-in, so the shared salt gives nothing away that the shared password does not.
        var hashes = new Dictionary<string, string>();
        foreach (var (row, role, region, password) in valid)
        {
            var user = new StaffUser
            {
                UserName = row.UserName, NormalizedUserName = users.NormalizeName(row.UserName), DisplayName = row.DisplayName, Role = role,
                RegionId = region.Id, RegionPath = region.RegionPath, RegionLevel = region.Level, CreatedAt = now, LockoutEnabled = true,
                MustChangePassword = true, SecurityStamp = Guid.NewGuid().ToString("N"), ConcurrencyStamp = Guid.NewGuid().ToString(),
            };
            if (!hashes.TryGetValue(password, out var hash)) hashes[password] = hash = users.PasswordHasher.HashPassword(user, password);
            user.PasswordHash = hash;
            db.Users.Add(user);
            db.Audit(acting.Actor, now.UtcDateTime, "account.create", $"user:{user.Id}", $"role={role} region={region.Id} import=row{row.Row}");
        }
        await db.SaveChangesAsync(ct);
        return (valid.Count, errors);
    }

    private static async Task<string?> PasswordErrorAsync(UserManager<StaffUser> users, StaffUser user, string password)
    {
        foreach (var validator in users.PasswordValidators)
        {
            var result = await validator.ValidateAsync(users, user, password);
            if (!result.Succeeded) return string.Join(" ", result.Errors.Select(e => e.Description));
        }
        return null;
    }

    private static async Task<Results<Ok<ImportResult>, ValidationProblem, ProblemHttpResult>> Import(IFormFile? file, [FromForm] string? initialPassword,
        HttpContext http, UserManager<StaffUser> users, RegionDirectory regions, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (file is null) return Problems.Field("file", "请上传 .xlsx 或 .csv 文件", "upload an .xlsx or .csv file");
        await using var stream = file.OpenReadStream();
        var (rows, readErrors) = ReadFile(stream, file.FileName);
        if (readErrors.Count > 0) return Units.Units.RowProblem(readErrors);
        var (created, errors) = await ImportAsync(rows, initialPassword, Acting.From(http), users, regions, db, time, ct);
        return errors.Count > 0 ? Units.Units.RowProblem(errors) : TypedResults.Ok(new ImportResult(created));
    }

    public sealed record ResetRequest(string? Password);

    /// <summary>The temporary password, shown once to the admin who reset it (null when the admin chose it).</summary>
    public sealed record ResetResult(string? TemporaryPassword);

    /// <summary>A temporary password of 12 characters from all four kinds, without look-alikes (0/O, 1/l/I).</summary>
    public static string TemporaryPassword()
    {
        const string upper = "ABCDEFGHJKLMNPQRSTUVWXYZ", lower = "abcdefghijkmnopqrstuvwxyz", digits = "23456789", symbols = "@#%+=?";
        const string all = upper + lower + digits + symbols;
        var chars = new List<char> { Pick(upper), Pick(lower), Pick(digits), Pick(symbols) };
        while (chars.Count < 12) chars.Add(Pick(all));
        return new string(chars.OrderBy(_ => RandomNumberGenerator.GetInt32(int.MaxValue)).ToArray());
        static char Pick(string set) => set[RandomNumberGenerator.GetInt32(set.Length)];
    }

    private static ProblemHttpResult AccountNotFound() => Problems.NotFound("账号不存在或不在您的辖区内", "Account not found or outside your area");

    /// <summary>
    /// Sets a new password (the admin's or a generated one), ends the account's sessions (new security stamp), lifts a
    /// lockout and makes the account choose its own password at its next sign-in; audited in the same save. Null account
    /// when it is not in the admin's subtree.
    /// </summary>
    public static async Task<(bool Found, string? Temporary, FieldErrors Errors)> ResetPasswordAsync(string userId, string? password, Acting acting,
        UserManager<StaffUser> users, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || !acting.RequiredScope.Contains(user.RegionPath)) return (false, null, errors);
        var temporary = string.IsNullOrEmpty(password) ? TemporaryPassword() : null;
        if (await PasswordErrorAsync(users, user, password ?? temporary!) is { } weak)
        {
            errors.Add("password", weak);
            return (true, null, errors);
        }
        user.PasswordHash = users.PasswordHasher.HashPassword(user, password ?? temporary!);
        user.MustChangePassword = true;
        user.SecurityStamp = Guid.NewGuid().ToString("N");
        user.LockoutEnd = null;
        user.AccessFailedCount = 0;
        await db.SaveAuditedAsync(acting.Actor, time.GetUtcNow().UtcDateTime, "account.password_reset", $"user:{user.Id}", temporary is null ? "chosen" : "generated", ct);
        return (true, temporary, errors);
    }

    /// <summary>Lifts a lockout and clears the failure count; audited in the same save. False when not in the admin's subtree.</summary>
    public static async Task<bool> UnlockAsync(string userId, Acting acting, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || !acting.RequiredScope.Contains(user.RegionPath)) return false;
        var wasLocked = (user.LockoutEnd is { } end && end > time.GetUtcNow()) || await SignInThrottle.AnyBlockedAsync(db, user.Id, time.GetUtcNow().UtcDateTime);
        user.LockoutEnd = null;
        user.AccessFailedCount = 0;
        await db.SaveAuditedAsync(acting.Actor, time.GetUtcNow().UtcDateTime, "account.unlock", $"user:{user.Id}", wasLocked ? "was_locked" : "not_locked", ct);
        return true;
    }

    private static async Task<Results<Ok<ResetResult>, ValidationProblem, ProblemHttpResult>> ResetPassword(string userId, ResetRequest? body,
        HttpContext http, UserManager<StaffUser> users, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (found, temporary, errors) = await ResetPasswordAsync(userId, body?.Password, Acting.From(http), users, db, time, ct);
        if (!found) return AccountNotFound();
        return errors.Any ? errors.ToProblem() : TypedResults.Ok(new ResetResult(temporary));
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> Unlock(string userId, HttpContext http, KernelDbContext db, TimeProvider time, CancellationToken ct) =>
        await UnlockAsync(userId, Acting.From(http), db, time, ct) ? TypedResults.NoContent() : AccountNotFound();

    public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

    /// <summary>The signed-in account changes its own password; clears the must-change flag; audited in the same save.</summary>
    public static async Task<FieldErrors> ChangeOwnPasswordAsync(ClaimsPrincipal principal, string? current, string? next, string? clientAddress,
        UserManager<StaffUser> users, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var id = principal.FindFirstValue(ClaimTypes.NameIdentifier);
        var user = id is null ? null : await db.Users.FirstOrDefaultAsync(u => u.Id == id, ct);
        if (user is null || string.IsNullOrEmpty(current) || !await users.CheckPasswordAsync(user, current))
        {
            errors.Add("currentPassword", "当前密码不正确", "the current password is wrong");
            return errors;
        }
        if (string.IsNullOrEmpty(next) || next == current)
            errors.Add("newPassword", "新密码不能为空，也不能与当前密码相同", "the new password must differ from the current one");
        else if (await PasswordErrorAsync(users, user, next) is { } weak)
            errors.Add("newPassword", weak);
        if (errors.Any) return errors;
        user.PasswordHash = users.PasswordHasher.HashPassword(user, next!);
        user.MustChangePassword = false;
        user.SecurityStamp = Guid.NewGuid().ToString("N");
        await db.SaveAuditedAsync(new Actor(user.Id, user.UserName ?? "", user.Role, user.RegionPath, clientAddress), time.GetUtcNow().UtcDateTime,
            "account.password_change", $"user:{user.Id}", null, ct);
        return errors;
    }

    private static async Task<Results<NoContent, ValidationProblem>> ChangeOwnPassword(ChangePasswordRequest body, HttpContext http,
        UserManager<StaffUser> users, SignInManager<StaffUser> signIn, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var errors = await ChangeOwnPasswordAsync(http.User, body.CurrentPassword, body.NewPassword, http.Connection.RemoteIpAddress?.ToString(), users, db, time, ct);
        if (errors.Any) return errors.ToProblem();
        // The new security stamp ends other sessions; this one gets a fresh cookie without the must-change claim.
        await signIn.RefreshSignInAsync((await users.GetUserAsync(http.User))!);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ChangeOwnPasswordForm([FromForm] string? currentPassword, [FromForm] string? newPassword, HttpContext http,
        UserManager<StaffUser> users, SignInManager<StaffUser> signIn, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var errors = await ChangeOwnPasswordAsync(http.User, currentPassword, newPassword, http.Connection.RemoteIpAddress?.ToString(), users, db, time, ct);
        if (errors.Any)
        {
            var field = errors.ToDictionary().Keys.First();
            return Results.LocalRedirect($"/account/password?error={field}");
        }
        await signIn.RefreshSignInAsync((await users.GetUserAsync(http.User))!);
        return Results.LocalRedirect("/");
    }
}
