using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Declarations;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CivicGrid.Population.Features.Visits;

/// <summary>Something in the worker's area that needs a check at the door: a pending declaration or an unchecked tenancy.</summary>
internal sealed record DueItem(VisitTarget Target, long TargetId, long AddressId, string Address, string Name, string IdMasked, DateTime Since,
    int WaitingDays, bool Overdue);

/// <summary>The oldest first; <see cref="Total"/> and <see cref="Overdue"/> count all of them, <see cref="Items"/> holds at most 200.</summary>
internal sealed record DueList(int Total, int Overdue, int DueDays, List<DueItem> Items);

/// <summary>What a grid worker records at a door. Enum values travel as their names, checked here so a wrong one gets a field message.</summary>
internal sealed class VisitForm
{
    public long? AddressId { get; set; }

    /// <summary>Address (default), Declaration or Tenancy.</summary>
    public string? Target { get; set; }
    public long? TargetId { get; set; }

    /// <summary>Confirmed, NotHome, Discrepancy or Advised.</summary>
    public string? Outcome { get; set; }
    public string? Note { get; set; }

    /// <summary>Photos uploaded first with POST /api/v1/files (kind=photo) by the same worker; at most <see cref="Visits.MaxPhotos"/>.</summary>
    public List<Guid>? Photos { get; set; }
}

internal sealed record VisitDto(long Id, long AddressId, string Address, VisitTarget Target, long? TargetId, VisitOutcome Outcome, string? Note,
    DateTime VisitedAt, string VisitedBy, IReadOnlyList<Guid>? Photos = null);

/// <summary>
/// 必到必访: grid workers (and cadres for their village) see the declarations still pending and the tenancies nobody has checked
/// in their area, oldest first, overdue after <see cref="PopulationOptions.VisitDueDays"/>; they record each visit with its
/// outcome. A confirmed visit confirms the declaration (the same rule as the declarations page) or marks the tenancy checked.
/// </summary>
internal static class Visits
{
    public const int MaxItems = 200;
    public const int MaxNoteLength = 500;
    public const int MaxPhotos = 9;

    /// <summary>The owner of a visit's photos in the platform's file store: whoever may see the visit may see its photos.</summary>
    public const string PhotoOwner = "population.visit";

    public static FileOwnerPolicy PhotoPolicy => new(PhotoOwner, async (services, acting, file, ct) =>
    {
        if (!acting.Has(Permissions.VerifyResidence) || acting.Scope is not { } scope || !long.TryParse(file.OwnerId, out var visitId)) return false;
        var db = services.GetRequiredService<PopulationDbContext>();
        var path = await db.Visits.AsNoTracking().Where(v => v.Id == visitId).Select(v => v.RegionPath).FirstOrDefaultAsync(ct);
        return path is not null && scope.Contains(path);
    });

    public static string OutcomeTitle(VisitOutcome o) => o switch
    {
        VisitOutcome.Confirmed => Bilingual.Pick("核实无误", "Confirmed"),
        VisitOutcome.NotHome => Bilingual.Pick("无人在家", "Nobody home"),
        VisitOutcome.Discrepancy => Bilingual.Pick("信息不符", "Discrepancy"),
        _ => Bilingual.Pick("宣传提醒", "Advised"),
    };

    public static string TargetTitle(VisitTarget t) => t switch
    {
        VisitTarget.Declaration => Bilingual.Pick("居住申报", "Declaration"),
        VisitTarget.Tenancy => Bilingual.Pick("租住登记", "Tenancy"),
        _ => Bilingual.Pick("上门走访", "Address"),
    };

