using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Kernel.Web;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CivicGrid.Web.Features.Jobs;

/// <summary>The platform's scheduled jobs for district admins: the list (schedule, last run and outcome, next run) and "run now".</summary>
public static class JobsFeature
{
    public static IServiceCollection AddJobsPage(this IServiceCollection services)
    {
        services.AddSingleton(new NavEntry(96, "定时任务", "Scheduled jobs", "jobs", "schedule", Roles.DistrictAdmin));
        return services;
    }

    public static WebApplication MapJobs(this WebApplication app, RouteGroupBuilder api)
    {
        var jobs = api.MapGroup("/jobs").WithTags("Jobs")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.RunJobs)));
        jobs.MapGet("/", List).WithName("ListJobs").WithSummary("定时任务及其运行情况 / Scheduled jobs with their last and next runs");
        jobs.MapPost("/{key}/run", Run).WithName("RunJob").WithSummary("立即运行定时任务 / Run a scheduled job now");
        return app;
    }

    private static async Task<Ok<IReadOnlyList<JobView>>> List(JobBoard board, CancellationToken ct) => TypedResults.Ok(await board.ListAsync(ct));

    /// <summary>202: the run is queued in the scheduler (any node may take it); its outcome shows in the list.</summary>
    private static async Task<Results<Accepted, ProblemHttpResult>> Run(string key, HttpContext http, JobBoard board, CancellationToken ct) =>
        await board.RunNowAsync(key, Actor.From(http), ct)
            ? TypedResults.Accepted("/api/v1/jobs")
            : Problems.NotFound("没有该定时任务", "No scheduled job with this key");
}
