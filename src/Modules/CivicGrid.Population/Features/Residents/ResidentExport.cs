using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using ClosedXML.Excel;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Residents;

/// <summary>
/// The search criteria (all optional: a region alone exports its register), plus whether to unmask. Sent in the body, so
/// ID and phone numbers never go into a URL.
/// </summary>
internal sealed record ResidentExportRequest(int? RegionId, string? IdNumber, string? Phone, string? Name, long? AddressId, bool IncludeFormer = false,
    bool Unmask = false, string? Reason = null, string? Purpose = null)
{
    public ResidentSearch Search => new(RegionId, IdNumber, Phone, Name, AddressId, IncludeFormer);
}

/// <summary>
/// Excel export of the register or of search results, in the caller's area. Masked unless the account may unmask and gives a
/// reason; every export leaves one audit line with the row count and which criteria were used (never their values).
/// </summary>
internal static class ResidentExport
{
    public const int MaxRows = 100_000;
    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    private const int Page = 5_000;

    public static readonly string[] Headers = ["姓名", "性别", "出生日期", "身份证号", "手机号", "地址", "人口类型", "自主申报", "已核实", "居住起始", "迁出日期"];

    public sealed record Prepared(IQueryable<Resident>? Query, int Rows, FieldErrors Errors, bool RegionMissing, bool Forbidden, RegionScope Scope);

    /// <summary>Checks the request and counts the rows; writes nothing.</summary>
    public static async Task<Prepared> PrepareAsync(ResidentExportRequest body, System.Security.Claims.ClaimsPrincipal user, PopulationDbContext db,
        RegionDirectory regions, PersonalDataProtector protector, CancellationToken ct)
    {
        var scope = user.RequiredScope();
        var errors = new FieldErrors();
        if (body.Unmask && !Permissions.Has(user, Permissions.Unmask)) return new Prepared(null, 0, errors, false, true, scope);
        if (body.Unmask) UnmaskReasons.TryCheck(body.Purpose, body.Reason, errors, out _);
        var built = await ResidentApi.QueryAsync(body.Search, scope, db, regions, protector, requireCriterion: false, ct);
        if (built.RegionMissing) return new Prepared(null, 0, errors, true, false, scope);
        foreach (var (field, messages) in built.Errors.ToDictionary())
            foreach (var m in messages) errors.Add(field, m);
        if (errors.Any || built.Query is null) return new Prepared(null, 0, errors, false, false, built.Scope);
        var rows = await built.Query.CountAsync(ct);
        if (rows > MaxRows)
        {
            errors.Add("query", $"共 {rows:N0} 行，超过导出上限 {MaxRows:N0} 行，请缩小范围（选择下级区域或增加条件）",
                $"{rows:N0} rows exceed the export limit of {MaxRows:N0}; narrow it down (a sub-region or more criteria)");
            return new Prepared(null, rows, errors, false, false, built.Scope);
        }
        return new Prepared(built.Query, rows, errors, false, false, built.Scope);
    }

    /// <summary>What the audit line says about the criteria: which were used, never the numbers or names typed.</summary>
    public static string Criteria(ResidentExportRequest body, RegionScope scope) => string.Join(",", new[]
    {
        $"region={scope.RegionId}",
        string.IsNullOrWhiteSpace(body.IdNumber) ? null : "id",
        string.IsNullOrWhiteSpace(body.Phone) ? null : "phone",
        string.IsNullOrWhiteSpace(body.Name) ? null : "name",
        body.AddressId is { } a ? $"address={a}" : null,
        body.IncludeFormer ? "former" : null,
    }.Where(x => x is not null));

