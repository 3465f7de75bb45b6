using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Residents;

// Public: a component parameter (ResidentTable) has this type, and Razor components are always public.
public sealed record ResidentDto(long Id, string Name, string IdMasked, string? PhoneMasked, bool Male, DateOnly BirthDate, long AddressId,
    ResidenceKind Kind, bool Declared, bool Verified, DateOnly? Since, DateOnly? Until)
{
    internal static ResidentDto From(Resident r) => new(r.Id, r.Name, r.IdMasked, r.PhoneMasked, r.Male, r.BirthDate, r.AddressId, r.Kind,
        r.Declared, r.Verified, r.Since, r.Until);
}

/// <summary>Search criteria travel in the body: ID and phone numbers never go into a URL.</summary>
// Public: a component parameter (ResidentExportButtons) has this type.
public sealed record ResidentSearch(int? RegionId, string? IdNumber, string? Phone, string? Name, long? AddressId, bool IncludeFormer = false);

internal sealed record UnmaskRequest(string? Field, string? Reason, string? Purpose = null);

internal sealed record UnmaskResult(string Value);

/// <summary>The register: search by ID number or phone (exact, through the blind index), name or address; unmask with a reason.</summary>
internal static class ResidentApi
{
    public const int MaxResults = 200;

    public static RouteGroupBuilder MapResidentApi(this RouteGroupBuilder api)
    {
        var residents = api.MapGroup("/residents").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.ReadRegister)));
        residents.MapPost("/search", Search).WithName("SearchResidents").WithSummary("查询居住人员（脱敏） / Search the register (masked)");
        residents.MapPost("/export", ResidentExport.Export).WithName("ExportResidents").WithSummary("导出居住人员名单（Excel） / Export residents as Excel");
        residents.MapPost("/{residentId:long}/unmask", Unmask).WithName("UnmaskResident").WithSummary("查看居住人员完整身份证号或手机号（须填理由，留审计） / Show a resident's full ID number or phone (reason required, audited)")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.Unmask)));
        return api;
    }

    public sealed record SearchOutcome(List<ResidentDto>? Rows, FieldErrors Errors, bool RegionMissing);

    /// <summary>Shared by the API and the register page.</summary>
    public static async Task<SearchOutcome> SearchAsync(ResidentSearch q, RegionScope callerScope, PopulationDbContext db, RegionDirectory regions,
        PersonalDataProtector protector, CancellationToken ct)
    {
        var built = await QueryAsync(q, callerScope, db, regions, protector, requireCriterion: true, ct);
        if (built.Query is null) return new SearchOutcome(null, built.Errors, built.RegionMissing);
        // A name prefix is answered in name order: the name index then stops after MaxResults rows instead of sorting
        // every match (measured at district scale: p99 130 ms → 7 ms for a one-character surname).
        var ordered = string.IsNullOrWhiteSpace(q.Name) ? built.Query.OrderBy(r => r.Id) : built.Query.OrderBy(r => r.Name).ThenBy(r => r.Id);
        // Only the listed columns: the encrypted blobs stay in the table (measured: name search p99 6.4 → 3.9 ms at district scale).
        var rows = await ordered.Take(MaxResults).Select(r => new ResidentDto(r.Id, r.Name, r.IdMasked, r.PhoneMasked, r.Male, r.BirthDate,
            r.AddressId, r.Kind, r.Declared, r.Verified, r.Since, r.Until)).ToListAsync(ct);
        return new SearchOutcome(rows, built.Errors, false);
    }

    public sealed record QueryOutcome(IQueryable<Resident>? Query, FieldErrors Errors, bool RegionMissing, RegionScope Scope);

    /// <summary>
    /// The search criteria as a query of the caller's area (or of a region inside it), shared by search and export. Export
    /// takes a region alone (its register); search wants at least one criterion.
    /// </summary>
    public static async Task<QueryOutcome> QueryAsync(ResidentSearch q, RegionScope callerScope, PopulationDbContext db, RegionDirectory regions,
        PersonalDataProtector protector, bool requireCriterion, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var scope = callerScope;
        if (q.RegionId is { } regionId)
        {
            var region = await regions.FindInScopeAsync(regionId, callerScope, ct);
            if (region is null) return new QueryOutcome(null, errors, true, callerScope);
            scope = region.Scope;
        }
        var query = db.Residents.AsNoTracking().InScope(scope);
        var any = false;
        if (!string.IsNullOrWhiteSpace(q.IdNumber))
        {
            if (CitizenId.TryNormalize(q.IdNumber, out var id, out var error))
            {
                var index = protector.BlindIndex("id", id);
                query = query.Where(r => r.IdIndex == index);
                any = true;
            }
            else errors.Add("idNumber", error!);
        }
        if (!string.IsNullOrWhiteSpace(q.Phone))
        {
            if (MobileNumber.TryNormalize(q.Phone, out var phone, out var error))
            {
                var index = protector.BlindIndex("phone", phone);
                query = query.Where(r => r.PhoneIndex == index);
                any = true;
            }
            else errors.Add("phone", error!);
        }
        if (!string.IsNullOrWhiteSpace(q.Name))
        {
            var name = q.Name.Trim();
            // Prefix match on the indexed name column: "张" finds 张三 and 张三丰.
            query = query.Where(r => string.Compare(r.Name, name) >= 0 && string.Compare(r.Name, name + "\uffff") < 0);
            any = true;
        }
        if (q.AddressId is { } addressId)
        {
            query = query.Where(r => r.AddressId == addressId);
            any = true;
        }
        if (requireCriterion && !any && !errors.Any) errors.Add("query", "请至少填写一个查询条件", "give at least one search criterion");
        if (errors.Any) return new QueryOutcome(null, errors, false, scope);
        if (!q.IncludeFormer) query = query.Where(r => r.Until == null);
        return new QueryOutcome(query, errors, false, scope);
    }

    private static async Task<Results<Ok<List<ResidentDto>>, ValidationProblem, ProblemHttpResult>> Search(ResidentSearch body, HttpContext http,
        PopulationDbContext db, RegionDirectory regions, PersonalDataProtector protector, CancellationToken ct)
    {
        var outcome = await SearchAsync(body, http.User.RequiredScope(), db, regions, protector, ct);
        if (outcome.RegionMissing) return Problems.RegionNotFound();
        return outcome.Rows is null ? outcome.Errors.ToProblem() : TypedResults.Ok(outcome.Rows);
    }

    /// <summary>Reveals a resident's ID number or phone to a permitted account that gives a reason; audited.</summary>
    public static async Task<(string? Value, FieldErrors Errors, bool NotFound)> UnmaskAsync(long residentId, UnmaskRequest body, RegionScope scope,
        Actor actor, PopulationDbContext db, PersonalDataProtector protector, DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (body.Field is not ("id" or "phone")) errors.Add("field", "须为 id 或 phone", "must be id or phone");
        UnmaskReasons.TryCheck(body.Purpose, body.Reason, errors, out var reason);
        if (errors.Any) return (null, errors, false);
        var r = await db.Residents.AsNoTracking().FirstOrDefaultAsync(x => x.Id == residentId, ct);
        if (r is null || !scope.Contains(r.RegionPath)) return (null, errors, true);
        var blob = body.Field == "id" ? r.IdNumber : r.Phone;
        if (blob is null) return (null, errors, true);
        await db.SaveAuditedAsync(actor, now, "personal_data.unmask", $"resident:{r.Id}:{body.Field}", reason, ct);
        return (protector.Decrypt(blob), errors, false);
    }

    private static async Task<Results<Ok<UnmaskResult>, ValidationProblem, ProblemHttpResult>> Unmask(long residentId, UnmaskRequest body, HttpContext http,
        PopulationDbContext db, PersonalDataProtector protector, TimeProvider time, CancellationToken ct)
    {
        var (value, errors, notFound) = await UnmaskAsync(residentId, body, http.User.RequiredScope(), Actor.From(http), db, protector,
            time.GetUtcNow().UtcDateTime, ct);
        if (errors.Any) return errors.ToProblem();
        if (notFound || value is null) return Problems.NotFound("人员不存在或不在您的辖区内", "Resident not found or outside your area");
        return TypedResults.Ok(new UnmaskResult(value));
    }
}
