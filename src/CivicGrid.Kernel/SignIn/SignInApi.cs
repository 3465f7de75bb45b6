using CivicGrid.Kernel.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Kernel.SignIn;

/// <summary>A purpose a module signs people in for with a one-time code; modules register theirs as singletons.</summary>
public sealed record CodePurpose(string Code, string TitleZh, string TitleEn);

/// <summary>The platform's one-time-code endpoint, for phone pages and apps alike.</summary>
public static class SignInApi
{
    public sealed record CodeRequestBody(string? Purpose, string? Phone);

    public static RouteGroupBuilder MapSignInApi(this RouteGroupBuilder api)
    {
        api.MapPost("/sign-in/codes", RequestCode).AllowAnonymous().DisableAntiforgery().WithTags("Platform")
            .WithName("RequestSignInCode")
            .WithSummary("发送登录验证码 / Send a one-time sign-in code to a mobile number");
        return api;
    }

    private static async Task<Results<Accepted, ValidationProblem, ProblemHttpResult>> RequestCode(CodeRequestBody body, HttpContext http,
        OneTimeCodes codes, IEnumerable<CodePurpose> purposes, CancellationToken ct)
    {
        if (body.Purpose is null || !purposes.Any(p => p.Code == body.Purpose))
        {
            var known = string.Join(", ", purposes.Select(p => p.Code));
            return Problems.Field("purpose", $"用途须为 {known} 之一", $"purpose must be one of {known}");
        }
        var result = await codes.RequestAsync(body.Purpose, body.Phone, http.Connection.RemoteIpAddress?.ToString(), ct);
        if (result.RateLimited)
        {
            http.Response.Headers.RetryAfter = ((int)Math.Ceiling(result.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var (field, messages) = result.Errors.ToDictionary().First();
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests,
                title: Bilingual.Both("请求过于频繁", "Too many requests"), detail: messages[0],
                extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = messages } });
        }
        if (result.Errors.Any) return result.Errors.ToProblem();
        return TypedResults.Accepted((string?)null);
    }
}
