using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Units;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features.Units;

public class UnitApiTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private int RegionId(string name, RegionLevel level) => factory.WithScope(sp =>
        sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == name && r.Level == level).Id);

    private async Task<int> CreateUnitAsync(HttpClient client, string name, string kind, int regionId)
    {
        var response = await client.PostAsJsonAsync("/api/v1/units", new { name, kind, regionId });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
    }

    private static MultipartFormDataContent Xlsx(params string[][] rows)
    {
        var bytes = TabularFile.WriteXlsx("值班表", Roster.Headers, rows);
        return new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", "roster.xlsx" } };
    }

    private Task<int> AuditCountAsync(string action) => factory.WithScopeAsync(sp =>
        sp.GetRequiredService<KernelDbContext>().AuditEntries.CountAsync(a => a.Action == action));

    [Fact]
    public async Task CreateUnit_TownOfficerInOwnTown_IsCreatedAndAudited()
    {
        var town = await factory.SignInAsync("town");
        var before = await AuditCountAsync("unit.create");
        var id = await CreateUnitAsync(town, "河上镇平安办", UnitKinds.Department, RegionId("河上镇", RegionLevel.Town));

        var detail = await town.GetFromJsonAsync<JsonElement>($"/api/v1/units/{id}");
        Assert.Equal("河上镇平安办", detail.GetProperty("name").GetString());
        Assert.True(detail.GetProperty("canManage").GetBoolean());
        Assert.Equal(before + 1, await AuditCountAsync("unit.create"));
    }

    [Fact]
    public async Task CreateUnit_RegionOutsideScope_Returns400NamingRegionId()
    {
        var town = await factory.SignInAsync("town");
        var response = await town.PostAsJsonAsync("/api/v1/units", new { name = "越权单位", kind = UnitKinds.Department, regionId = RegionId("光明村", RegionLevel.Village) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"regionId\"", body);
        Assert.Contains("辖区", body);
        Assert.Contains("outside your area", body);
    }

    [Fact]
    public async Task CreateUnit_UnknownKindAndNoName_Returns400NamingBothFields()
    {
        var admin = await factory.SignInAsync("admin");
        var response = await admin.PostAsJsonAsync("/api/v1/units", new { name = " ", kind = "bakery", regionId = RegionId("河上镇", RegionLevel.Town) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"name\"", body);
        Assert.Contains("\"kind\"", body);
    }

    [Fact]
    public async Task GetUnit_OtherTownsUnit_Returns404AndIsNotListed()
    {
        var admin = await factory.SignInAsync("admin");
        var foreign = await CreateUnitAsync(admin, "靖江派出所测试", UnitKinds.PoliceStation, RegionId("光明村", RegionLevel.Village));
        var town = await factory.SignInAsync("town");

        Assert.Equal(HttpStatusCode.NotFound, (await town.GetAsync($"/api/v1/units/{foreign}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await town.GetAsync($"/api/v1/units/{foreign}/on-duty")).StatusCode);
        var list = await town.GetFromJsonAsync<JsonElement>("/api/v1/units");
        Assert.DoesNotContain(list.EnumerateArray(), u => u.GetProperty("id").GetInt32() == foreign);
        var all = await admin.GetFromJsonAsync<JsonElement>("/api/v1/units");
        Assert.Contains(all.EnumerateArray(), u => u.GetProperty("id").GetInt32() == foreign);
    }

    [Fact]
    public async Task AddMember_GridWorker_SeesOwnUnitButCannotChangeIt()
    {
        var town = await factory.SignInAsync("town");
        var id = await CreateUnitAsync(town, "众联村网格组", UnitKinds.Department, RegionId("众联村", RegionLevel.Village));
        var added = await town.PostAsJsonAsync($"/api/v1/units/{id}/members", new { userName = "grid", role = UnitRoles.Member });
        Assert.Equal(HttpStatusCode.NoContent, added.StatusCode);

        // A fresh sign-in carries the new unit claim.
        var grid = await factory.SignInAsync("grid");
        var detail = await grid.GetFromJsonAsync<JsonElement>($"/api/v1/units/{id}");
        Assert.False(detail.GetProperty("canManage").GetBoolean());
        Assert.Contains(detail.GetProperty("members").EnumerateArray(), m => m.GetProperty("userName").GetString() == "grid");
        var rename = await grid.PutAsJsonAsync($"/api/v1/units/{id}", new { name = "改名", kind = UnitKinds.Department });
        Assert.Equal(HttpStatusCode.Forbidden, rename.StatusCode);
    }

    [Fact]
    public async Task AddMember_HeadRole_MakesHeadAndPreviousHeadStaysMember()
    {
        var town = await factory.SignInAsync("town");
        var id = await CreateUnitAsync(town, "河上镇调委会", UnitKinds.MediationCommittee, RegionId("河上镇", RegionLevel.Town));
        await town.PostAsJsonAsync($"/api/v1/units/{id}/members", new { userName = "mediator", role = UnitRoles.Head });
        await town.PostAsJsonAsync($"/api/v1/units/{id}/members", new { userName = "cadre", role = UnitRoles.Head });

        var detail = await town.GetFromJsonAsync<JsonElement>($"/api/v1/units/{id}");
        var members = detail.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("userName").GetString()!, m => m.GetProperty("role").GetString());
        Assert.Equal(UnitRoles.Head, members["cadre"]);
        Assert.Equal(UnitRoles.Member, members["mediator"]);
        var cadreId = detail.GetProperty("members").EnumerateArray().First(m => m.GetProperty("userName").GetString() == "cadre").GetProperty("userId").GetString();
        Assert.Equal(cadreId, detail.GetProperty("headUserId").GetString());
    }

    [Fact]
    public async Task AddMember_AccountOutsideScopeOrBadRole_Returns400()
    {
        var town = await factory.SignInAsync("town");
        var id = await CreateUnitAsync(town, "河上镇综治中心测试", UnitKinds.Department, RegionId("河上镇", RegionLevel.Town));
        var response = await town.PostAsJsonAsync($"/api/v1/units/{id}/members", new { userName = "admin", role = "boss" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"userName\"", body);
        Assert.Contains("\"role\"", body);
    }

    [Fact]
    public async Task RemoveMember_Member_IsGoneAndAudited()
    {
        var town = await factory.SignInAsync("town");
        var id = await CreateUnitAsync(town, "河上镇临时组", UnitKinds.Department, RegionId("河上镇", RegionLevel.Town));
        await town.PostAsJsonAsync($"/api/v1/units/{id}/members", new { userName = "police", role = UnitRoles.Member });
        var detail = await town.GetFromJsonAsync<JsonElement>($"/api/v1/units/{id}");
        var userId = detail.GetProperty("members")[0].GetProperty("userId").GetString();
        var before = await AuditCountAsync("unit.member_remove");

        Assert.Equal(HttpStatusCode.NoContent, (await town.DeleteAsync($"/api/v1/units/{id}/members/{userId}")).StatusCode);
        detail = await town.GetFromJsonAsync<JsonElement>($"/api/v1/units/{id}");
        Assert.Equal(0, detail.GetProperty("members").GetArrayLength());
        Assert.Equal(before + 1, await AuditCountAsync("unit.member_remove"));
    }

    [Fact]
    public async Task ImportRoster_ValidFile_ShowsWhoIsOnDutyAtAnInstant()
    {
        var town = await factory.SignInAsync("town");
        var id = await CreateUnitAsync(town, "河上派出所值班", UnitKinds.PoliceStation, RegionId("河上镇", RegionLevel.Town));
        await town.PostAsJsonAsync($"/api/v1/units/{id}/members", new { userName = "police", role = UnitRoles.Duty });
        await town.PostAsJsonAsync($"/api/v1/units/{id}/members", new { userName = "town", role = UnitRoles.Head });

        var response = await town.PostAsync($"/api/v1/units/{id}/roster/import",
            Xlsx(["police", "2027-01-01 08:00", "2027-01-01 20:00"], ["town", "2027-01-01 20:00", "2027-01-02 08:00"]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("added").GetInt32());

        // 12:00 China time on 1 January is 04:00 UTC; 23:30 China time is 15:30 UTC.
        var noon = await town.GetFromJsonAsync<JsonElement>($"/api/v1/units/{id}/on-duty?at=2027-01-01T04:00:00Z");
        Assert.Equal("police", Assert.Single(noon.EnumerateArray()).GetProperty("userName").GetString());
        var night = await town.GetFromJsonAsync<JsonElement>($"/api/v1/units/{id}/on-duty?at=2027-01-01T15:30:00Z");
        Assert.Equal("town", Assert.Single(night.EnumerateArray()).GetProperty("userName").GetString());
        // The end is exclusive: at 20:00 China time the night shift has begun and the day shift is over.
        var change = await town.GetFromJsonAsync<JsonElement>($"/api/v1/units/{id}/on-duty?at=2027-01-01T12:00:00Z");
        Assert.Equal("town", Assert.Single(change.EnumerateArray()).GetProperty("userName").GetString());

        var week = await town.GetFromJsonAsync<JsonElement>($"/api/v1/units/{id}/roster?week=2027-01-01");
        Assert.Equal(2, week.GetArrayLength());
        Assert.Equal("2027-01-01 08:00", week[0].GetProperty("start").GetString());
    }

    [Fact]
    public async Task ImportRoster_BadRows_Returns400WithRowNumbersAndWritesNothing()
    {
        var town = await factory.SignInAsync("town");
        var id = await CreateUnitAsync(town, "河上镇值班室", UnitKinds.Department, RegionId("河上镇", RegionLevel.Town));
        await town.PostAsJsonAsync($"/api/v1/units/{id}/members", new { userName = "police", role = UnitRoles.Duty });

        var response = await town.PostAsync($"/api/v1/units/{id}/roster/import", Xlsx(
            ["police", "2027-01-03 08:00", "2027-01-03 20:00"],
            ["police", "2027-01-03 19:00", "2027-01-04 08:00"],
            ["nobody", "2027-01-03 08:00", "2027-01-03 20:00"],
            ["police", "2027-01-05 08:00", "2027-01-05 07:00"],
            ["police", "tomorrow", "2027-01-06 07:00"]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("第3行 开始时间", body);
        Assert.Contains("overlaps", body);
        Assert.Contains("第4行 用户名", body);
        Assert.Contains("查无此人", body);
        Assert.Contains("第5行 结束时间", body);
        Assert.Contains("第6行 开始时间", body);
        var shifts = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().UnitShifts.CountAsync(s => s.UnitId == id));
        Assert.Equal(0, shifts);
    }

    [Fact]
    public async Task ImportRoster_OverlapsShiftAlreadyOnRoster_Returns400()
    {
        var town = await factory.SignInAsync("town");
        var id = await CreateUnitAsync(town, "河上镇应急组", UnitKinds.Department, RegionId("河上镇", RegionLevel.Town));
        await town.PostAsJsonAsync($"/api/v1/units/{id}/members", new { userName = "cadre", role = UnitRoles.Duty });
        var first = await town.PostAsJsonAsync($"/api/v1/units/{id}/roster", new { userName = "cadre", start = "2027-01-10 08:00", end = "2027-01-10 20:00" });
        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);

        var response = await town.PostAsync($"/api/v1/units/{id}/roster/import", Xlsx(["cadre", "2027-01-10 12:00", "2027-01-10 22:00"]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("已排的班次", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task AddShift_BadTimes_Returns400NamingFields()
    {
        var town = await factory.SignInAsync("town");
        var id = await CreateUnitAsync(town, "河上镇夜班组", UnitKinds.Department, RegionId("河上镇", RegionLevel.Town));
        var response = await town.PostAsJsonAsync($"/api/v1/units/{id}/roster", new { userName = "police", start = "noon", end = "" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"start\"", body);
        Assert.Contains("\"end\"", body);
        Assert.Contains("\"userName\"", body);
    }

    [Fact]
    public async Task ImportRoster_MissingColumn_Returns400OnRow1()
    {
        var town = await factory.SignInAsync("town");
        var id = await CreateUnitAsync(town, "河上镇缺列", UnitKinds.Department, RegionId("河上镇", RegionLevel.Town));
        var csv = new MultipartFormDataContent { { new ByteArrayContent("用户名,开始时间\npolice,2027-01-03 08:00\n"u8.ToArray()), "file", "roster.csv" } };
        var response = await town.PostAsync($"/api/v1/units/{id}/roster/import", csv);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("缺少列：结束时间", await response.Content.ReadAsStringAsync());
    }
}
