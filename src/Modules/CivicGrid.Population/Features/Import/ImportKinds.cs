using CivicGrid.Kernel;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using CivicGrid.Kernel.Accounts;

namespace CivicGrid.Population.Features.Import;

/// <summary>The kinds of bulk import: residents (the register) and the rental service's landlords, properties and tenancies.</summary>
public static class ImportKinds
{
    public const string Residents = "residents";
    public const string Landlords = "landlords";
    public const string Properties = "properties";
    public const string Tenancies = "tenancies";

    public static readonly string[] All = [Residents, Landlords, Properties, Tenancies];

    public static readonly string[] Rental = [Landlords, Properties, Tenancies];

    public static string Title(string kind) => kind switch
    {
        Residents => Bilingual.Pick("居住人员", "Residents"),
        Landlords => Bilingual.Pick("房东", "Landlords"),
        Properties => Bilingual.Pick("出租房", "Rental properties"),
        Tenancies => Bilingual.Pick("租住登记", "Tenancies"),
        _ => kind,
    };

    /// <summary>The template's Chinese headers, for the page's help text.</summary>
    public static string Headers(string kind) => kind switch
    {
        Residents => string.Join("、", ResidentImport.Headers.Select(h => h.Zh)),
        Landlords => string.Join("、", RentalImport.LandlordColumns.Select(h => h.Zh)),
        Properties => string.Join("、", RentalImport.PropertyColumns.Select(h => h.Zh)),
        _ => string.Join("、", RentalImport.TenancyColumns.Select(h => h.Zh)),
    };

    public static Task<ImportSummary> RunAsync(string kind, PopulationDbContext db, AddressDirectory addresses, PersonalDataProtector protector,
        IReadOnlyList<string[]> sheet, RegionScope scope, Actor actor, DateTime now, IProgress<int>? progress, CancellationToken ct) => kind switch
    {
        Landlords => RentalImport.LandlordsAsync(db, protector, sheet, actor, now, progress, ct),
        Properties => RentalImport.PropertiesAsync(db, addresses, protector, sheet, scope, actor, now, progress, ct),
        Tenancies => RentalImport.TenanciesAsync(db, addresses, protector, sheet, scope, actor, now, progress, ct),
        _ => ResidentImport.RunAsync(db, addresses, protector, sheet, scope, actor, now, progress, ct),
    };

    public static byte[] Template(string kind) => kind switch
    {
        Landlords => RentalImport.Template(RentalImport.LandlordColumns, "房东",
            [["个人", "张三", "11010519491231002X", "13812345678"], ["企业", "萧山物业有限公司", "91350100M000100Y43", "13912345678"]]),
        Properties => RentalImport.Template(RentalImport.PropertyColumns, "出租房", [["11010519491231002X", "（扫描门牌得到的门牌码）", "", "3"]]),
        Tenancies => RentalImport.Template(RentalImport.TenancyColumns, "租住登记",
            [["11010519491231002X", "（门牌码）", "", "李四", "110105194912310021", "13712345678", "2025-03-01", "2026-02-28", ""]]),
        _ => ResidentImport.Template(),
    };

    public static string TemplateName(string kind) => kind switch
    {
        Landlords => "房东导入模板.xlsx",
        Properties => "出租房导入模板.xlsx",
        Tenancies => "租住登记导入模板.xlsx",
        _ => "居住人员导入模板.xlsx",
    };

    /// <summary>Uploads and templates of the rental kinds, beside the residents' ones (same permission, same job queue).</summary>
    public static RouteGroupBuilder MapRentalImportApi(this RouteGroupBuilder api)
    {
        var imports = api.MapGroup("/imports").WithTags("Population")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.ImportRegister)));
        foreach (var kind in Rental)
        {
            imports.MapPost($"/{kind}", (IFormFile? file, HttpContext http, PopulationDbContext db, Importer queue, TimeProvider time, CancellationToken ct) =>
                ImportApi.UploadAsync(kind, file, http, db, queue, time, ct)).DisableAntiforgery()
                .WithName($"Upload{Pascal(kind)}Import").WithSummary($"上传{Zh(kind)}导入文件（后台导入） / Upload a {kind} file (imported in the background)");
            imports.MapGet($"/templates/{kind}", () => TypedResults.File(Template(kind),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", TemplateName(kind)))
                .WithName($"Download{Pascal(kind)}Template").WithSummary($"下载{Zh(kind)}导入模板 / Download the {kind} template");
        }
        return api;
    }

    private static string Pascal(string kind) => char.ToUpperInvariant(kind[0]) + kind[1..];

    // The API description is bilingual whatever the culture at start-up.
    private static string Zh(string kind) => kind switch { Landlords => "房东", Properties => "出租房", Tenancies => "租住登记", _ => kind };
}