    /// <summary>Writes the workbook to <paramref name="output"/>, reading the residents a page at a time in id order.</summary>
    public static async Task WriteAsync(IQueryable<Resident> query, bool unmask, AddressDirectory addresses, PersonalDataProtector protector, Stream output,
        CancellationToken ct)
    {
        using var workbook = new XLWorkbook();
        var sheet = workbook.Worksheets.Add("人口名单");
        for (var c = 0; c < Headers.Length; c++) sheet.Cell(1, c + 1).Value = Headers[c];
        sheet.Row(1).Style.Font.Bold = true;
        var row = 1;
        long after = 0;
        while (true)
        {
            var page = await query.Where(r => r.Id > after).OrderBy(r => r.Id).Take(Page).ToListAsync(ct);
            if (page.Count == 0) break;
            after = page[^1].Id;
            var lines = await addresses.LinesAsync(page.Select(r => r.AddressId), ct);
            foreach (var r in page)
            {
                row++;
                // Text cells throughout: Excel would turn an 18-digit ID number into a rounded float.
                sheet.Cell(row, 1).SetValue(TabularFile.SafeCell(r.Name));
                sheet.Cell(row, 2).SetValue(r.Male ? "男" : "女");
                sheet.Cell(row, 3).SetValue(r.BirthDate.ToString("yyyy-MM-dd"));
                sheet.Cell(row, 4).SetValue(unmask ? protector.Decrypt(r.IdNumber) : r.IdMasked);
                sheet.Cell(row, 5).SetValue((unmask && r.Phone is not null ? protector.Decrypt(r.Phone) : r.PhoneMasked) ?? "");
                sheet.Cell(row, 6).SetValue(TabularFile.SafeCell(lines.GetValueOrDefault(r.AddressId, "")));
                sheet.Cell(row, 7).SetValue(r.Kind == ResidenceKind.Floating ? "流动人口" : "户籍人口");
                sheet.Cell(row, 8).SetValue(r.Declared ? "是" : "否");
                sheet.Cell(row, 9).SetValue(r.Verified ? "是" : "否");
                sheet.Cell(row, 10).SetValue(r.Since?.ToString("yyyy-MM-dd") ?? "");
                sheet.Cell(row, 11).SetValue(r.Until?.ToString("yyyy-MM-dd") ?? "");
            }
        }
        sheet.Range(1, 1, row, Headers.Length).Style.NumberFormat.Format = "@";
        sheet.SheetView.FreezeRows(1);
        workbook.SaveAs(output);
    }

    internal static async Task<Results<FileStreamHttpResult, ValidationProblem, ProblemHttpResult>> Export(ResidentExportRequest body, HttpContext http,
        PopulationDbContext db, RegionDirectory regions, AddressDirectory addresses, PersonalDataProtector protector, TimeProvider time,
        CancellationToken ct)
    {
        var prepared = await PrepareAsync(body, http.User, db, regions, protector, ct);
        if (prepared.Forbidden) return Problems.Forbidden("您的账号无权导出完整身份信息", "Your account may not export unmasked personal data");
        if (prepared.RegionMissing) return Problems.RegionNotFound();
        if (prepared.Query is null) return prepared.Errors.ToProblem();
        var now = time.GetUtcNow().UtcDateTime;
        // The audit line commits before any data leaves, with what was exported and why, never the data itself.
        await db.SaveAuditedAsync(Actor.From(http), now, body.Unmask ? "personal_data.export" : "population.residents.export", $"region:{prepared.Scope.RegionId}",
            $"rows:{prepared.Rows} unmask:{(body.Unmask ? "yes" : "no")} criteria:{Criteria(body, prepared.Scope)}" + (body.Unmask && UnmaskReasons.TryCheck(body.Purpose, body.Reason, new FieldErrors(), out var why) ? $" reason:{why}" : ""), ct);
        // ClosedXML writes a whole package: a temporary file keeps 100,000 rows out of memory once written, and goes when sent.
        var file = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        try
        {
            await WriteAsync(prepared.Query, body.Unmask, addresses, protector, file, ct);
            file.Position = 0;
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
        return TypedResults.Stream(file, ContentType, $"人口名单-{ChinaTime.Format(now, "yyyyMMdd-HHmm")}.xlsx");
    }
}
