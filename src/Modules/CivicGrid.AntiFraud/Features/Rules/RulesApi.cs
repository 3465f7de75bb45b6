using System.Text;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CivicGrid.AntiFraud.Features.Rules;

/// <summary>
/// The running rule pack, for the district's anti-fraud centre (police officers and district admins; changes need a
/// district-level account, since the rules cover the whole district):
/// GET rules; POST rules/reload; GET watchlists/{name}?format=xlsx|csv; PUT watchlists/{name} (multipart field "file").
/// </summary>
public static class RulesApi
{
    public static RouteGroupBuilder MapRulesApi(this RouteGroupBuilder group)
    {
        var rules = group.MapGroup("").RequireAuthorization(p => p.RequireRole(AntiFraudModule.AlertRoles));
        rules.MapGet("/rules", (RulePackAdmin admin) => TypedResults.Ok(admin.View()))
            .WithName("GetRulePack").WithSummary("正在运行的预警规则、分级与名单 / The rules, score levels and watchlists running now");
        rules.MapPost("/rules/reload", ReloadAsync)
            .WithName("ReloadRules").WithSummary("重新加载规则与名单（规则文件有误时原规则继续运行） / Reads the rule and watchlist folders again; a bad rule file keeps the running rules (errors name file, line and field)");
        rules.MapGet("/watchlists/{name}", Download)
            .WithName("DownloadWatchlist").WithSummary("下载名单（xlsx 或 csv） / A watchlist as .xlsx (default) or .csv, to edit and upload again");
        rules.MapPut("/watchlists/{name}", ReplaceAsync).DisableAntiforgery()
            .WithName("ReplaceWatchlist").WithSummary("上传替换名单（有一行错误则不改变） / Replaces a watchlist from an uploaded .csv or .xlsx (first column value, second column source); one bad row changes nothing");
        return group;
    }

    private static ProblemHttpResult? DistrictOnly(HttpContext http) =>
        Acting.From(http).RequiredScope.Level == RegionLevel.District ? null
            : Problems.Forbidden("规则与名单覆盖全区，须由区级账号修改", "The rules cover the whole district: a district-level account changes them");

    public static async Task<Results<Ok<ReloadResult>, ProblemHttpResult, ValidationProblem>> ReloadAsync(HttpContext http, RulePackAdmin admin, CancellationToken ct)
    {
        if (DistrictOnly(http) is { } forbidden) return forbidden;
        var result = await admin.ReloadAsync(Acting.From(http).Actor, ct);
        if (result.Reloaded) return TypedResults.Ok(result);
        return Problems.Fields(result.Errors.GroupBy(e => $"{e.File}:{e.Line}")
            .ToDictionary(g => g.Key, g => g.Select(e => Bilingual.Both($"{e.Field}：{e.Message}（规则未更新，原规则继续运行）",
                $"{e.Field}: {e.Message} (rules not reloaded; the previous rules keep running)")).ToArray()));
    }

    public static Results<FileContentHttpResult, ProblemHttpResult, ValidationProblem> Download(string name, string? format, RulePackAdmin admin)
    {
        if (!RulePackAdmin.IsValidListName(name)) return Problems.Field("name", "名单名称无效", "invalid list name");
        if (admin.Export(name) is not { } rows) return Problems.NotFound("名单不存在", "No such watchlist");
        if (string.Equals(format, "csv", StringComparison.OrdinalIgnoreCase))
        {
            // Neutralised for Excel (a value like =1+1 is not run); the upload reads it back to the same values.
            return TypedResults.File(TabularFile.WriteCsv(["value", "source"], rows.Select(r => (IReadOnlyList<string?>)[r.Value, r.Source])),
                "text/csv; charset=utf-8", name + ".csv");
        }
        var xlsx = TabularFile.WriteXlsx(name, ["值 value", "来源 source"], rows.Select(r => (IReadOnlyList<object?>)[r.Value, r.Source]));
        return TypedResults.File(xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", name + ".xlsx");
    }

    public static async Task<Results<Ok<WatchlistReplaceResult>, ProblemHttpResult, ValidationProblem>> ReplaceAsync(
        string name, HttpContext http, RulePackAdmin admin, CancellationToken ct)
    {
        if (DistrictOnly(http) is { } forbidden) return forbidden;
        if (!RulePackAdmin.IsValidListName(name))
            return Problems.Field("name", "名单名称须为小写字母开头的字母、数字或下划线（最多 64 个）", "a list name is lowercase letters, digits and underscores, starting with a letter");
        if (!http.Request.HasFormContentType)
            return Problems.Field("file", "请以 multipart/form-data 上传文件（字段名 file）", "upload the file as multipart/form-data (field \"file\")");
        var form = await http.Request.ReadFormAsync(ct);
        if (form.Files.GetFile("file") is not { } file)
            return Problems.Field("file", "缺少文件（字段名 file）", "the file is missing (field \"file\")");
        if (file.Length > RulePackAdmin.MaxWatchlistBytes)
            return Problems.Field("file", "文件超过 20 MB", "the file is larger than 20 MB");
        WatchlistReplaceResult result;
        try
        {
            await using var stream = file.OpenReadStream();
            result = await admin.ReplaceAsync(name, stream, file.FileName, Acting.From(http).Actor, ct);
        }
        catch (InvalidDataException e)
        {
            return Problems.Fields(new Dictionary<string, string[]> { ["file"] = [e.Message] }); // the message is bilingual already
        }
        if (result.Replaced) return TypedResults.Ok(result);
        return Problems.Fields(result.Errors.GroupBy(e => e.Row == 0 ? "file" : $"row {e.Row}")
            .ToDictionary(g => g.Key, g => g.Select(e => e.Value.Length > 0 ? $"{e.Value}: {e.Reason}" : e.Reason).ToArray()));
    }
}
