using System.Security.Cryptography;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Declarations;

/// <summary>What a resident types on the doorplate's declaration form.</summary>
internal sealed class DeclarationForm
{
    public string? Name { get; set; }
    public string? IdNumber { get; set; }
    public string? Phone { get; set; }
    public DateOnly? MoveInDate { get; set; }
    public Relation? Relation { get; set; }
}

internal sealed record DeclarationDto(long Id, long AddressId, string Name, string IdMasked, string? PhoneMasked, DateOnly MoveInDate,
    Relation Relation, DeclarationStatus Status, string? RejectReason, DateTime SubmittedAt, int Submissions)
{
    public static DeclarationDto From(Declaration d) => new(d.Id, d.AddressId, d.Name, d.IdMasked, d.PhoneMasked, d.MoveInDate, d.Relation,
        d.Status, d.RejectReason, d.SubmittedAt, d.Submissions);
}

internal sealed record RejectRequest(string? Reason);

/// <summary>
/// Residence self-declaration (居住申报): a resident scans the doorplate and declares; a grid worker, cadre or the landlord
/// confirms or rejects. Confirming writes the residence into the register and closes the person's previous residence.
/// </summary>
internal static class Declarations
{
    public static string RelationTitle(Relation r) => r switch
    {
        Relation.Owner => Bilingual.Pick("房主本人", "Owner"),
        Relation.Family => Bilingual.Pick("家庭成员", "Family member"),
        Relation.Tenant => Bilingual.Pick("租客", "Tenant"),
        _ => Bilingual.Pick("其他", "Other"),
    };

    public static string StatusTitle(DeclarationStatus s) => s switch
    {
        DeclarationStatus.Pending => Bilingual.Pick("待核实", "Waiting for confirmation"),
        DeclarationStatus.Confirmed => Bilingual.Pick("已确认", "Confirmed"),
        _ => Bilingual.Pick("已退回", "Rejected"),
    };

