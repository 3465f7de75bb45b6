using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Web;
using CivicGrid.AntiFraud.Data;
using CivicGrid.Population.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;

namespace CivicGrid.AntiFraud.Features.Simulate;

/// <summary>
/// The people of the demo district for <c>simulate fraud --post</c>: blind indexes of registered residents, so that the
/// simulated frauds name people the register knows and their alerts go to the town's police, as real feeds would. Only
/// while the platform runs its demo district (CivicGrid:Demo:SeedOnFirstRun), only for district admins, audited.
/// </summary>
internal static class DemoSubjectsApi
{
    public const int MaxCount = 100_000;

    public static RouteGroupBuilder MapDemoSubjectsApi(this RouteGroupBuilder group)
    {
        group.MapGet("/demo-subjects", Get).WithName("ListDemoSubjects")
            .WithSummary("演示辖区居民的盲索引（仅演示模式，供模拟器使用） / Blind indexes of the demo district's residents (demo only, for the simulator)")
            .RequireAuthorization(p => p.RequireRole(Roles.DistrictAdmin));
        return group;
    }

    private static async Task<Results<Ok<List<string>>, ValidationProblem, ProblemHttpResult>> Get(int? count, HttpContext http, IConfiguration config,
        ResidenceDirectory residents, AntiFraudDbContext db, TimeProvider time, CancellationToken ct)
    {
        if (!config.GetValue("CivicGrid:Demo:SeedOnFirstRun", true))
            return Problems.NotFound("仅演示辖区提供模拟人员", "Simulated people come from the demo district only");
        var n = count ?? 2_000;
        if (n is < 1 or > MaxCount) return Problems.Field("count", $"人数须在 1 到 {MaxCount:N0} 之间", $"count must be between 1 and {MaxCount:N0}");
        var acting = Acting.From(http);
        var subjects = await residents.SampleAsync(acting.RequiredScope, n, ct);
        await db.SaveAuditedAsync(acting.Actor, time.GetUtcNow().UtcDateTime, "antifraud.demo_subjects", $"region:{acting.RequiredScope.RegionId}",
            $"count:{subjects.Count}", ct);
        return TypedResults.Ok(subjects.ToList());
    }
}
