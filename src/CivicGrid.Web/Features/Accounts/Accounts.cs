using System.Security.Claims;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace CivicGrid.Web.Features.Accounts;

/// <summary>Staff sign-in (ASP.NET Core Identity, cookies) and account management for district admins.</summary>
public static class Accounts
{
    public const string StaffPolicy = "staff";

    public static IServiceCollection AddAccounts(this IServiceCollection services)
    {
        services.AddIdentityCore<StaffUser>(o =>
            {
                // Our own validator decides (8+ characters, 3 of 4 kinds); the built-in rules would demand all four.
                o.Password.RequireDigit = false;
                o.Password.RequireLowercase = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequiredLength = 8;
                o.Lockout.MaxFailedAccessAttempts = 5;
                o.Lockout.DefaultLockoutTimeSpan = TimeSpan.FromMinutes(30);
                o.Lockout.AllowedForNewUsers = true;
                o.User.RequireUniqueEmail = false;
            })
            .AddEntityFrameworkStores<KernelDbContext>()
            .AddSignInManager()
            .AddPasswordValidator<StaffPasswordValidator>()
            .AddClaimsPrincipalFactory<StaffClaimsFactory>();
        services.AddAuthentication(IdentityConstants.ApplicationScheme).AddIdentityCookies();
        // A disabled account (its security stamp changes) loses its cookie within a minute.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromMinutes(1));
        services.ConfigureApplicationCookie(o =>
        {
            o.Cookie.Name = "civicgrid";
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.Cookie.HttpOnly = true;
            // Signed out after 30 idle minutes: the cookie slides with each request; the page also leaves after 30 quiet minutes.
            o.ExpireTimeSpan = TimeSpan.FromMinutes(30);
            o.SlidingExpiration = true;
            o.LoginPath = "/login";
            o.AccessDeniedPath = "/no-permission";
            o.Events.OnRedirectToLogin = c => ApiOrRedirect(c, StatusCodes.Status401Unauthorized);
            o.Events.OnRedirectToAccessDenied = c => ApiOrRedirect(c, StatusCodes.Status403Forbidden);
        });
        services.AddAuthorizationBuilder()
            .AddPolicy(StaffPolicy, p => p.RequireAuthenticatedUser().RequireClaim(StaffClaims.RegionPath))
            // Everything needs a signed-in staff member unless it says AllowAnonymous (login, doorplate pages, health).
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().RequireClaim(StaffClaims.RegionPath).Build());
        services.AddSingleton(new NavEntry(90, "账号管理", "Accounts", "accounts", "people", Roles.DistrictAdmin));
        return services;
    }

    private static Task ApiOrRedirect(Microsoft.AspNetCore.Authentication.RedirectContext<CookieAuthenticationOptions> c, int status)
    {
        if (c.Request.Path.StartsWithSegments("/api"))
        {
            c.Response.StatusCode = status;
            return Task.CompletedTask;
        }
        c.Response.Redirect(c.RedirectUri);
        return Task.CompletedTask;
    }

    public static WebApplication MapAccounts(this WebApplication app, RouteGroupBuilder api)
    {
        app.MapPost("/account/login", LoginForm).AllowAnonymous().ExcludeFromDescription();
        app.MapPost("/account/logout", async (SignInManager<StaffUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return Results.LocalRedirect("/login");
        }).ExcludeFromDescription();
        api.MapPost("/account/logout", async (SignInManager<StaffUser> signIn) =>
        {
            await signIn.SignOutAsync();
            return TypedResults.NoContent();
        }).WithName("SignOut").WithSummary("员工退出登录（清除登录 Cookie） / Staff sign-out (clears the cookie)").WithTags("Accounts");
        api.MapPost("/account/login", LoginJson).WithName("SignIn").WithSummary("员工登录（用户名和密码，设置登录 Cookie） / Staff sign-in with user name and password (sets the cookie)").AllowAnonymous().WithTags("Accounts");
        api.MapGet("/account/me", (HttpContext http) => TypedResults.Ok(Me.From(http.User))).WithName("GetMe").WithSummary("当前登录账号：角色、辖区、姓名 / The signed-in account: role, area and name").WithTags("Accounts");

        var accounts = api.MapGroup("/accounts").WithTags("Accounts")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.ManageAccounts)));
        accounts.MapGet("/", List).WithName("ListAccounts").WithSummary("辖区内的员工账号 / Staff accounts of the caller's area");
        accounts.MapPost("/", Create).WithName("CreateAccount").WithSummary("新建员工账号 / Create a staff account");
        accounts.MapPost("/{userId}/disable", (string userId, HttpContext http, UserManager<StaffUser> users, KernelDbContext db, TimeProvider time, CancellationToken ct)
            => SetDisabled(userId, true, http, users, db, time, ct)).WithName("DisableAccount").WithSummary("停用账号 / Disable an account");
        accounts.MapPost("/{userId}/enable", (string userId, HttpContext http, UserManager<StaffUser> users, KernelDbContext db, TimeProvider time, CancellationToken ct)
            => SetDisabled(userId, false, http, users, db, time, ct)).WithName("EnableAccount").WithSummary("启用账号 / Enable an account");
        AccountAdmin.MapAccountAdmin(accounts, api, app);
        return app;
    }

    public sealed record Me(string UserName, string DisplayName, string Role, int RegionId, string RegionPath)
    {
        public static Me From(ClaimsPrincipal user) => new(user.Identity?.Name ?? "", user.FindFirstValue(StaffClaims.DisplayName) ?? "",
            user.FindFirstValue(ClaimTypes.Role) ?? "", int.Parse(user.FindFirstValue(StaffClaims.RegionId) ?? "0"), user.FindFirstValue(StaffClaims.RegionPath) ?? "");
    }

    public sealed record LoginRequest(string? UserName, string? Password);

    public enum LoginOutcome { Ok, Invalid, LockedOut, Disabled }

    /// <summary>
    /// Checks the password and signs in with a cookie. Failures are throttled per account and client address
    /// (<see cref="SignInThrottle"/>); an account an admin locked stays locked. Every attempt leaves an audit line.
    /// </summary>
    public static async Task<LoginOutcome> SignInAsync(string? userName, string? password, HttpContext http, SignInManager<StaffUser> signIn,
        KernelDbContext db, TimeProvider time)
    {
        var now = time.GetUtcNow().UtcDateTime;
        var source = http.Connection.RemoteIpAddress?.ToString();
        var user = string.IsNullOrWhiteSpace(userName) ? null : await signIn.UserManager.FindByNameAsync(userName.Trim());
        if (user is null || string.IsNullOrEmpty(password))
        {
            // Unknown names count towards the address's spraying limit; the name typed is not kept (it may be a password).
            if (await SignInThrottle.BlockedUntilAsync(db, null, source, now) is null)
            {
                await db.SaveAuditedAsync(new Actor(null, "anonymous", "", "", source), now, SignInThrottle.Failed, "user:unknown", LoginOutcome.Invalid.ToString(), default);
            }
            return LoginOutcome.Invalid;
        }
        if (await SignInThrottle.BlockedUntilAsync(db, user.Id, source, now) is not null)
        {
            await db.SaveAuditedAsync(new Actor(user.Id, user.UserName ?? "", user.Role, user.RegionPath, source), now, "account.login_throttled", $"user:{user.Id}", "waiting", default);
            return LoginOutcome.LockedOut;
        }
        if (user.Disabled)
        {
            await db.SaveAuditedAsync(new Actor(user.Id, user.UserName ?? "", user.Role, user.RegionPath, http.Connection.RemoteIpAddress?.ToString()),
                time.GetUtcNow().UtcDateTime, "account.login_failed", $"user:{user.Id}", LoginOutcome.Disabled.ToString(), default);
            return LoginOutcome.Disabled;
        }
        var actor = new Actor(user.Id, user.UserName ?? "", user.Role, user.RegionPath, http.Connection.RemoteIpAddress?.ToString());
        var (outcome, expired) = (LoginOutcome.Invalid, false);
        // What the sign-in manager writes (a rehashed password, a reset failure count) commits with the audit line.
        await db.SaveAuditedAsync(actor, now, async _ =>
        {
            var result = await signIn.PasswordSignInAsync(user, password, isPersistent: false, lockoutOnFailure: false);
            outcome = result.Succeeded ? LoginOutcome.Ok : result.IsLockedOut ? LoginOutcome.LockedOut : LoginOutcome.Invalid;
            expired = result.Succeeded && !user.MustChangePassword && await PasswordExpiredAsync(db, user, now,
                http.RequestServices.GetRequiredService<IConfiguration>().GetValue("CivicGrid:Accounts:PasswordMaxAgeDays", DefaultPasswordMaxAgeDays));
            if (expired) user.MustChangePassword = true;
            return [new AuditLine(result.Succeeded ? "account.login" : SignInThrottle.Failed, $"user:{user.Id}", outcome.ToString())];
        }, default);
        // The cookie just issued must carry the must-change claim.
        if (expired) await signIn.SignInAsync(user, isPersistent: false);
        return outcome;
    }

    /// <summary>Days a password may be used before its owner must choose a new one (CivicGrid:Accounts:PasswordMaxAgeDays; 0 = never).</summary>
    public const int DefaultPasswordMaxAgeDays = 90;

    /// <summary>Whether the password was set (created, changed or reset) more than <paramref name="maxAgeDays"/> days ago.</summary>
    public static async Task<bool> PasswordExpiredAsync(KernelDbContext db, StaffUser user, DateTime now, int maxAgeDays)
    {
        if (maxAgeDays <= 0) return false;
        var target = $"user:{user.Id}";
        var set = await db.AuditEntries.AsNoTracking()
            .Where(a => a.Target == target && (a.Action == "account.password_change" || a.Action == "account.password_reset" || a.Action == "account.create"))
            .MaxAsync(a => (DateTime?)a.At);
        var since = set ?? user.CreatedAt.UtcDateTime;
        return now - since > TimeSpan.FromDays(maxAgeDays);
    }

    /// <summary>
    /// One answer for every failed sign-in: a locked, disabled or unknown account reads like a wrong password, so the
    /// sign-in page tells nobody which user names exist (the audit line keeps the real outcome).
    /// </summary>
    public static string Message(LoginOutcome outcome) => Bilingual.Pick(FailedZh, FailedEn);

    private const string FailedZh = "用户名或密码错误；多次失败后需稍候再试，或请管理员解锁";
    private const string FailedEn = "Wrong user name or password; after repeated failures wait a while, or ask an administrator to unlock";

    private static async Task<IResult> LoginForm([FromForm] string? userName, [FromForm] string? password, [FromForm] string? returnUrl,
        HttpContext http, SignInManager<StaffUser> signIn, KernelDbContext db, TimeProvider time)
    {
        var outcome = await SignInAsync(userName, password, http, signIn, db, time);
        if (outcome == LoginOutcome.Ok)
        {
            return Results.LocalRedirect(returnUrl is { Length: > 1 } && returnUrl.StartsWith('/') && !returnUrl.StartsWith("//", StringComparison.Ordinal) ? returnUrl : "/");
        }
        return Results.LocalRedirect("/login?error=1");
    }

    private static async Task<Results<Ok<Me>, ProblemHttpResult>> LoginJson(LoginRequest body, HttpContext http, SignInManager<StaffUser> signIn,
        KernelDbContext db, TimeProvider time)
    {
        var outcome = await SignInAsync(body.UserName, body.Password, http, signIn, db, time);
        if (outcome != LoginOutcome.Ok)
        {
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: Bilingual.Both("登录失败", "Sign-in failed"),
                detail: Bilingual.Both(FailedZh, FailedEn));
        }
        var user = await signIn.UserManager.FindByNameAsync(body.UserName!.Trim());
        var principal = await signIn.CreateUserPrincipalAsync(user!);
        return TypedResults.Ok(Me.From(principal));
    }

    public sealed record AccountDto(string Id, string UserName, string DisplayName, string Role, int RegionId, bool Disabled, bool LockedOut);

    private static async Task<Ok<List<AccountDto>>> List(HttpContext http, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var scope = Acting.From(http).RequiredScope;
        var now = time.GetUtcNow();
        var users = await db.Users.AsNoTracking().InScope(scope).OrderBy(u => u.RegionPath).ThenBy(u => u.UserName).Take(500).ToListAsync(ct);
        return TypedResults.Ok(users.Select(u => new AccountDto(u.Id, u.UserName ?? "", u.DisplayName, u.Role, u.RegionId, u.Disabled,
            u.LockoutEnd is { } end && end > now)).ToList());
    }

    public sealed record CreateAccount(string? UserName, string? DisplayName, string? Role, int? RegionId, string? Password);

    /// <summary>Creates a staff account in the admin's own subtree; the role must fit the region's level.</summary>
    public static async Task<Results<Created<AccountDto>, ValidationProblem, ProblemHttpResult>> Create(CreateAccount body, HttpContext http,
        UserManager<StaffUser> users, RegionDirectory regions, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        var (account, errors) = await CreateAsync(body, acting.RequiredScope, acting.Actor, users, regions, db, time, ct);
        return account is null ? errors.ToProblem() : TypedResults.Created($"/api/v1/accounts/{account.Id}", account);
    }

    /// <summary>The account-creation rules, shared by the API and the accounts page. Nothing is written when errors come back.</summary>
    public static async Task<(AccountDto? Account, FieldErrors Errors)> CreateAsync(CreateAccount body, RegionScope scope, Actor actor,
        UserManager<StaffUser> users, RegionDirectory regions, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(body.UserName) || body.UserName.Length is < 3 or > 32 || !body.UserName.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-'))
            errors.Add("userName", "用户名为 3-32 位字母、数字或 . _ -", "userName must be 3-32 letters, digits or . _ -");
        if (string.IsNullOrWhiteSpace(body.DisplayName) || body.DisplayName.Length > 32)
            errors.Add("displayName", "姓名必填，最多 32 字", "displayName is required, at most 32 characters");
        if (body.Role is null || !Roles.All.Contains(body.Role))
            errors.Add("role", "角色无效", "unknown role");
        RegionInfo? region = null;
        if (body.RegionId is null) errors.Add("regionId", "必须选择所属区域", "regionId is required");
        else
        {
            region = await regions.FindAsync(body.RegionId.Value, ct);
            if (region is null || !scope.Contains(region.RegionPath))
                errors.Add("regionId", "区域不存在或不在您的辖区内", "region not found or outside your area");
            else if (body.Role is not null && !RoleFits(body.Role, region.Level))
                errors.Add("role", "该角色不能设在此级区域", "this role does not fit the region's level");
        }
        if (errors.Any) return (null, errors);

        var user = new StaffUser
        {
            UserName = body.UserName!.Trim(), DisplayName = body.DisplayName!.Trim(), Role = body.Role!, RegionId = region!.Id,
            RegionPath = region.RegionPath, RegionLevel = region.Level, CreatedAt = time.GetUtcNow(), LockoutEnabled = true,
            SecurityStamp = Guid.NewGuid().ToString("N"),
        };
        // Checked with the user manager's rules, but written through db with its audit line in one save: the manager's own
        // context may be another one (a page's), which the audit line's transaction would not cover.
        var password = body.Password ?? "";
        var failures = new List<IdentityError>();
        foreach (var validator in users.PasswordValidators) failures.AddRange((await validator.ValidateAsync(users, user, password)).Errors);
        foreach (var validator in users.UserValidators) failures.AddRange((await validator.ValidateAsync(users, user)).Errors);
        if (failures.Count > 0)
        {
            foreach (var e in failures)
            {
                errors.Add(e.Code.StartsWith("Password", StringComparison.Ordinal) ? "password" : "userName",
                    e.Code == "DuplicateUserName" ? Bilingual.Both("用户名已存在", "user name already taken") : e.Description);
            }
            return (null, errors);
        }
        user.NormalizedUserName = users.NormalizeName(user.UserName);
        user.PasswordHash = users.PasswordHasher.HashPassword(user, password);
        db.Users.Add(user);
        await db.SaveAuditedAsync(actor, time.GetUtcNow().UtcDateTime, "account.create", $"user:{user.Id}", $"role={user.Role} region={region.Id}", ct);
        return (new AccountDto(user.Id, user.UserName, user.DisplayName, user.Role, user.RegionId, false, false), errors);
    }

    public static bool RoleFits(string role, RegionLevel level) => role switch
    {
        Roles.DistrictAdmin => level == RegionLevel.District,
        Roles.TownOfficer => level == RegionLevel.Town,
        Roles.VillageCadre => level == RegionLevel.Village,
        Roles.GridWorker => level is RegionLevel.Grid or RegionLevel.Village,
        Roles.PoliceOfficer or Roles.Mediator => level is RegionLevel.District or RegionLevel.Town or RegionLevel.Village,
        _ => false,
    };

    private static async Task<Results<NoContent, ProblemHttpResult>> SetDisabled(string userId, bool disabled, HttpContext http,
        UserManager<StaffUser> users, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        return await SetDisabledAsync(userId, disabled, acting.RequiredScope, acting.Actor, users, db, time, ct)
            ? TypedResults.NoContent()
            : Problems.NotFound("账号不存在或不在您的辖区内", "Account not found or outside your area");
    }

    /// <summary>Disables or enables an account in the caller's subtree; false when it is not there.</summary>
    public static async Task<bool> SetDisabledAsync(string userId, bool disabled, RegionScope scope, Actor actor,
        UserManager<StaffUser> users, KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        // Read and written through db, so the change and its audit line are one save whichever context the user manager holds.
        var user = await db.Users.FirstOrDefaultAsync(u => u.Id == userId, ct);
        if (user is null || !scope.Contains(user.RegionPath)) return false;
        user.Disabled = disabled;
        user.ConcurrencyStamp = Guid.NewGuid().ToString();
        // A disabled account's cookies stop working at the next security-stamp check.
        if (disabled) user.SecurityStamp = Guid.NewGuid().ToString("N");
        await db.SaveAuditedAsync(actor, time.GetUtcNow().UtcDateTime, disabled ? "account.disable" : "account.enable", $"user:{user.Id}", null, ct);
        return true;
    }
}