    /// <summary>Checks the form; the messages name the field in both languages and never repeat the value typed.</summary>
    public static FieldErrors Validate(DeclarationForm form, DateOnly today, out string idNumber, out string? phone)
    {
        var errors = new FieldErrors();
        idNumber = "";
        phone = null;
        var name = form.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 32)
            errors.Add("name", "姓名必填，最多 32 字", "name is required, at most 32 characters");
        if (!CitizenId.TryNormalize(form.IdNumber, out idNumber, out var idError, today))
            errors.Add("idNumber", idError ?? Bilingual.Both("身份证号无效", "invalid ID number"));
        if (!string.IsNullOrWhiteSpace(form.Phone))
        {
            if (MobileNumber.TryNormalize(form.Phone, out var p, out var phoneError)) phone = p;
            else errors.Add("phone", phoneError ?? Bilingual.Both("手机号无效", "invalid mobile number"));
        }
        if (form.MoveInDate is not { } moveIn)
            errors.Add("moveInDate", "入住日期必填", "moveInDate is required");
        else if (moveIn > today.AddDays(30) || moveIn < today.AddYears(-100))
            errors.Add("moveInDate", "入住日期不合理（不能晚于 30 天后）", "moveInDate is implausible (at most 30 days ahead)");
        if (form.Relation is not { } relation || !Enum.IsDefined(relation))
            errors.Add("relation", "请选择与户主关系", "relation is required");
        return errors;
    }

    public sealed record SubmitResult(Declaration? Declaration, FieldErrors Errors, bool Merged);

    /// <summary>
    /// Records a declaration at the doorplate's address. The same person declaring again at the same address while the first
    /// one waits is merged into it (same lookup code), not duplicated.
    /// </summary>
    public static async Task<SubmitResult> SubmitAsync(PopulationDbContext db, PersonalDataProtector protector, AddressInfo address,
        DeclarationForm form, string? clientAddress, DateTime now, CancellationToken ct)
    {
        var errors = Validate(form, ChinaTime.DateOf(now), out var idNumber, out var phone);
        if (errors.Any) return new SubmitResult(null, errors, false);
        var idIndex = protector.BlindIndex("id", idNumber);
        var pending = await db.Declarations.FirstOrDefaultAsync(d => d.IdIndex == idIndex && d.AddressId == address.Id
            && d.Status == DeclarationStatus.Pending, ct);
        var merged = pending is not null;
        var declaration = pending ?? new Declaration
        {
            AddressId = address.Id, RegionPath = address.RegionPath, IdIndex = idIndex, IdNumber = protector.Encrypt(idNumber),
            IdMasked = Mask.IdNumber(idNumber), LookupCode = NewLookupCode(), SubmittedAt = now, Submissions = 0,
        };
        declaration.Name = form.Name!.Trim();
        declaration.Phone = phone is null ? null : protector.Encrypt(phone);
        declaration.PhoneIndex = phone is null ? null : protector.BlindIndex("phone", phone);
        declaration.PhoneMasked = phone is null ? null : Mask.Phone(phone);
        declaration.MoveInDate = form.MoveInDate!.Value;
        declaration.Relation = form.Relation!.Value;
        declaration.Submissions++;
        // A new declaration's id comes with its insert: the insert and the audit line commit in one transaction.
        await db.SaveAuditedAsync(new Actor(null, "public", "public", "", clientAddress), now, async ct =>
        {
            if (!merged) db.Declarations.Add(declaration);
            await db.SaveChangesAsync(ct);
            return [new AuditLine(merged ? "population.declaration.resubmit" : "population.declaration.submit", $"declaration:{declaration.Id}", $"address:{address.Id}")];
        }, ct);
        return new SubmitResult(declaration, errors, merged);
    }

    /// <summary>10 characters from an alphabet without look-alikes (no 0/O, 1/I/L).</summary>
    public static string NewLookupCode()
    {
        const string alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ";
        Span<byte> bytes = stackalloc byte[10];
        RandomNumberGenerator.Fill(bytes);
        return string.Create(10, bytes.ToArray(), (span, b) => { for (var i = 0; i < span.Length; i++) span[i] = alphabet[b[i] % alphabet.Length]; });
    }

    public enum DecisionOutcome { Done, NotFound, AlreadyDecided, ReasonMissing }

    /// <summary>
    /// Confirms a pending declaration: the person's open residence elsewhere is closed the day before they moved in, and the
    /// residence at this address is created (or refreshed when they already live here). One transaction.
    /// </summary>
    public static async Task<DecisionOutcome> ConfirmAsync(PopulationDbContext db, PersonalDataProtector protector, long declarationId,
        RegionScope scope, Actor actor, DateTime now, CancellationToken ct)
    {
        var d = await db.Declarations.FirstOrDefaultAsync(x => x.Id == declarationId, ct);
        if (d is null || !scope.Contains(d.RegionPath)) return DecisionOutcome.NotFound;
        return await ConfirmAsync(db, protector, d, actor, now, ct);
    }

    /// <summary>Confirms a declaration the caller was already found entitled to (staff by region, landlord by property).</summary>
    public static Task<DecisionOutcome> ConfirmAsync(PopulationDbContext db, PersonalDataProtector protector, Declaration d, Actor actor,
        DateTime now, CancellationToken ct) => ConfirmAsync(db, protector, d, actor, now, null, ct);

    /// <summary>As above; <paramref name="alsoWrite"/> adds the caller's own rows (a landlord's tenancy) to the same transaction.</summary>
    public static async Task<DecisionOutcome> ConfirmAsync(PopulationDbContext db, PersonalDataProtector protector, Declaration d, Actor actor,
        DateTime now, Func<Resident, Task>? alsoWrite, CancellationToken ct)
    {
        if (d.Status != DeclarationStatus.Pending) return DecisionOutcome.AlreadyDecided;
        await db.SaveAuditedAsync(actor, now, async ct =>
        {
            var (here, closed) = await Residents.Residences.MoveInAsync(db, protector,
                new Residents.PersonRecord(d.Name, d.IdNumber, d.IdIndex, d.IdMasked, d.Phone, d.PhoneIndex, d.PhoneMasked),
                d.AddressId, d.RegionPath, d.MoveInDate, d.Relation == Relation.Tenant ? ResidenceKind.Floating : ResidenceKind.Household, ct);
            here.Declared = true;
            d.Status = DeclarationStatus.Confirmed;
            d.DecidedAt = now;
            d.DecidedBy = actor.UserName;
            await db.SaveChangesAsync(ct);
            d.ResidentId = here.Id;
            if (alsoWrite is not null) await alsoWrite(here);
            return [new AuditLine("population.declaration.confirm", $"declaration:{d.Id}", $"resident:{here.Id} closed:{closed}")];
        }, ct);
        return DecisionOutcome.Done;
    }

    public static async Task<DecisionOutcome> RejectAsync(PopulationDbContext db, long declarationId, string? reason, RegionScope scope, Actor actor,
        DateTime now, CancellationToken ct)
    {
        var d = await db.Declarations.FirstOrDefaultAsync(x => x.Id == declarationId, ct);
        if (d is null || !scope.Contains(d.RegionPath)) return DecisionOutcome.NotFound;
        return await RejectAsync(db, d, reason, actor, now, ct);
    }

    public static async Task<DecisionOutcome> RejectAsync(PopulationDbContext db, Declaration d, string? reason, Actor actor, DateTime now, CancellationToken ct)
    {
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 200) return DecisionOutcome.ReasonMissing;
        if (d.Status != DeclarationStatus.Pending) return DecisionOutcome.AlreadyDecided;
        d.Status = DeclarationStatus.Rejected;
        d.RejectReason = reason;
        d.DecidedAt = now;
        d.DecidedBy = actor.UserName;
        await db.SaveAuditedAsync(actor, now, "population.declaration.reject", $"declaration:{d.Id}", null, ct);
        return DecisionOutcome.Done;
    }

    public static RouteGroupBuilder MapDeclarationApi(this RouteGroupBuilder api)
    {
        api.MapGet("/regions/{id:int}/declarations", List).WithName("ListDeclarations").WithSummary("区域内的居住申报 / Residence declarations of a region").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.VerifyResidence)));
        var one = api.MapGroup("/declarations").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.VerifyResidence)));
        one.MapPost("/{declarationId:long}/confirm", Confirm).WithName("ConfirmDeclaration").WithSummary("确认居住申报 / Confirm a declaration");
        one.MapPost("/{declarationId:long}/reject", Reject).WithName("RejectDeclaration").WithSummary("退回居住申报（须填理由） / Reject a declaration with a reason");
        return api;
    }

    public static IQueryable<Declaration> InRegion(PopulationDbContext db, RegionScope scope, DeclarationStatus? status) =>
        db.Declarations.AsNoTracking().InScope(scope).Where(d => status == null || d.Status == status);

    private static async Task<Results<Ok<List<DeclarationDto>>, ProblemHttpResult>> List(int id, DeclarationStatus? status, HttpContext http,
        PopulationDbContext db, RegionDirectory regions, CancellationToken ct)
    {
        var region = await regions.FindInScopeAsync(id, http.User.RequiredScope(), ct);
        if (region is null) return Problems.RegionNotFound();
        var scope = region.Scope;
        var rows = await InRegion(db, scope, status).OrderBy(d => d.Id).Take(500).ToListAsync(ct);
        return TypedResults.Ok(rows.Select(DeclarationDto.From).ToList());
    }

    private static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> Confirm(long declarationId, HttpContext http,
        PopulationDbContext db, PersonalDataProtector protector, TimeProvider time, CancellationToken ct) =>
        Answer(await ConfirmAsync(db, protector, declarationId, http.User.RequiredScope(), Actor.From(http), time.GetUtcNow().UtcDateTime, ct));

    private static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> Reject(long declarationId, RejectRequest body, HttpContext http,
        PopulationDbContext db, TimeProvider time, CancellationToken ct) =>
        Answer(await RejectAsync(db, declarationId, body.Reason, http.User.RequiredScope(), Actor.From(http), time.GetUtcNow().UtcDateTime, ct));

    private static Results<NoContent, ProblemHttpResult, ValidationProblem> Answer(DecisionOutcome outcome) => outcome switch
    {
        DecisionOutcome.Done => TypedResults.NoContent(),
        DecisionOutcome.ReasonMissing => Problems.Field("reason", "退回须填写 1-200 字的理由", "a reason of 1-200 characters is required"),
        DecisionOutcome.AlreadyDecided => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
            title: Bilingual.Both("已处理", "Already decided"), detail: Bilingual.Both("该申报已被处理", "This declaration was already decided")),
        _ => Problems.NotFound("申报不存在或不在您的辖区内", "Declaration not found or outside your area"),
    };
}
