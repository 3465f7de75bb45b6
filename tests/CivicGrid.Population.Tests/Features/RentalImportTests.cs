using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using ClosedXML.Excel;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Import;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

public class RentalImportTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    static RentalImportTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private static string Id(int n) => CitizenId.Create("330109", new DateOnly(1960, 1, 1).AddDays(n * 17), 401 + n % 500);

    private List<Address> Addresses(int skip, int count) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = places.Regions.AsNoTracking().First(r => r.Name == "众联村第2网格");
        return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(skip).Take(count).ToList();
    });

    /// <summary>An address of 河上镇 outside the cadre's village 众联村.</summary>
    private Address Foreign() => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var village = places.Regions.AsNoTracking().First(r => r.Name == "众联村" && r.Level == RegionLevel.Village);
        return places.Addresses.AsNoTracking().Where(a => !a.RegionPath.StartsWith(village.RegionPath)).OrderBy(a => a.Id).First();
    });

    private static async Task<ImportJobDto> UploadAndWaitAsync(HttpClient client, string kind, byte[] content, string fileName)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        var response = await client.PostAsync($"/api/v1/imports/{kind}", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = (await response.Content.ReadFromJsonAsync<ImportJobDto>())!;
        Assert.Equal(kind, job.Kind);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (job.Status is ImportStatus.Queued or ImportStatus.Running)
        {
            await Task.Delay(50, timeout.Token);
            job = (await client.GetFromJsonAsync<ImportJobDto>($"/api/v1/imports/{job.Id}", timeout.Token))!;
        }
        return job;
    }

    private static byte[] Xlsx(string[][] rows)
    {
        using var workbook = new XLWorkbook();
        var sheet = workbook.Worksheets.Add("导入");
        for (var r = 0; r < rows.Length; r++)
            for (var c = 0; c < rows[r].Length; c++)
                sheet.Cell(r + 1, c + 1).SetValue(rows[r][c]);
        using var stream = new MemoryStream();
        workbook.SaveAs(stream);
        return stream.ToArray();
    }

    private static async Task<List<(string Row, string Column, string Value, string Reason)>> ReportAsync(HttpClient client, long jobId)
    {
        var report = await client.GetByteArrayAsync($"/api/v1/imports/{jobId}/errors");
        using var book = new XLWorkbook(new MemoryStream(report));
        return book.Worksheets.First().RowsUsed().Skip(1)
            .Select(r => (r.Cell(1).GetString(), r.Cell(2).GetString(), r.Cell(3).GetString(), r.Cell(4).GetString())).ToList();
    }

    private Task<T> Db<T>(Func<PopulationDbContext, Task<T>> use) => factory.WithScopeAsync(sp => use(sp.GetRequiredService<PopulationDbContext>()));

    [Fact]
    public async Task Import_LandlordsPropertiesTenancies_AreImported_OnePersonAcrossFiles_AndReimportChangesNothing()
    {
        var a = Addresses(0, 3);
        var (owner, tenantMoving, tenantGone) = (Id(1), Id(2), Id(3));
        // The tenant is already in the register elsewhere (e.g. from a residents import): the tenancy moves that person.
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var protector = sp.GetRequiredService<PersonalDataProtector>();
            db.Residents.Add(new Resident
            {
                Name = "陈二", IdNumber = protector.Encrypt(tenantMoving), IdIndex = protector.BlindIndex("id", tenantMoving), IdMasked = Mask.IdNumber(tenantMoving),
                AddressId = a[2].Id, RegionPath = a[2].RegionPath, BirthDate = CitizenId.BirthDate(tenantMoving), Since = new DateOnly(2015, 1, 1),
            });
            return await db.SaveChangesAsync();
        });
        var landlords = "类型,姓名或名称,证件号码,手机号\n" +
                        $"个人,陈房东,{owner},13600010001\n" +
                        "企业,众联物业有限公司,91350100M000100Y43,13600010002\n" +
                        $"个人,陈房东,{owner.ToLowerInvariant()},13600010001\n";
        var properties = "房东证件号码,门牌码,地址编号,出租间数\n" +
                         $"{owner},{a[0].DoorplateToken},,4\n" +
                         $"91350100M000100Y43,,{a[1].Id},12\n";
        var tenancies = "房东证件号码,门牌码,地址编号,租客姓名,租客身份证号,租客手机号,入住日期,租期截止,退租日期\n" +
                        $"{owner},{a[0].DoorplateToken},,陈二,{tenantMoving},13700010001,2026-03-01,2027-02-28,\n" +
                        $"91350100M000100Y43,,{a[1].Id},陈三,{tenantGone},,2025-01-01,2025-12-31,2025-12-20\n";
        var client = await factory.SignInAsync("cadre");

        var l1 = await UploadAndWaitAsync(client, "landlords", Encoding.UTF8.GetBytes(landlords), "landlords.csv");
        Assert.Equal(ImportStatus.Succeeded, l1.Status);
        Assert.Equal((2, 0, 1), (l1.Inserted, l1.Updated, l1.Unchanged));
        var p1 = await UploadAndWaitAsync(client, "properties", Encoding.UTF8.GetBytes(properties), "properties.csv");
        Assert.Equal(ImportStatus.Succeeded, p1.Status);
        Assert.Equal(2, p1.Inserted);
        var t1 = await UploadAndWaitAsync(client, "tenancies", Encoding.UTF8.GetBytes(tenancies), "tenancies.csv");
        Assert.Equal(ImportStatus.Succeeded, t1.Status);
        Assert.Equal(2, t1.Inserted);

        var rows = await Db(db => db.Tenancies.AsNoTracking().Where(t => t.AddressId == a[0].Id || t.AddressId == a[1].Id).OrderBy(t => t.MoveIn).ToListAsync());
        Assert.Equal(2, rows.Count);
        Assert.All(rows, t => Assert.Equal(TenancySource.Import, t.Source));
        Assert.Equal(new DateOnly(2025, 12, 20), rows[0].MoveOut);
        Assert.Null(rows[1].MoveOut);
        var moving = await Db(db => db.Residents.AsNoTracking().Where(r => r.IdMasked == Mask.IdNumber(tenantMoving)).OrderBy(r => r.Id).ToListAsync());
        Assert.Equal(2, moving.Count);
        Assert.Equal(new DateOnly(2026, 2, 28), moving[0].Until);
        Assert.Equal((a[0].Id, ResidenceKind.Floating, true, (DateOnly?)null), (moving[1].AddressId, moving[1].Kind, moving[1].Verified, moving[1].Until));

        var l2 = await UploadAndWaitAsync(client, "landlords", Encoding.UTF8.GetBytes(landlords), "landlords.csv");
        var p2 = await UploadAndWaitAsync(client, "properties", Encoding.UTF8.GetBytes(properties), "properties.csv");
        var t2 = await UploadAndWaitAsync(client, "tenancies", Encoding.UTF8.GetBytes(tenancies), "tenancies.csv");
        Assert.All([l2, p2, t2], j => Assert.Equal((ImportStatus.Succeeded, 0, 0), (j.Status, j.Inserted, j.Updated)));
        Assert.Equal((3, 2, 2), (l2.Unchanged, p2.Unchanged, t2.Unchanged));
        Assert.Equal(1, await Db(db => db.Landlords.CountAsync(l => l.CreditCode == "91350100M000100Y43")));
        Assert.Equal(2, await Db(db => db.Tenancies.CountAsync(t => t.AddressId == a[0].Id || t.AddressId == a[1].Id)));
        Assert.Equal(2, await Db(db => db.Residents.CountAsync(r => r.IdMasked == Mask.IdNumber(tenantMoving))));
    }

    [Fact]
    public async Task ImportTenancies_CorrectedMoveInAndAnEarlierClosedTenancy_KeepOneOpenTenancyPerTenantAndRental()
    {
        var a = Addresses(10, 1)[0];
        var (owner, tenant) = (Id(21), Id(22));
        var client = await factory.SignInAsync("cadre");
        Assert.Equal(ImportStatus.Succeeded, (await UploadAndWaitAsync(client, "landlords",
            Encoding.UTF8.GetBytes($"类型,姓名或名称,证件号码,手机号\n个人,赵房东,{owner},13600010021\n"), "l.csv")).Status);
        Assert.Equal(ImportStatus.Succeeded, (await UploadAndWaitAsync(client, "properties",
            Encoding.UTF8.GetBytes($"房东证件号码,门牌码,地址编号,出租间数\n{owner},{a.DoorplateToken},,3\n"), "p.csv")).Status);
        const string header = "房东证件号码,门牌码,地址编号,租客姓名,租客身份证号,租客手机号,入住日期,租期截止,退租日期\n";
        async Task ImportAsync(params string[] rows)
        {
            var job = await UploadAndWaitAsync(client, "tenancies", Encoding.UTF8.GetBytes(header + string.Concat(rows.Select(r => $"{owner},{a.DoorplateToken},,赵租客,{tenant},,{r}\n"))), "t.csv");
            Assert.Equal(ImportStatus.Succeeded, job.Status);
        }
        Task<List<Tenancy>> TenanciesAsync() => Db(db => db.Tenancies.AsNoTracking().Where(t => t.AddressId == a.Id).OrderBy(t => t.MoveIn).ToListAsync());

        await ImportAsync("2026-01-10,2026-12-31,");
        // The district corrects the move-in: the open tenancy is updated, not doubled (the open-tenancy index would refuse a second).
        await ImportAsync("2026-02-01,2026-12-31,");
        var open = Assert.Single(await TenanciesAsync());
        Assert.Equal((new DateOnly(2026, 2, 1), (DateOnly?)null), (open.MoveIn, open.MoveOut));
        // A file with the tenant's earlier, closed tenancy and the current one: one closed, one open.
        await ImportAsync("2025-01-01,2025-06-30,2025-06-30", "2026-02-01,2026-12-31,");
        var rows = await TenanciesAsync();
        Assert.Single(rows, t => t.MoveOut == null);
        Assert.Equal(2, rows.Count);
        // Again: nothing changes.
        await ImportAsync("2025-01-01,2025-06-30,2025-06-30", "2026-02-01,2026-12-31,");
        Assert.Equal(rows.Select(t => (t.Id, t.MoveIn, t.MoveOut)), (await TenanciesAsync()).Select(t => (t.Id, t.MoveIn, t.MoveOut)));
    }

    [Fact]
    public async Task ImportTenanciesXlsx_BadRows_ImportNothing_AndTheReportNamesRowColumnAndReason()
    {
        var a = Addresses(3, 2);
        var owner = Id(20);
        var client = await factory.SignInAsync("cadre");
        Assert.Equal(ImportStatus.Succeeded, (await UploadAndWaitAsync(client, "landlords", Encoding.UTF8.GetBytes($"类型,姓名或名称,证件号码,手机号\n个人,林房东,{owner},13600020001\n"), "l.csv")).Status);
        Assert.Equal(ImportStatus.Succeeded, (await UploadAndWaitAsync(client, "properties", Encoding.UTF8.GetBytes($"房东证件号码,门牌码,出租间数\n{owner},{a[0].DoorplateToken},2\n"), "p.csv")).Status);
        var foreign = Foreign();
        string[][] rows =
        [
            ["房东证件号码", "门牌码", "租客姓名", "租客身份证号", "租客手机号", "入住日期", "租期截止", "退租日期"],
            [owner, a[0].DoorplateToken, "林一", Id(21), "", "2026-05-01", "", ""],
            [owner, a[0].DoorplateToken, "林二", "11010519491231002Y", "123", "2026-05-01", "", ""],
            [Id(29), a[0].DoorplateToken, "林三", Id(23), "", "2026-05-01", "", ""],
            [owner, foreign.DoorplateToken, "林四", Id(24), "", "2026-05-01", "", ""],
            [owner, a[1].DoorplateToken, "林五", Id(25), "", "2026-05-01", "", ""],
            [owner, a[0].DoorplateToken, "林六", Id(26), "", "2026-05-01", "2026-04-01", "2026-04-30"],
            [owner, a[0].DoorplateToken, "林一", Id(21), "", "2026-05-01", "", ""],
        ];
        var job = await UploadAndWaitAsync(client, "tenancies", Xlsx(rows), "bad.xlsx");
        Assert.Equal(ImportStatus.Rejected, job.Status);
        Assert.Equal(0, job.Inserted);
        Assert.Equal(0, await Db(db => db.Tenancies.CountAsync(t => t.AddressId == a[0].Id)));
        Assert.Equal(0, await Db(db => db.Residents.CountAsync(r => r.IdMasked == Mask.IdNumber(Id(21)))));

        var errors = await ReportAsync(client, job.Id);
        Assert.Contains(errors, e => e.Row == "3" && e.Column == "租客身份证号" && !e.Value.Contains("11010519491231002Y"));
        Assert.Contains(errors, e => e.Row == "3" && e.Column == "租客手机号");
        Assert.Contains(errors, e => e.Row == "4" && e.Column == "房东证件号码" && e.Reason.Contains("房东不存在"));
        Assert.Contains(errors, e => e.Row == "5" && e.Column == "门牌码" && e.Reason.Contains("辖区"));
        Assert.Contains(errors, e => e.Row == "6" && e.Column == "门牌码" && e.Reason.Contains("没有登记出租房"));
        Assert.Contains(errors, e => e.Row == "7" && e.Column == "租期截止");
        Assert.Contains(errors, e => e.Row == "7" && e.Column == "退租日期");
        Assert.Contains(errors, e => e.Row == "8" && e.Column == "租客身份证号" && e.Reason.Contains("第 2 行"));
        Assert.DoesNotContain(errors, e => e.Row == "2");
    }

    [Fact]
    public async Task ImportProperties_UnknownOrOutsideTheAreaAddress_IsRejected()
    {
        var owner = Id(30);
        var client = await factory.SignInAsync("cadre");
        Assert.Equal(ImportStatus.Succeeded, (await UploadAndWaitAsync(client, "landlords", Encoding.UTF8.GetBytes($"类型,姓名或名称,证件号码,手机号\n个人,黄房东,{owner},13600030001\n"), "l.csv")).Status);
        var foreign = Foreign();
        var csv = "房东证件号码,门牌码,地址编号,出租间数\n" +
                  $"{owner},{foreign.DoorplateToken},,2\n" +
                  $"{owner},,{foreign.Id},2\n" +
                  $"{owner},NOSUCHDOORPLATE00000,,2\n" +
                  $"{owner},,,0\n";
        var job = await UploadAndWaitAsync(client, "properties", Encoding.UTF8.GetBytes(csv), "p.csv");
        Assert.Equal(ImportStatus.Rejected, job.Status);
        var errors = await ReportAsync(client, job.Id);
        Assert.Contains(errors, e => e.Row == "2" && e.Column == "门牌码" && e.Reason.Contains("不在您的辖区内"));
        Assert.Contains(errors, e => e.Row == "3" && e.Column == "地址编号");
        Assert.Contains(errors, e => e.Row == "4" && e.Column == "门牌码");
        Assert.Contains(errors, e => e.Row == "5" && e.Column == "门牌码" && e.Reason.Contains("必填"));
        Assert.Contains(errors, e => e.Row == "5" && e.Column == "出租间数");
        Assert.Equal(0, await Db(db => db.RentalProperties.CountAsync(p => p.AddressId == foreign.Id)));

        // The town officer's area includes that address.
        var town = await factory.SignInAsync("town");
        var ok = await UploadAndWaitAsync(town, "properties", Encoding.UTF8.GetBytes($"房东证件号码,门牌码,出租间数\n{owner},{foreign.DoorplateToken},2\n"), "p.csv");
        Assert.Equal(ImportStatus.Succeeded, ok.Status);
    }

    [Fact]
    public async Task ImportLandlordsGb18030_ConflictingRepeatAndAnotherLandlordsPhone_AreRejected()
    {
        var client = await factory.SignInAsync("cadre");
        var first = await UploadAndWaitAsync(client, "landlords",
            Encoding.GetEncoding("GB18030").GetBytes($"类型,姓名或名称,证件号码,手机号\n个人,欧阳房东,{Id(40)},13600040001\n"), "gbk.csv");
        Assert.Equal(ImportStatus.Succeeded, first.Status);
        Assert.Equal("欧阳房东", await Db(db => db.Landlords.Where(l => l.IdMasked == Mask.IdNumber(Id(40))).Select(l => l.Name).FirstAsync()));

        var csv = "类型,姓名或名称,证件号码,手机号\n" +
                  $"个人,赵房东,{Id(41)},13600040002\n" +
                  $"个人,赵房东,{Id(41)},13600040003\n" +
                  $"个人,钱房东,{Id(42)},13600040001\n" +
                  $"个人,欧阳房东,{Id(40)},13600040009\n" +
                  "企业,坏公司,91350100M000100Y44,13600040004\n" +
                  "其他,某人,X,1\n";
        var job = await UploadAndWaitAsync(client, "landlords", Encoding.UTF8.GetBytes(csv), "l.csv");
        Assert.Equal(ImportStatus.Rejected, job.Status);
        var errors = await ReportAsync(client, job.Id);
        Assert.Contains(errors, e => e.Row == "3" && e.Column == "证件号码" && e.Reason.Contains("第 2 行"));
        Assert.Contains(errors, e => e.Row == "6" && e.Column == "证件号码");
        Assert.Contains(errors, e => e.Row == "7" && e.Column == "类型");
        // The database checks run on the rows that are valid in the file, in the same report.
        Assert.Contains(errors, e => e.Row == "4" && e.Column == "手机号" && e.Reason.Contains("其他房东"));
        Assert.Contains(errors, e => e.Row == "5" && e.Column == "手机号" && e.Reason.Contains("房东本人"));
        Assert.Equal(0, await Db(db => db.Landlords.CountAsync(l => l.IdMasked == Mask.IdNumber(Id(41)))));

        // Alone, the same rows are refused for the same reasons.
        var second = await UploadAndWaitAsync(client, "landlords", Encoding.UTF8.GetBytes("类型,姓名或名称,证件号码,手机号\n" +
            $"个人,钱房东,{Id(42)},13600040001\n个人,欧阳房东,{Id(40)},13600040009\n"), "l2.csv");
        Assert.Equal(ImportStatus.Rejected, second.Status);
        var more = await ReportAsync(client, second.Id);
        Assert.Contains(more, e => e.Row == "2" && e.Column == "手机号" && e.Reason.Contains("其他房东"));
        Assert.Contains(more, e => e.Row == "3" && e.Column == "手机号" && e.Reason.Contains("房东本人"));
        Assert.Equal("136****0001", await Db(db => db.Landlords.Where(l => l.IdMasked == Mask.IdNumber(Id(40))).Select(l => l.PhoneMasked).FirstAsync()));
    }

    [Theory]
    [InlineData("landlords", "证件号码")]
    [InlineData("properties", "出租间数")]
    [InlineData("tenancies", "租客身份证号")]
    public async Task Template_HasChineseHeaders(string kind, string header)
    {
        var client = await factory.SignInAsync("cadre");
        using var book = new XLWorkbook(new MemoryStream(await client.GetByteArrayAsync($"/api/v1/imports/templates/{kind}")));
        Assert.Contains(header, book.Worksheets.First().Row(1).CellsUsed().Select(c => c.GetString()));
    }
}