/// <summary>Puts the role, the region scope and the unit memberships on the signed-in principal, so every check is a claim read.</summary>
public sealed class StaffClaimsFactory(UserManager<StaffUser> users, IOptions<IdentityOptions> options, KernelDbContext db)
    : UserClaimsPrincipalFactory<StaffUser>(users, options)
{
    protected override async Task<ClaimsIdentity> GenerateClaimsAsync(StaffUser user)
    {
        var identity = await base.GenerateClaimsAsync(user);
        identity.AddClaim(new Claim(ClaimTypes.Role, user.Role));
        identity.AddClaim(new Claim(StaffClaims.RegionId, user.RegionId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        identity.AddClaim(new Claim(StaffClaims.RegionPath, user.RegionPath));
        identity.AddClaim(new Claim(StaffClaims.RegionLevel, ((int)user.RegionLevel).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        identity.AddClaim(new Claim(StaffClaims.DisplayName, user.DisplayName));
        if (user.MustChangePassword) identity.AddClaim(new Claim(AccountAdmin.MustChangeClaim, "1"));
        foreach (var unitId in await db.UnitMembers.AsNoTracking().Where(m => m.UserId == user.Id).Select(m => m.UnitId).ToListAsync())
        {
            identity.AddClaim(new Claim(StaffClaims.Unit, unitId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }
        return identity;
    }
}
