using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Tenancies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Landlords;

/// <summary>A landlord's claim waiting for a decision, with the landlords who already hold the address (masked).</summary>
internal sealed record ClaimRow(long PropertyId, long AddressId, string Address, long LandlordId, string Landlord, int Rooms, PropertyClaim Claim,
    DateTime RegisteredAt, List<string> Holders);

internal sealed class ClaimDecision
{
    /// <summary>"document" or "visit" to verify; ignored when rejecting.</summary>
    public string? Evidence { get; set; }

    /// <summary>What was seen (verify, optional) or why the claim is rejected (required).</summary>
    public string? Note { get; set; }
}

/// <summary>
/// Staff decide landlords' claims to rental properties (房东认领核实): a grid worker or cadre verifies a pending claim
/// with an ownership document or a visit, or rejects it with a reason; a disputed claim (another landlord holds the
/// address) is decided by the village or above, not by a grid worker.
/// </summary>
internal static class Claims
{
    public enum Outcome { Done, NotFound, Invalid, VillageDecides, AlreadyDecided }

    public static IQueryable<RentalProperty> Open(PopulationDbContext db, RegionScope scope) =>
        db.RentalProperties.InScope(scope).Where(p => p.Claim == PropertyClaim.Pending || p.Claim == PropertyClaim.Disputed);

    public static async Task<List<ClaimRow>> ListAsync(PopulationDbContext db, AddressDirectory addresses, RegionScope scope, int take, CancellationToken ct)
    {
        var open = await Open(db, scope).AsNoTracking().OrderBy(p => p.Id).Take(take).ToListAsync(ct);
        var addressIds = open.Select(p => p.AddressId).Distinct().ToList();
        var holders = await db.RentalProperties.AsNoTracking().Where(p => addressIds.Contains(p.AddressId) && p.Claim == PropertyClaim.Verified)
            .Select(p => new { p.AddressId, p.LandlordId }).ToListAsync(ct);
        var landlords = await Rentals.LandlordTextsAsync(db, open.Select(p => p.LandlordId).Concat(holders.Select(h => h.LandlordId)), ct);
        var lines = await addresses.LinesAsync(addressIds, ct);
        return open.Select(p => new ClaimRow(p.Id, p.AddressId, lines.GetValueOrDefault(p.AddressId, ""), p.LandlordId, landlords.GetValueOrDefault(p.LandlordId, ""),
            p.Rooms, p.Claim, p.RegisteredAt, holders.Where(h => h.AddressId == p.AddressId).Select(h => landlords.GetValueOrDefault(h.LandlordId, "")).ToList())).ToList();
    }

