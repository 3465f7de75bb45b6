using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace CivicGrid.Kernel.Web;

/// <summary>Bad input answers: HTTP 400/404 problem details whose messages name the field, in Chinese and English.</summary>
public static class Problems
{
    public static ValidationProblem Field(string field, string zh, string en) =>
        TypedResults.ValidationProblem(
            new Dictionary<string, string[]> { [field] = [Bilingual.Both(zh, en)] },
            title: Bilingual.Both("输入有误", "Invalid input"));

    public static ValidationProblem Fields(IReadOnlyDictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, title: Bilingual.Both("输入有误", "Invalid input"));

    public static ProblemHttpResult NotFound(string zh, string en) =>
        TypedResults.Problem(statusCode: StatusCodes.Status404NotFound,
            title: Bilingual.Both("未找到", "Not found"), detail: Bilingual.Both(zh, en));

    /// <summary>The one answer for a region id outside the caller's subtree: the same as for an id that does not exist.</summary>
    public static ProblemHttpResult RegionNotFound() => NotFound("区域不存在或不在您的辖区内", "Region not found or outside your area");

    /// <summary>
    /// 409: the request was valid but lost to a write already made (a double-posted form, a concurrent edit). The field it
    /// collides on is named in <c>errors</c>, as in a validation problem, so clients show it next to the field.
    /// </summary>
    public static ProblemHttpResult Conflict(string field, string zh, string en) =>
        TypedResults.Problem(statusCode: StatusCodes.Status409Conflict,
            title: Bilingual.Both("与已有记录冲突", "Conflict with an existing record"), detail: Bilingual.Both(zh, en),
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [Bilingual.Both(zh, en)] } });

    /// <summary>The platform's paging rule for every list: page from 1, size from 1 to <paramref name="maxSize"/>; null when both hold.</summary>
    public static ValidationProblem? Paging(int page, int size, int maxSize) =>
        page < 1 ? Field("page", "页码须从 1 开始", "page starts at 1")
        : size < 1 || size > maxSize ? Field("size", $"每页条数须在 1 到 {maxSize} 之间", $"size must be between 1 and {maxSize}")
        : null;

    public static ProblemHttpResult Forbidden(string zh, string en) =>
        TypedResults.Problem(statusCode: StatusCodes.Status403Forbidden,
            title: Bilingual.Both("无权操作", "Forbidden"), detail: Bilingual.Both(zh, en));
}

/// <summary>Collects field errors of one request before anything is written.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> errors = [];

    public bool Any => errors.Count > 0;

    public bool Has(string field) => errors.ContainsKey(field);

    public void Add(string field, string zh, string en) => Add(field, Bilingual.Both(zh, en));

    public void Add(string field, string bilingualMessage)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }
        list.Add(bilingualMessage);
    }

    public Dictionary<string, string[]> ToDictionary() => errors.ToDictionary(e => e.Key, e => e.Value.ToArray());

    public ValidationProblem ToProblem() => Problems.Fields(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
}
