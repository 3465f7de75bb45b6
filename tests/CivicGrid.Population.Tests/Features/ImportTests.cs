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

public class ImportTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    static ImportTests() => Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);

    private List<Address> Addresses(string gridName, int count) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = places.Regions.AsNoTracking().First(r => r.Name == gridName);
        return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Take(count).ToList();
    });

    private static string Id(int n) => CitizenId.Create("330109", new DateOnly(1970, 1, 1).AddDays(n * 7), 301 + 2 * n);

    private async Task<ImportJobDto> UploadAndWaitAsync(HttpClient client, byte[] content, string fileName)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(content);
        file.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        form.Add(file, "file", fileName);
        var response = await client.PostAsync("/api/v1/imports/residents", form);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var job = (await response.Content.ReadFromJsonAsync<ImportJobDto>())!;
        // Wait for the background job to reach a final state (bounded; no fixed sleeps).
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (job.Status is ImportStatus.Queued or ImportStatus.Running)
        {
            await Task.Delay(50, timeout.Token);
            job = (await client.GetFromJsonAsync<ImportJobDto>($"/api/v1/imports/{job.Id}", timeout.Token))!;
        }
        return job;
    }

    private Task<int> ResidentsWithAsync(string idNumber) => factory.WithScopeAsync(sp =>
        sp.GetRequiredService<PopulationDbContext>().Residents.CountAsync(r => r.IdMasked == Mask.IdNumber(idNumber) && r.Until == null));

    [Fact]
    public async Task ImportCsv_ValidRows_AreImported_AndReimportChangesNothing()
    {
        var a = Addresses("众联村第4网格", 3);
        var csv = "姓名,身份证号,手机号,门牌码,类别,入住日期\n" +
                  $"孙一,{Id(1)},13800001111,{a[0].DoorplateToken},户籍,2020-01-01\n" +
                  $"\"孙,二\",{Id(2)},,{a[1].DoorplateToken},流动,2023/5/6\n" +
                  $"孙三,{Id(3).ToLowerInvariant()},+86 139 0000 2222,{a[2].DoorplateToken},,\n";
        var client = await factory.SignInAsync("cadre");
        var first = await UploadAndWaitAsync(client, Encoding.UTF8.GetBytes(csv), "residents.csv");
        Assert.Equal(ImportStatus.Succeeded, first.Status);
        Assert.Equal((3, 3, 0, 0), (first.Rows, first.Inserted, first.Updated, first.Unchanged));
        Assert.Equal(1, await ResidentsWithAsync(Id(2)));

        var again = await UploadAndWaitAsync(client, Encoding.UTF8.GetBytes(csv), "residents.csv");
        Assert.Equal(ImportStatus.Succeeded, again.Status);
        Assert.Equal((0, 0, 3), (again.Inserted, again.Updated, again.Unchanged));
        Assert.Equal(1, await ResidentsWithAsync(Id(1)));
        var name = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Residents.Where(r => r.IdMasked == Mask.IdNumber(Id(2))).Select(r => r.Name).FirstAsync());
        Assert.Equal("孙,二", name);
    }

    [Fact]
    public async Task ImportCsv_Gb18030_ReadsChineseNames()
    {
        var a = Addresses("众联村第4网格", 5);
        var csv = $"姓名,身份证号,门牌码\n欧阳修,{Id(10)},{a[4].DoorplateToken}\n";
        var client = await factory.SignInAsync("cadre");
        var job = await UploadAndWaitAsync(client, Encoding.GetEncoding("GB18030").GetBytes(csv), "gbk.csv");
        Assert.Equal(ImportStatus.Succeeded, job.Status);
        var name = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Residents.Where(r => r.IdMasked == Mask.IdNumber(Id(10))).Select(r => r.Name).FirstAsync());
        Assert.Equal("欧阳修", name);
    }

    [Fact]
    public async Task ImportXlsx_BadRows_ImportNothingAndReportEveryError()
    {
        var a = Addresses("众联村第5网格", 2);
        var foreign = factory.WithScope(sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var other = places.Regions.AsNoTracking().First(r => r.Name == "通二村" && r.Level == RegionLevel.Village);
            return places.Addresses.AsNoTracking().FirstOrDefault(x => x.RegionPath.StartsWith(other.RegionPath))?.DoorplateToken ?? "AAAAAAAAAAAAAAAAAAAA";
        });
        using var workbook = new XLWorkbook();
        var sheet = workbook.Worksheets.Add("居住人员");
        string[][] rows =
        [
            ["姓名", "身份证号", "手机号", "门牌码", "类别", "入住日期"],
            ["周一", Id(20), "13800003333", a[0].DoorplateToken, "户籍", "2021-02-03"],
            ["周二", "11010519491231002Y", "", a[1].DoorplateToken, "", ""],
            ["周三", Id(20), "", a[1].DoorplateToken, "", ""],
            ["周四", Id(21), "12345", foreign, "外星", "2099-01-01"],
        ];
        for (var r = 0; r < rows.Length; r++)
            for (var c = 0; c < rows[r].Length; c++)
                sheet.Cell(r + 1, c + 1).SetValue(rows[r][c]);
        using var stream = new MemoryStream();
        workbook.SaveAs(stream);

        var client = await factory.SignInAsync("cadre");
        var job = await UploadAndWaitAsync(client, stream.ToArray(), "bad.xlsx");
        Assert.Equal(ImportStatus.Rejected, job.Status);
        Assert.Equal(0, job.Inserted);
        Assert.Equal(0, await ResidentsWithAsync(Id(20)));

        var report = await client.GetByteArrayAsync($"/api/v1/imports/{job.Id}/errors");
        using var reportBook = new XLWorkbook(new MemoryStream(report));
        var errors = reportBook.Worksheets.First().RowsUsed().Skip(1)
            .Select(r => (Row: r.Cell(1).GetString(), Column: r.Cell(2).GetString(), Value: r.Cell(3).GetString(), Reason: r.Cell(4).GetString())).ToList();
        Assert.Contains(errors, e => e.Row == "3" && e.Column == "身份证号" && !e.Value.Contains("11010519491231002Y"));
        Assert.Contains(errors, e => e.Row == "4" && e.Column == "身份证号" && e.Reason.Contains("第 2 行"));
        Assert.Contains(errors, e => e.Row == "5" && e.Column == "手机号");
        Assert.Contains(errors, e => e.Row == "5" && e.Column == "门牌码");
        Assert.Contains(errors, e => e.Row == "5" && e.Column == "类别");
        Assert.Contains(errors, e => e.Row == "5" && e.Column == "入住日期");
    }

    [Fact]
    public async Task Import_MissingRequiredHeader_IsRejectedNamingTheColumn()
    {
        var client = await factory.SignInAsync("cadre");
        var job = await UploadAndWaitAsync(client, Encoding.UTF8.GetBytes("姓名,手机号\n张三,13800001111\n"), "noid.csv");
        Assert.Equal(ImportStatus.Rejected, job.Status);
        var report = await client.GetByteArrayAsync($"/api/v1/imports/{job.Id}/errors");
        using var book = new XLWorkbook(new MemoryStream(report));
        var cells = book.Worksheets.First().RowsUsed().Skip(1).Select(r => r.Cell(2).GetString()).ToList();
        Assert.Contains("身份证号", cells);
        Assert.Contains("门牌码", cells);
    }

    [Theory]
    [InlineData("broken.xlsx", "PK\u0003\u0004 this is not really a workbook")]
    [InlineData("truncated.csv", "姓名,身份证号,门牌码\n\"张三,1101")]
    public async Task Import_MalformedFile_FailsWithAClearMessage(string fileName, string content)
    {
        var client = await factory.SignInAsync("cadre");
        var job = await UploadAndWaitAsync(client, Encoding.UTF8.GetBytes(content), fileName);
        Assert.Equal(ImportStatus.Failed, job.Status);
        Assert.Contains("/", job.Message);
    }

    [Fact]
    public async Task Upload_WrongExtension_Returns400NamingFile()
    {
        var client = await factory.SignInAsync("cadre");
        using var form = new MultipartFormDataContent { { new ByteArrayContent([1, 2, 3]), "file", "people.txt" } };
        var response = await client.PostAsync("/api/v1/imports/residents", form);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("\"file\"", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Import_PersonMovesToAnotherAddress_ClosesTheOldResidence()
    {
        var a = Addresses("众联村第1网格", 8);
        var client = await factory.SignInAsync("cadre");
        Assert.Equal(ImportStatus.Succeeded, (await UploadAndWaitAsync(client,
            Encoding.UTF8.GetBytes($"姓名,身份证号,门牌码,入住日期\n吴一,{Id(30)},{a[6].DoorplateToken},2019-01-01\n"), "a.csv")).Status);
        var moved = await UploadAndWaitAsync(client, Encoding.UTF8.GetBytes($"姓名,身份证号,门牌码,入住日期\n吴一,{Id(30)},{a[7].DoorplateToken},2026-06-01\n"), "b.csv");
        Assert.Equal(1, moved.Inserted);
        var rows = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking()
            .Where(r => r.IdMasked == Mask.IdNumber(Id(30))).OrderBy(r => r.Id).ToListAsync());
        Assert.Equal(2, rows.Count);
        Assert.Equal(new DateOnly(2026, 5, 31), rows[0].Until);
        Assert.Null(rows[1].Until);
        Assert.Equal(a[7].Id, rows[1].AddressId);
    }

    [Fact]
    public async Task LargeImport_WithDeferredIndexes_InsertsEveryRow_AndTheIndexesComeBack()
    {
        var a = Addresses("众联村第5网格", 7);
        var client = await factory.SignInAsync("cadre");
        // Two people already registered: one moves into this file's addresses, one stays and changes phone.
        Assert.Equal(ImportStatus.Succeeded, (await UploadAndWaitAsync(client, Encoding.UTF8.GetBytes(
            $"姓名,身份证号,手机号,门牌码\n郑甲,{Id(345)},,{a[6].DoorplateToken}\n郑乙,{Id(346)},13600000001,{a[0].DoorplateToken}\n"), "before.csv")).Status);
        var lines = new List<string[]> { new[] { "姓名", "身份证号", "手机号", "门牌码", "类别", "入住日期" } };
        lines.Add(["郑甲", Id(345), "", a[1].DoorplateToken, "", "2023-03-03"]);
        lines.Add(["郑乙", Id(346), "13600000002", a[0].DoorplateToken, "", ""]);
        for (var n = 0; n < 300; n++)
        {
            lines.Add([$"冯{n}", Id(40 + n), n % 2 == 0 ? $"1370000{n:D4}" : "", a[n % a.Count].DoorplateToken, n % 3 == 0 ? "流动" : "户籍", "2022-02-02"]);
        }
        var summary = await factory.WithScopeAsync(async sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var district = await places.Regions.AsNoTracking().SingleAsync(r => r.Level == RegionLevel.District);
            return await ResidentImport.RunAsync(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<CivicGrid.Places.Contracts.AddressDirectory>(), sp.GetRequiredService<PersonalDataProtector>(),
                lines, new RegionScope(district.Id, district.RegionPath, district.Level), new CivicGrid.Kernel.Audit.Actor(null, "test", "district_admin", district.RegionPath, null),
                DateTime.UtcNow, null, CancellationToken.None, largeLoad: true);
        });
        Assert.True(summary.Succeeded);
        Assert.Equal((301, 1, 0), (summary.Inserted, summary.Updated, summary.Unchanged));
        var moved = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking()
            .Where(r => r.IdMasked == Mask.IdNumber(Id(345))).OrderBy(r => r.Id).Select(r => r.Until).ToListAsync());
        Assert.Equal([new DateOnly(2023, 3, 2), null], moved);
        var (found, phone, indexes, modelIndexes) = await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var protector = sp.GetRequiredService<PersonalDataProtector>();
            var idIndex = protector.BlindIndex("id", Id(190));
            var row = await db.Residents.AsNoTracking().SingleAsync(r => r.IdIndex == idIndex && r.Until == null);
            var phoneIndex = protector.BlindIndex("phone", "13700000150");
            var byPhone = await db.Residents.AsNoTracking().CountAsync(r => r.PhoneIndex == phoneIndex);
            var names = db.Database.IsSqlite()
                ? await db.Database.SqlQueryRaw<string>("SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'index' AND tbl_name = 'residents' AND sql IS NOT NULL").ToListAsync()
                : ["not sqlite"];
            return (protector.Decrypt(row.IdNumber), byPhone, names, db.Model.FindEntityType(typeof(Resident))!.GetIndexes().Count());
        });
        Assert.Equal(Id(190), found);
        Assert.Equal(1, phone);
        // Every secondary index of the register exists again after the load (seven on SQLite, as many as the model has).
        if (indexes is not ["not sqlite"]) Assert.Equal((7, modelIndexes), (indexes.Count, modelIndexes));
    }

    [Fact]
    public async Task Template_IsAnXlsxWithChineseHeaders()
    {
        var client = await factory.SignInAsync("town");
        var bytes = await client.GetByteArrayAsync("/api/v1/imports/templates/residents");
        using var book = new XLWorkbook(new MemoryStream(bytes));
        Assert.Equal("姓名", book.Worksheets.First().Cell(1, 1).GetString());
        Assert.Equal("门牌码", book.Worksheets.First().Cell(1, 4).GetString());
    }
}