    /// <summary>
    /// Verifies or rejects a claim of the caller's area. Two people deciding the same claim at once: one decides, the
    /// other is told it was already decided. The decision and its audit line commit together.
    /// </summary>
    public static async Task<(Outcome Outcome, FieldErrors Errors)> DecideAsync(PopulationDbContext db, long propertyId, bool verify, ClaimDecision form,
        RegionScope scope, Actor actor, DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var property = await db.RentalProperties.AsNoTracking().InScope(scope).FirstOrDefaultAsync(p => p.Id == propertyId, ct);
        if (property is null) return (Outcome.NotFound, errors);
        if (property.Claim is not (PropertyClaim.Pending or PropertyClaim.Disputed)) return (Outcome.AlreadyDecided, errors);
        if (property.Claim == PropertyClaim.Disputed && scope.Level == RegionLevel.Grid) return (Outcome.VillageDecides, errors);
        var note = form.Note?.Trim();
        ClaimEvidence? evidence = null;
        if (verify)
        {
            evidence = form.Evidence?.Trim().ToLowerInvariant() switch { "document" => ClaimEvidence.Document, "visit" => ClaimEvidence.Visit, _ => null };
            if (evidence is null) errors.Add("evidence", "请选择核实依据：产权证明材料或上门核实", "evidence must be document or visit");
        }
        else if (string.IsNullOrEmpty(note) || note.Length < 4)
        {
            errors.Add("note", "不通过须填写理由（至少 4 个字）", "a reason of at least 4 characters is required to reject");
        }
        if (note is { Length: > 160 }) errors.Add("note", "说明最多 160 个字", "the note may have at most 160 characters");
        if (errors.Any) return (Outcome.Invalid, errors);

        var text = verify ? $"{(evidence == ClaimEvidence.Document ? "产权证明" : "上门核实")}{(string.IsNullOrEmpty(note) ? "" : "：" + note)}" : note!;
        var claim = verify ? PropertyClaim.Verified : PropertyClaim.Rejected;
        var decided = await db.SaveAuditedAsync(actor, now, async ct =>
        {
            // Only the decision that still sees the claim as it was changes it: a second one at the same time writes nothing.
            var changed = await db.RentalProperties.Where(p => p.Id == propertyId && p.Claim == property.Claim)
                .ExecuteUpdateAsync(u => u.SetProperty(p => p.Claim, claim).SetProperty(p => p.ClaimNote, text)
                    .SetProperty(p => p.DecidedAt, now).SetProperty(p => p.DecidedBy, actor.UserName), ct);
            return changed == 0 ? [] : [new AuditLine(verify ? "population.property.verify" : "population.property.reject", $"property:{propertyId}", text)];
        }, ct);
        return (decided ? Outcome.Done : Outcome.AlreadyDecided, errors);
    }

    public static RouteGroupBuilder MapClaimsApi(this RouteGroupBuilder api)
    {
        var staff = api.MapGroup("").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.VerifyResidence)));
        staff.MapGet("/regions/{id:int}/rental-claims", List)
            .WithName("ListRentalClaims").WithSummary("待核实的房东认领 / Landlords' claims awaiting a decision in a region");
        staff.MapPost("/rental-claims/{propertyId:long}/verify", (long propertyId, ClaimDecision form, HttpContext http, PopulationDbContext db, TimeProvider time,
                CancellationToken ct) => Decide(propertyId, true, form, http, db, time, ct))
            .WithName("VerifyRentalClaim").WithSummary("核实房东认领 / Verify a landlord's claim (evidence: document or visit)");
        staff.MapPost("/rental-claims/{propertyId:long}/reject", (long propertyId, ClaimDecision form, HttpContext http, PopulationDbContext db, TimeProvider time,
                CancellationToken ct) => Decide(propertyId, false, form, http, db, time, ct))
            .WithName("RejectRentalClaim").WithSummary("驳回房东认领 / Reject a landlord's claim with a reason");
        return api;
    }

    private static async Task<Results<Ok<List<ClaimRow>>, ProblemHttpResult>> List(int id, HttpContext http, PopulationDbContext db, AddressDirectory addresses,
        RegionDirectory regions, CancellationToken ct)
    {
        if (await regions.FindInScopeAsync(id, http.User.RequiredScope(), ct) is not { } region) return Problems.RegionNotFound();
        return TypedResults.Ok(await ListAsync(db, addresses, region.Scope, 500, ct));
    }

    private static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> Decide(long propertyId, bool verify, ClaimDecision form, HttpContext http,
        PopulationDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (outcome, errors) = await DecideAsync(db, propertyId, verify, form, http.User.RequiredScope(), Actor.From(http), time.GetUtcNow().UtcDateTime, ct);
        return outcome switch
        {
            Outcome.Done => TypedResults.NoContent(),
            Outcome.Invalid => errors.ToProblem(),
            Outcome.VillageDecides => Problems.Forbidden("该地址已有房东登记，须由村（社区）干部裁定", "another landlord holds this address: the village decides"),
            Outcome.AlreadyDecided => Problems.Conflict("propertyId", "该认领已处理", "this claim was already decided"),
            _ => Problems.NotFound("认领不存在或不在您的辖区内", "Claim not found or outside your area"),
        };
    }
}
