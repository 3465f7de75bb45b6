using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Calendar;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Landlords;
using CivicGrid.Population.Features.Reminders;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CivicGrid.Population.Features.Tenancies;

/// <summary>
/// Wiring of the rental slice: landlords' tenancy reports (landlord cookie; a landlord reaches only their own properties,
/// anything else answers 404), the staff list of late reports (region-scoped), the reminder service and the staff page.
/// </summary>
internal static class TenancyApi
{
    /// <summary>Roles that oversee rentals: village cadres, town and district staff.</summary>
    public static readonly string[] StaffRoles = [Roles.DistrictAdmin, Roles.TownOfficer, Roles.VillageCadre];

    public static IServiceCollection AddTenancies(this IServiceCollection services)
    {
        services.AddPlatformJob<ReminderService>(ReminderService.JobKey, "房东逾期登记短信提醒", "Landlords' late-report reminders",
            Kernel.Jobs.JobSchedule.Every(ReminderService.Interval));
        services.AddSingleton(new NavEntry(23, "出租房管理", "Rentals", "rentals", "home", StaffRoles));
        return services;
    }

    public static RouteGroupBuilder MapTenancyApi(this RouteGroupBuilder api)
    {
        var landlord = api.MapGroup("/landlord/tenancies").WithTags("Landlords").RequireAuthorization(Landlords.Landlords.Policy);
        landlord.MapGet("/", List).WithName("ListMyTenancies").WithSummary("房东的租客 / The landlord's tenants");
        landlord.MapPost("/", MoveIn).WithName("ReportMoveIn").WithSummary("房东登记租客入住 / The landlord reports a tenant moving in");
        landlord.MapPost("/{tenancyId:long}/move-out", MoveOut).WithName("ReportMoveOut").WithSummary("房东登记租客退租 / The landlord reports a move-out");
        landlord.MapGet("/late", LandlordLate).WithName("ListMyLateReports").WithSummary("房东逾期未登记事项 / The landlord's late reports");
        Import.ImportKinds.MapRentalImportApi(api);
        api.MapGet("/regions/{id:int}/tenancies/late", RegionLate).WithName("ListLateReports").WithSummary("区域内逾期未登记的租住信息 / Late reports of a region").WithTags("Population").RequireAuthorization(p => p.RequireRole(StaffRoles));
        api.MapGet("/regions/{id:int}/rentals", RegionRentals).WithName("ListRentals").WithSummary("区域内的出租房与在租租客 / Rentals and current tenants of a region").WithTags("Population").RequireAuthorization(p => p.RequireRole(StaffRoles));
        return api;
    }

    private static long Me(HttpContext http) => Landlords.Landlords.LandlordId(http.User) ?? 0;

    private static Kernel.Audit.Actor LandlordActor(HttpContext http) =>
        new(null, $"landlord:{Me(http)}", "landlord", "", http.Connection.RemoteIpAddress?.ToString());