    public static RouteGroupBuilder MapVisitApi(this RouteGroupBuilder api)
    {
        var visits = api.MapGroup("/visits").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.VerifyResidence)));
        visits.MapGet("/due", Due).WithName("ListDueVisits").WithSummary("待走访事项 / Visits due");
        visits.MapPost("/", Record).WithName("RecordVisit").WithSummary("登记走访结果 / Record a visit");
        visits.MapGet("/", History).WithName("ListVisits").WithSummary("走访记录 / Visits made");
        return visits;
    }

    /// <summary>The area (a region inside the caller's scope, or the caller's own), or null when it lies outside.</summary>
    public static async Task<RegionScope?> AreaAsync(RegionDirectory regions, int? regionId, RegionScope callerScope, CancellationToken ct)
    {
        if (regionId is null) return callerScope;
        return (await regions.FindInScopeAsync(regionId.Value, callerScope, ct))?.Scope;
    }

    public static async Task<DueList> DueAsync(PopulationDbContext db, AddressDirectory addresses, RegionScope scope, PopulationOptions options,
        DateTime now, CancellationToken ct)
    {
        var cutoff = now.AddDays(-options.VisitDueDays);
        var declarations = db.Declarations.AsNoTracking().InScope(scope).Where(d => d.Status == DeclarationStatus.Pending);
        var tenancies = db.Tenancies.AsNoTracking().InScope(scope).Where(t => t.CheckedAt == null && t.MoveOut == null);
        var total = await declarations.CountAsync(ct) + await tenancies.CountAsync(ct);
        var overdue = await declarations.CountAsync(d => d.SubmittedAt < cutoff, ct) + await tenancies.CountAsync(t => t.MoveInReportedAt < cutoff, ct);
        var items = (await declarations.OrderBy(d => d.SubmittedAt).ThenBy(d => d.Id).Take(MaxItems)
                .Select(d => new { Target = VisitTarget.Declaration, d.Id, d.AddressId, d.Name, d.IdMasked, Since = d.SubmittedAt }).ToListAsync(ct))
            .Concat(await tenancies.OrderBy(t => t.MoveInReportedAt).ThenBy(t => t.Id).Take(MaxItems)
                .Select(t => new { Target = VisitTarget.Tenancy, t.Id, t.AddressId, Name = t.TenantName, IdMasked = t.TenantIdMasked, Since = t.MoveInReportedAt })
                .ToListAsync(ct))
            .OrderBy(x => x.Since).Take(MaxItems).ToList();
        var lines = await addresses.LinesAsync(items.Select(i => i.AddressId), ct);
        return new DueList(total, overdue, options.VisitDueDays, items.Select(i => new DueItem(i.Target, i.Id, i.AddressId, lines.GetValueOrDefault(i.AddressId, ""),
            i.Name, i.IdMasked, i.Since, (int)(now - i.Since).TotalDays, i.Since < cutoff)).ToList());
    }

    /// <summary>Names only, not numbers: "2" or "1e0" would otherwise pass Enum.TryParse.</summary>
    private static bool TryName<T>(string? value, out T result) where T : struct, Enum =>
        Enum.TryParse(value?.Trim(), ignoreCase: true, out result) && Enum.IsDefined(result) && !char.IsAsciiDigit(value!.Trim()[0]);

    public static FieldErrors Validate(VisitForm form, out VisitTarget target, out VisitOutcome outcome)
    {
        var errors = new FieldErrors();
        target = VisitTarget.Address;
        outcome = default;
        if (form.AddressId is null)
            errors.Add("addressId", "地址必填", "addressId is required");
        if (!string.IsNullOrWhiteSpace(form.Target) && !TryName(form.Target, out target))
            errors.Add("target", "走访对象须为 Address、Declaration 或 Tenancy", "target must be Address, Declaration or Tenancy");
        if (target != VisitTarget.Address && form.TargetId is null)
            errors.Add("targetId", "走访申报或租住登记时须指明其编号", "targetId is required for a declaration or tenancy");
        if (string.IsNullOrWhiteSpace(form.Outcome))
            errors.Add("outcome", "走访结果必填", "outcome is required");
        else if (!TryName(form.Outcome, out outcome))
            errors.Add("outcome", "走访结果须为 Confirmed、NotHome、Discrepancy 或 Advised", "outcome must be Confirmed, NotHome, Discrepancy or Advised");
        var note = form.Note?.Trim();
        if (note is { Length: > MaxNoteLength })
            errors.Add("note", $"备注最多 {MaxNoteLength} 字", $"note is at most {MaxNoteLength} characters");
        if (outcome == VisitOutcome.Discrepancy && string.IsNullOrEmpty(note))
            errors.Add("note", "信息不符时须在备注中说明", "a note is required when the outcome is Discrepancy");
        if (form.Photos is { Count: > MaxPhotos })
            errors.Add("photos", $"每次走访最多 {MaxPhotos} 张照片", $"a visit has at most {MaxPhotos} photos");
        return errors;
    }

    public sealed record RecordResult(Visit? Visit, FieldErrors Errors, bool NotFound);

    /// <summary>
    /// Records a visit at an address of the caller's area, with its effect on the declaration or tenancy, in one commit.
    /// An address or target outside the area is not found.
    /// </summary>
    public static async Task<RecordResult> RecordAsync(PopulationDbContext db, AddressDirectory addresses, PersonalDataProtector protector, VisitForm form,
        RegionScope scope, Actor actor, DateTime now, CancellationToken ct, FileStore? files = null)
    {
        var errors = Validate(form, out var target, out var outcome);
        var photos = form.Photos ?? [];
        if (!errors.Any && photos.Count > 0 && (files is null || !await files.AllAttachableAsync(photos, FileKinds.Photo, actor, ct)))
            errors.Add("photos", "照片须由您本人刚刚上传（kind=photo）且尚未用于其他记录", "photos must be your own fresh uploads (kind=photo) not yet used elsewhere");
        if (errors.Any) return new RecordResult(null, errors, false);
        var address = await addresses.FindAsync(form.AddressId!.Value, ct);
        if (address is null || !scope.Contains(address.RegionPath)) return new RecordResult(null, errors, true);
        Declaration? declaration = null;
        Tenancy? tenancy = null;
        if (target == VisitTarget.Declaration)
        {
            declaration = await db.Declarations.FirstOrDefaultAsync(d => d.Id == form.TargetId && d.AddressId == address.Id, ct);
            if (declaration is null) return new RecordResult(null, errors, true);
        }
        else if (target == VisitTarget.Tenancy)
        {
            tenancy = await db.Tenancies.FirstOrDefaultAsync(t => t.Id == form.TargetId && t.AddressId == address.Id, ct);
            if (tenancy is null) return new RecordResult(null, errors, true);
        }
        var visit = new Visit
        {
            AddressId = address.Id, RegionPath = address.RegionPath, Target = target, TargetId = target == VisitTarget.Address ? null : form.TargetId,
            Outcome = outcome, Note = string.IsNullOrWhiteSpace(form.Note) ? null : form.Note.Trim(), VisitedAt = now, VisitedBy = actor.UserName,
        };
        db.Visits.Add(visit);
        db.Audit(actor, now, "population.visit.record", $"address:{address.Id}", $"{target}:{form.TargetId} {outcome}");
        if (outcome == VisitOutcome.Confirmed && tenancy is not null)
            tenancy.CheckedAt = now;
        if (outcome == VisitOutcome.Confirmed && declaration is { Status: DeclarationStatus.Pending })
        {
            // The visit is saved inside the confirmation's transaction: both or neither.
            await Declarations.Declarations.ConfirmAsync(db, protector, declaration, actor, now, ct);
        }
        else
        {
            await db.SaveChangesAsync(ct);
        }
        // The photos are the Kernel's rows: attached right after the visit is saved (checked above, so only a race with the
        // same worker's other tab can leave one out).
        if (photos.Count > 0) await files!.AttachAsync(photos, PhotoOwner, visit.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), visit.RegionPath, actor, ct);
        return new RecordResult(visit, errors, false);
    }

    public static async Task<List<VisitDto>> HistoryAsync(PopulationDbContext db, AddressDirectory addresses, RegionScope scope, CancellationToken ct,
        int limit = MaxItems, FileStore? files = null)
    {
        var rows = await db.Visits.AsNoTracking().InScope(scope).OrderByDescending(v => v.VisitedAt).ThenByDescending(v => v.Id).Take(limit).ToListAsync(ct);
        var lines = await addresses.LinesAsync(rows.Select(v => v.AddressId), ct);
        var photos = files is null ? [] : await files.ListAsync(PhotoOwner, rows.Select(v => Key(v.Id)), ct);
        return rows.Select(v => new VisitDto(v.Id, v.AddressId, lines.GetValueOrDefault(v.AddressId, ""), v.Target, v.TargetId, v.Outcome, v.Note,
            v.VisitedAt, v.VisitedBy, photos.GetValueOrDefault(Key(v.Id)) ?? [])).ToList();
    }

    private static string Key(long visitId) => visitId.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static async Task<Results<Ok<DueList>, ProblemHttpResult>> Due(int? region, HttpContext http, PopulationDbContext db, RegionDirectory regions,
        AddressDirectory addresses, IOptions<PopulationOptions> options, TimeProvider time, CancellationToken ct)
    {
        var area = await AreaAsync(regions, region, http.User.RequiredScope(), ct);
        if (area is null) return Problems.RegionNotFound();
        return TypedResults.Ok(await DueAsync(db, addresses, area, options.Value, time.GetUtcNow().UtcDateTime, ct));
    }

    private static async Task<Results<Created<VisitDto>, ValidationProblem, ProblemHttpResult>> Record(VisitForm body, HttpContext http,
        PopulationDbContext db, AddressDirectory addresses, PersonalDataProtector protector, FileStore files, TimeProvider time, CancellationToken ct)
    {
        var result = await RecordAsync(db, addresses, protector, body, http.User.RequiredScope(), Actor.From(http), time.GetUtcNow().UtcDateTime, ct, files);
        if (result.Errors.Any) return result.Errors.ToProblem();
        if (result.NotFound || result.Visit is not { } v)
            return Problems.NotFound("地址或走访对象不存在，或不在您的辖区内", "Address or visit target not found, or outside your area");
        var line = (await addresses.LinesAsync([v.AddressId], ct)).GetValueOrDefault(v.AddressId, "");
        return TypedResults.Created($"/api/v1/visits?region={http.User.RequiredScope().RegionId}",
            new VisitDto(v.Id, v.AddressId, line, v.Target, v.TargetId, v.Outcome, v.Note, v.VisitedAt, v.VisitedBy, body.Photos?.Distinct().ToList() ?? []));
    }

    private static async Task<Results<Ok<List<VisitDto>>, ProblemHttpResult>> History(int? region, HttpContext http, PopulationDbContext db,
        RegionDirectory regions, AddressDirectory addresses, FileStore files, CancellationToken ct)
    {
        var area = await AreaAsync(regions, region, http.User.RequiredScope(), ct);
        if (area is null) return Problems.RegionNotFound();
        return TypedResults.Ok(await HistoryAsync(db, addresses, area, ct, files: files));
    }
}
