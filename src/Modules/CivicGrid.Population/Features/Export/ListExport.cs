using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Permits;
using CivicGrid.Population.Features.Visits;
using ClosedXML.Excel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace CivicGrid.Population.Features.Export;

/// <summary>
/// Excel exports of the permits and visits lists of an area. They hold masked numbers only (the lists keep no others), so
/// the region can travel in the URL and a plain link downloads them; each export is audited with its row count.
/// </summary>
internal static class ListExport
{
    public const int MaxRows = 100_000;

    public static RouteGroupBuilder MapListExports(this RouteGroupBuilder api)
    {
        api.MapGet("/permits/export", ExportPermits).WithName("ExportPermits").WithSummary("导出居住证名单（Excel） / Export permits as Excel").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.VerifyResidence)));
        api.MapGet("/visits/export", ExportVisits).WithName("ExportVisits").WithSummary("导出走访记录（Excel） / Export visits as Excel").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.VerifyResidence)));
        return api;
    }

    public static byte[] Workbook(string sheetName, string[] headers, IEnumerable<string?[]> rows)
    {
        using var workbook = new XLWorkbook();
        var sheet = workbook.Worksheets.Add(sheetName);
        for (var c = 0; c < headers.Length; c++) sheet.Cell(1, c + 1).SetValue(headers[c]);
        sheet.Row(1).Style.Font.Bold = true;
        var r = 1;
        foreach (var row in rows)
        {
            r++;
            for (var c = 0; c < row.Length; c++) sheet.Cell(r, c + 1).SetValue(TabularFile.SafeCell(row[c]));
        }
        sheet.SheetView.FreezeRows(1);
        using var output = new MemoryStream();
        workbook.SaveAs(output);
        return output.ToArray();
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportPermits(int? region, PermitStatus? status, HttpContext http,
        PopulationDbContext db, RegionDirectory regions, AddressDirectory addresses, TimeProvider time, CancellationToken ct)
    {
        var area = await Visits.Visits.AreaAsync(regions, region, http.User.RequiredScope(), ct);
        if (area is null) return Problems.RegionNotFound();
        var rows = await Permits.Permits.ListAsync(db, addresses, area, status, ct, MaxRows);
        var now = time.GetUtcNow().UtcDateTime;
        await db.SaveAuditedAsync(Actor.From(http), now, "population.permits.export", $"region:{area.RegionId}", $"rows:{rows.Count} status:{status?.ToString() ?? "all"}", ct);
        var file = Workbook("居住证", ["姓名", "身份证号", "手机号", "工作单位", "地址", "状态", "证号", "申请日期", "签发日期", "上次签注", "下次签注", "退回理由"],
            rows.Select(p => new[]
            {
                p.Name, p.IdMasked, p.PhoneMasked, p.Employer, p.Address, Permits.Permits.StatusTitle(p.Status), p.PermitNumber,
                ChinaTime.Date(p.AppliedAt), p.IssuedOn?.ToString("yyyy-MM-dd"), p.LastEndorsedOn?.ToString("yyyy-MM-dd"),
                p.EndorsementDue?.ToString("yyyy-MM-dd"), p.RejectReason,
            }));
        return TypedResults.File(file, Residents.ResidentExport.ContentType, $"居住证-{ChinaTime.Format(now, "yyyyMMdd-HHmm")}.xlsx");
    }

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> ExportVisits(int? region, HttpContext http, PopulationDbContext db,
        RegionDirectory regions, AddressDirectory addresses, TimeProvider time, CancellationToken ct)
    {
        var area = await Visits.Visits.AreaAsync(regions, region, http.User.RequiredScope(), ct);
        if (area is null) return Problems.RegionNotFound();
        var rows = await Visits.Visits.HistoryAsync(db, addresses, area, ct, MaxRows);
        var now = time.GetUtcNow().UtcDateTime;
        await db.SaveAuditedAsync(Actor.From(http), now, "population.visits.export", $"region:{area.RegionId}", $"rows:{rows.Count}", ct);
        var file = Workbook("走访记录", ["走访时间", "地址", "走访对象", "结果", "备注", "走访人"],
            rows.Select(v => new[]
            {
                ChinaTime.Minute(v.VisitedAt), v.Address, Visits.Visits.TargetTitle(v.Target), Visits.Visits.OutcomeTitle(v.Outcome),
                v.Note, v.VisitedBy,
            }));
        return TypedResults.File(file, Residents.ResidentExport.ContentType, $"走访记录-{ChinaTime.Format(now, "yyyyMMdd-HHmm")}.xlsx");
    }
}
