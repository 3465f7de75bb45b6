using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Kernel.Messaging;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace CivicGrid.Population.Features.Permits;

/// <summary>Staff side of residence permits: lists of the area, issue, reject, endorse (permission verify_residence, audited).</summary>
internal static class PermitApi
{
    public static RouteGroupBuilder MapPermitApi(this RouteGroupBuilder api)
    {
        var permits = api.MapGroup("/permits").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.VerifyResidence)));
        permits.MapGet("/", List).WithName("ListPermits").WithSummary("居住证申领 / Residence permit applications");
        permits.MapGet("/eligible", Eligible).WithName("ListPermitEligible").WithSummary("可申领居住证的人员 / People eligible for a residence permit");
        permits.MapPost("/{permitId:long}/issue", Issue).WithName("IssuePermit").WithSummary("签发居住证 / Issue a permit");
        permits.MapPost("/{permitId:long}/reject", Reject).WithName("RejectPermit").WithSummary("退回居住证申领（须填理由） / Reject an application with a reason");
        permits.MapPost("/{permitId:long}/endorse", Endorse).WithName("EndorsePermit").WithSummary("居住证签注 / Endorse a permit for another year");
        return api;
    }

    private static async Task<Results<Ok<List<PermitDto>>, ProblemHttpResult>> List(int? region, PermitStatus? status, HttpContext http,
        PopulationDbContext db, RegionDirectory regions, AddressDirectory addresses, CancellationToken ct)
    {
        var area = await Visits.Visits.AreaAsync(regions, region, http.User.RequiredScope(), ct);
        if (area is null) return Problems.RegionNotFound();
        return TypedResults.Ok(await Permits.ListAsync(db, addresses, area, status, ct));
    }

    private static async Task<Results<Ok<List<EligibleResident>>, ProblemHttpResult>> Eligible(int? region, HttpContext http, PopulationDbContext db,
        RegionDirectory regions, AddressDirectory addresses, IOptions<PopulationOptions> options, TimeProvider time, CancellationToken ct)
    {
        var area = await Visits.Visits.AreaAsync(regions, region, http.User.RequiredScope(), ct);
        if (area is null) return Problems.RegionNotFound();
        return TypedResults.Ok(await Permits.EligibleAsync(db, addresses, area, Permits.Today(time.GetUtcNow().UtcDateTime), options.Value, ct));
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Issue(long permitId, IssueRequest body, HttpContext http,
        PopulationDbContext db, PersonalDataProtector protector, Outbox outbox, TimeProvider time, CancellationToken ct)
    {
        var (outcome, errors) = await Permits.IssueAsync(db, protector, outbox, permitId, body.PermitNumber, http.User.RequiredScope(), Actor.From(http),
            time.GetUtcNow().UtcDateTime, ct);
        if (outcome == Permits.Outcome.Done) outbox.Notify();
        return Answer(outcome, errors);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Reject(long permitId, Declarations.RejectRequest body,
        HttpContext http, PopulationDbContext db, TimeProvider time, CancellationToken ct)
    {
        var (outcome, errors) = await Permits.RejectAsync(db, permitId, body.Reason, http.User.RequiredScope(), Actor.From(http), time.GetUtcNow().UtcDateTime, ct);
        return Answer(outcome, errors);
    }

    private static async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> Endorse(long permitId, HttpContext http, PopulationDbContext db,
        TimeProvider time, CancellationToken ct) =>
        Answer(await Permits.EndorseAsync(db, permitId, http.User.RequiredScope(), Actor.From(http), time.GetUtcNow().UtcDateTime, ct), new FieldErrors());

    private static Results<NoContent, ValidationProblem, ProblemHttpResult> Answer(Permits.Outcome outcome, FieldErrors errors) => outcome switch
    {
        Permits.Outcome.Done => TypedResults.NoContent(),
        Permits.Outcome.Invalid => errors.ToProblem(),
        Permits.Outcome.WrongState => TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, title: Bilingual.Both("状态不符", "Wrong state"),
            detail: Bilingual.Both("该居住证当前状态不能进行此操作", "The permit's state does not allow this")),
        _ => Problems.NotFound("居住证申请不存在或不在您的辖区内", "Permit not found or outside your area"),
    };
}