    private static async Task<Ok<List<TenancyDto>>> List(bool? open, HttpContext http, PopulationDbContext db, CancellationToken ct)
    {
        var query = Tenancies.OfLandlord(db, Me(http)).AsNoTracking();
        if (open is not null) query = open.Value ? query.Where(t => t.MoveOut == null) : query.Where(t => t.MoveOut != null);
        var rows = await query.OrderByDescending(t => t.Id).Take(500).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(TenancyDto.From).ToList());
    }

    private static async Task<Results<Created<TenancyDto>, Ok<TenancyDto>, ValidationProblem, ProblemHttpResult>> MoveIn(MoveInForm form, HttpContext http,
        PopulationDbContext db, PersonalDataProtector protector, TimeProvider time, CancellationToken ct)
    {
        var result = await Tenancies.ReportMoveInAsync(db, protector, Me(http), form, LandlordActor(http), time.GetUtcNow().UtcDateTime, ct);
        return result.Outcome switch
        {
            Tenancies.Outcome.Created => TypedResults.Created($"/api/v1/landlord/tenancies/{result.Tenancy!.Id}", TenancyDto.From(result.Tenancy)),
            Tenancies.Outcome.Merged => TypedResults.Ok(TenancyDto.From(result.Tenancy!)),
            Tenancies.Outcome.Invalid => result.Errors.ToProblem(),
            Tenancies.Outcome.Duplicate => Problems.Conflict("idNumber", Tenancies.DuplicateZh, Tenancies.DuplicateEn),
            _ => Problems.NotFound("出租房不存在或不属于您", "Rental property not found or not yours"),
        };
    }

    private static async Task<Results<Ok<TenancyDto>, ValidationProblem, ProblemHttpResult>> MoveOut(long tenancyId, MoveOutForm form, HttpContext http,
        PopulationDbContext db, TimeProvider time, CancellationToken ct)
    {
        var result = await Tenancies.ReportMoveOutAsync(db, Me(http), tenancyId, form, LandlordActor(http), time.GetUtcNow().UtcDateTime, ct);
        return result.Outcome switch
        {
            Tenancies.Outcome.Done => TypedResults.Ok(TenancyDto.From(result.Tenancy!)),
            Tenancies.Outcome.Invalid => result.Errors.ToProblem(),
            Tenancies.Outcome.AlreadyMovedOut => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: Bilingual.Both("已退租", "Already moved out"),
                detail: Bilingual.Both("该租客的退租已登记", "This tenant's move-out was already reported")),
            _ => Problems.NotFound("租住记录不存在或不属于您", "Tenancy not found or not yours"),
        };
    }

    private static async Task<Ok<List<LateItem>>> LandlordLate(HttpContext http, PopulationDbContext db, IOptionsMonitor<PopulationOptions> options, WorkCalendar calendar,
        TimeProvider time, CancellationToken ct)
    {
        return TypedResults.Ok(await LateReports.ListAsync(db, options.CurrentValue, calendar, Tenancies.Today(time.GetUtcNow().UtcDateTime), null, Me(http), ct));
    }

    /// <summary>Late reports of a region's subtree, most overdue first, a page at a time (?page=1&amp;size=50, size at most 200).</summary>
    private static async Task<Results<Ok<LatePage>, ProblemHttpResult, ValidationProblem>> RegionLate(int id, int? page, int? size, HttpContext http,
        PopulationDbContext db, RegionDirectory regions, IOptionsMonitor<PopulationOptions> options, WorkCalendar calendar, TimeProvider time, CancellationToken ct)
    {
        var (p, s) = (page ?? 1, size ?? Rentals.DefaultPageSize);
        if (Problems.Paging(p, s, Rentals.MaxPageSize) is { } bad) return bad;
        if (await regions.FindInScopeAsync(id, http.User.RequiredScope(), ct) is not { } region) return Problems.RegionNotFound();
        var late = await LateReports.ListAsync(db, options.CurrentValue, calendar, Tenancies.Today(time.GetUtcNow().UtcDateTime), region.Scope, null, ct);
        return TypedResults.Ok(Rentals.PageOf(late, p, s));
    }

    /// <summary>Rental properties of a region's subtree with landlords (masked) and current tenants, late ones first, a page at a time.</summary>
    private static async Task<Results<Ok<RentalPage>, ProblemHttpResult, ValidationProblem>> RegionRentals(int id, int? page, int? size, HttpContext http,
        PopulationDbContext db, AddressDirectory addresses, RegionDirectory regions, IOptionsMonitor<PopulationOptions> options, WorkCalendar calendar, TimeProvider time, CancellationToken ct)
    {
        var (p, s) = (page ?? 1, size ?? Rentals.DefaultPageSize);
        if (Problems.Paging(p, s, Rentals.MaxPageSize) is { } bad) return bad;
        if (await regions.FindInScopeAsync(id, http.User.RequiredScope(), ct) is not { } region) return Problems.RegionNotFound();
        var late = await LateReports.ListAsync(db, options.CurrentValue, calendar, Tenancies.Today(time.GetUtcNow().UtcDateTime), region.Scope, null, ct);
        return TypedResults.Ok(await Rentals.PageAsync(db, addresses, region.Scope, late.Select(l => l.PropertyId).Distinct().ToList(), p, s, ct));
    }
}
