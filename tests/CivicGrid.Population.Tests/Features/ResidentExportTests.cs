using System.Net;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using ClosedXML.Excel;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Residents;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

public partial class ResidentExportTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [GeneratedRegex(@"\d{17}[\dX]")]
    private static partial Regex FullId();

    private Region Grid(string name) => factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == name));

    private (int Count, string Id, string Name) RegisterOf(Region region) => factory.WithScope(sp =>
    {
        var scope = new RegionScope(region.Id, region.RegionPath, region.Level);
        var db = sp.GetRequiredService<PopulationDbContext>();
        var current = db.Residents.AsNoTracking().InScope(scope).Where(r => r.Until == null);
        var first = current.OrderBy(r => r.Id).First();
        return (current.Count(), sp.GetRequiredService<PersonalDataProtector>().Decrypt(first.IdNumber), first.Name);
    });

    private static async Task<List<string[]>> RowsAsync(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ResidentExport.ContentType, response.Content.Headers.ContentType?.MediaType);
        using var workbook = new XLWorkbook(new MemoryStream(await response.Content.ReadAsByteArrayAsync()));
        var sheet = workbook.Worksheet(1);
        return sheet.RowsUsed().Select(r => Enumerable.Range(1, ResidentExport.Headers.Length).Select(c => r.Cell(c).GetString()).ToArray()).ToList();
    }

    private Task<List<string>> AuditAsync(string action) => factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries.AsNoTracking()
        .Where(a => a.Action == action).OrderBy(a => a.Id).Select(a => a.Details ?? "").ToListAsync());

    [Fact]
    public async Task Export_Region_IsMaskedByDefault_WithChineseHeaders_AndAudited()
    {
        var grid = Grid("众联村第1网格");
        var (count, id, _) = RegisterOf(grid);
        var cadre = await factory.SignInAsync("cadre");
        var rows = await RowsAsync(await cadre.PostAsJsonAsync("/api/v1/residents/export", new { regionId = grid.Id }));
        Assert.Equal(ResidentExport.Headers, rows[0]);
        Assert.Equal(count, rows.Count - 1);
        Assert.Contains(rows, r => r[3] == Mask.IdNumber(id));
        Assert.DoesNotContain(rows.SelectMany(r => r), cell => FullId().IsMatch(cell));
        Assert.DoesNotContain(rows.SelectMany(r => r), cell => Regex.IsMatch(cell, @"^1\d{10}$"));
        Assert.Contains(await AuditAsync("population.residents.export"), d => d.Contains($"rows:{count} ") && d.Contains($"region={grid.Id}"));
    }

    [Fact]
    public async Task Export_Unmasked_NeedsPermissionAndReason_IsAuditedOnceWithoutPersonalData()
    {
        var grid = Grid("众联村第1网格");
        var (count, id, name) = RegisterOf(grid);
        var gridWorker = await factory.SignInAsync("grid");
        Assert.Equal(HttpStatusCode.Forbidden,
            (await gridWorker.PostAsJsonAsync("/api/v1/residents/export", new { regionId = grid.Id, unmask = true, purpose = "verify_identity", reason = "核查人口信息" })).StatusCode);

        var cadre = await factory.SignInAsync("cadre");
        var noReason = await cadre.PostAsJsonAsync("/api/v1/residents/export", new { regionId = grid.Id, unmask = true });
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        var problem = await noReason.Content.ReadAsStringAsync();
        Assert.Contains("\"reason\"", problem);
        Assert.Contains("理由", problem);
        Assert.Empty(await AuditAsync("personal_data.export"));

        var rows = await RowsAsync(await cadre.PostAsJsonAsync("/api/v1/residents/export", new { regionId = grid.Id, unmask = true, purpose = "verify_identity", reason = "人口普查核对" }));
        Assert.Equal(count, rows.Count - 1);
        Assert.Contains(rows, r => r[3] == id);
        var audit = Assert.Single(await AuditAsync("personal_data.export"));
        Assert.Contains($"rows:{count} ", audit);
        Assert.Contains("人口普查核对", audit);
        Assert.DoesNotContain(id, audit);
        Assert.DoesNotContain(name, audit);
    }

    [Fact]
    public async Task Export_ByIdNumber_HasTheOnePerson_CriteriaAuditedByNameOnly()
    {
        var grid = Grid("众联村第1网格");
        var (_, id, name) = RegisterOf(grid);
        var town = await factory.SignInAsync("town");
        var rows = await RowsAsync(await town.PostAsJsonAsync("/api/v1/residents/export", new { idNumber = id }));
        var person = Assert.Single(rows.Skip(1));
        Assert.Equal(name, person[0]);
        Assert.Equal(Mask.IdNumber(id), person[3]);
        Assert.Contains(await AuditAsync("population.residents.export"), d => d.Contains("criteria:region=") && d.Contains(",id") && !d.Contains(id));
        var bad = await town.PostAsJsonAsync("/api/v1/residents/export", new { idNumber = "330109199001011235" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("idNumber", await bad.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Export_ForeignRegion_Returns404()
    {
        var foreign = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == "光明村"));
        var cadre = await factory.SignInAsync("cadre");
        Assert.Equal(HttpStatusCode.NotFound, (await cadre.PostAsJsonAsync("/api/v1/residents/export", new { regionId = foreign.Id })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound,
            (await cadre.PostAsJsonAsync("/api/v1/residents/export", new { regionId = foreign.Id, unmask = true, purpose = "verify_identity", reason = "越权导出测试" })).StatusCode);
        var mediator = await factory.SignInAsync("mediator");
        Assert.Equal(HttpStatusCode.Forbidden, (await mediator.PostAsJsonAsync("/api/v1/residents/export", new { })).StatusCode);
    }

    [Fact]
    public async Task ResidentsPage_OffersTheExport_AndItsScriptIsServed()
    {
        var cadre = await factory.SignInAsync("cadre");
        var html = await cadre.GetStringAsync("/residents");
        Assert.Contains("导出 Excel", html);
        Assert.Contains("导出完整信息", html);
        var grid = await factory.SignInAsync("grid");
        Assert.DoesNotContain("导出完整信息", await grid.GetStringAsync("/residents"));
        var script = await cadre.GetAsync("/_content/CivicGrid.Population/export.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
        Assert.Contains("export async function download", await script.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task PermitAndVisitLists_ExportAsXlsx_InTheCallersArea_ForeignIs404()
    {
        var address = factory.WithScope(sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var grid = places.Regions.AsNoTracking().First(r => r.Name == "众联村第1网格");
            return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(9).First();
        });
        var cadre = await factory.SignInAsync("cadre");
        Assert.Equal(HttpStatusCode.Created,
            (await cadre.PostAsJsonAsync("/api/v1/visits", new { addressId = address.Id, outcome = "Advised", note = "反诈宣传：不点陌生链接" })).StatusCode);
        var visits = await RowsAsync(await cadre.GetAsync("/api/v1/visits/export"));
        Assert.Equal("走访时间", visits[0][0]);
        Assert.Contains(visits, r => r[4] == "反诈宣传：不点陌生链接" && r[3] == "宣传提醒");
        var permits = await cadre.GetAsync("/api/v1/permits/export?status=Issued");
        Assert.Equal(HttpStatusCode.OK, permits.StatusCode);
        Assert.Equal(2, (await AuditAsync("population.visits.export")).Count + (await AuditAsync("population.permits.export")).Count);
        var foreign = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == "光明村"));
        Assert.Equal(HttpStatusCode.NotFound, (await cadre.GetAsync($"/api/v1/visits/export?region={foreign.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await cadre.GetAsync($"/api/v1/permits/export?region={foreign.Id}")).StatusCode);
    }
}
