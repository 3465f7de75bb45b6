using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CivicGrid.Kernel.Calendar;
using CivicGrid.Kernel.Data;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features.Calendar;

public class CalendarApiTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static MultipartFormDataContent Csv(string text, string name = "notice.csv") =>
        new() { { new ByteArrayContent(Encoding.UTF8.GetBytes(text)), "file", name } };

    private Task<T> KernelAsync<T>(Func<KernelDbContext, Task<T>> use) =>
        factory.WithScopeAsync(sp => use(sp.GetRequiredService<KernelDbContext>()));

    [Fact]
    public async Task GetYear_SeededAtStart_FromTheShippedFile()
    {
        var grid = await factory.SignInAsync("grid");
        var year = await grid.GetFromJsonAsync<JsonElement>("/api/v1/calendar/2024");
        var days = year.GetProperty("days").EnumerateArray().ToList();
        Assert.Contains(days, d => d.GetProperty("date").GetString() == "2024-09-29" && !d.GetProperty("offDay").GetBoolean());
        Assert.Contains(days, d => d.GetProperty("date").GetString() == "2024-10-01" && d.GetProperty("offDay").GetBoolean());
        var current = year.GetProperty("current");
        Assert.Equal(1, current.GetProperty("version").GetInt32());
        Assert.Equal(days.Count, current.GetProperty("rowCount").GetInt32());
        Assert.Equal(CalendarStore.ShippedSource, current.GetProperty("source").GetString());
        Assert.Equal(64, current.GetProperty("hash").GetString()!.Length);
        var missing = await grid.GetAsync("/api/v1/calendar/2035");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("尚未导入", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Deadline_FiveWorkingDaysFromThursday20260212_EndsOnFebruary26()
    {
        var grid = await factory.SignInAsync("grid");
        var deadline = await grid.GetFromJsonAsync<JsonElement>("/api/v1/calendar/deadline?from=2026-02-12T09:00:00%2B08:00&workingDays=5");
        Assert.Equal("2026-02-26", deadline.GetProperty("lastDay").GetString());
        Assert.Equal("2026-02-27 00:00", deadline.GetProperty("dueChina").GetString());
        Assert.False(deadline.GetProperty("assumedOrdinaryWeek").GetBoolean());
        var hours = await grid.GetFromJsonAsync<JsonElement>("/api/v1/calendar/deadline?from=2026-12-04T03:00:00Z&workingHours=8");
        Assert.Equal("2026-12-07 11:30", hours.GetProperty("dueChina").GetString());
        var past = await grid.GetFromJsonAsync<JsonElement>("/api/v1/calendar/deadline?from=2026-12-30&workingDays=5");
        Assert.True(past.GetProperty("assumedOrdinaryWeek").GetBoolean());
    }

    [Theory]
    [InlineData("from=yesterday&workingDays=5", "from")]
    [InlineData("from=2026-02-12T09:00:00&workingDays=5", "from")]
    [InlineData("from=2026-02-12&workingDays=-1", "workingDays")]
    [InlineData("from=2026-02-12", "workingDays")]
    [InlineData("from=2026-02-12&workingDays=1&workingHours=2", "workingDays")]
    [InlineData("from=2026-02-12&workingDays=x", "workingDays")]
    public async Task Deadline_BadQuery_Is400NamingTheField(string query, string field)
    {
        var grid = await factory.SignInAsync("grid");
        var response = await grid.GetAsync($"/api/v1/calendar/deadline?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Upload_WithRowErrors_WritesNothing_AndNamesRowAndColumn()
    {
        var admin = await factory.SignInAsync("admin");
        var auditBefore = await KernelAsync(db => db.AuditEntries.CountAsync(a => a.Action.StartsWith("calendar.")));
        var response = await admin.PostAsync("/api/v1/calendar/2030", Csv("date,name,off_day\n2030-01-01,元旦,1\n2029-12-31,元旦,1\n2030-01-02,元旦,3\n2030-01-09,春节,0\n2030-01-01,元旦,1\n2030-02-30,春节,1\n"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains("不在 2030 年内", errors.GetProperty("第3行 date")[0].GetString());
        Assert.Contains("off_day", errors.GetProperty("第4行 off_day")[0].GetString());
        Assert.Contains("星期三", errors.GetProperty("第5行 off_day")[0].GetString());
        Assert.Contains("与第 2 行重复", errors.GetProperty("第6行 date")[0].GetString());
        Assert.Contains("无效", errors.GetProperty("第7行 date")[0].GetString());
        Assert.False(await KernelAsync(db => db.CalendarDays.AnyAsync(d => d.Date >= new DateOnly(2030, 1, 1) && d.Date <= new DateOnly(2030, 12, 31))));
        Assert.False(await KernelAsync(db => db.CalendarVersions.AnyAsync(v => v.Year == 2030)));
        Assert.Equal(auditBefore, await KernelAsync(db => db.AuditEntries.CountAsync(a => a.Action.StartsWith("calendar."))));

        var empty = await admin.PostAsync("/api/v1/calendar/2030", Csv("date,name,off_day\n"));
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("文件为空", await empty.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Upload_ByATownOfficer_IsForbidden()
    {
        var town = await factory.SignInAsync("town");
        var response = await town.PostAsync("/api/v1/calendar/2032", Csv("date,name,off_day\n2032-01-01,元旦,1\n"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(await KernelAsync(db => db.CalendarVersions.AnyAsync(v => v.Year == 2032)));
    }

    [Fact]
    public async Task Upload_NewYear_ThenAgain_NeedsReplace_AndReplacesTheRowsAsVersion2()
    {
        var admin = await factory.SignInAsync("admin");
        var grid = await factory.SignInAsync("grid");
        var before = await grid.GetFromJsonAsync<JsonElement>("/api/v1/calendar/deadline?from=2031-01-01&workingDays=1");
        Assert.True(before.GetProperty("assumedOrdinaryWeek").GetBoolean());

        var first = await admin.PostAsync("/api/v1/calendar/2031", Csv("date,name,off_day\n2031-01-01,元旦,1\n2031-01-02,元旦,1\n", "2031年通知.csv"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        // The calendar in memory is refreshed: Wednesday 2031-01-01's day 1 is Friday 01-03 (Thursday 01-02 is off).
        var after = await grid.GetFromJsonAsync<JsonElement>("/api/v1/calendar/deadline?from=2031-01-01&workingDays=1");
        Assert.Equal("2031-01-03", after.GetProperty("lastDay").GetString());
        Assert.False(after.GetProperty("assumedOrdinaryWeek").GetBoolean());

        var again = await admin.PostAsync("/api/v1/calendar/2031", Csv("date,name,off_day\n2031-01-01,元旦,1\n"));
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("replace=true", await again.Content.ReadAsStringAsync());

        var replaced = await admin.PostAsync("/api/v1/calendar/2031?replace=true", Csv("date,name,off_day\n2031-01-01,元旦,1\n2031-01-04,元旦,0\n"));
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(2, (await replaced.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("version").GetInt32());
        var year = await grid.GetFromJsonAsync<JsonElement>("/api/v1/calendar/2031");
        Assert.Equal(["2031-01-01", "2031-01-04"], year.GetProperty("days").EnumerateArray().Select(d => d.GetProperty("date").GetString()!).ToArray());
        Assert.Equal(2, year.GetProperty("versions").GetArrayLength());
        Assert.Equal("2031年通知.csv", year.GetProperty("versions")[1].GetProperty("source").GetString());
        Assert.Equal("admin", year.GetProperty("current").GetProperty("loadedBy").GetString());
        var audit = await KernelAsync(db => db.AuditEntries.Where(a => a.Target == "calendar:2031").Select(a => a.Action).ToListAsync());
        Assert.Equal(["calendar.load", "calendar.replace"], audit.Order().ToArray());
    }

    [Fact]
    public async Task Seed_TwoNodesAtOnceOnAnEmptyTable_LoadTheYearsOnce()
    {
        await KernelAsync(async db =>
        {
            await db.CalendarDays.ExecuteDeleteAsync();
            return await db.CalendarVersions.ExecuteDeleteAsync();
        });
        var dbs = factory.Services.GetRequiredService<IDbContextFactory<KernelDbContext>>();
        async Task<int> SeedAsync()
        {
            await using var db = await dbs.CreateDbContextAsync();
            return await CalendarStore.SeedAsync(db, TimeProvider.System, default);
        }
        var loaded = await Task.WhenAll(SeedAsync(), SeedAsync());
        Assert.Equal(7, loaded.Sum());
        Assert.Equal(CalendarFile.ShippedRows().Count, await KernelAsync(db => db.CalendarDays.CountAsync()));
        var versions = await KernelAsync(db => db.CalendarVersions.AsNoTracking().ToListAsync());
        Assert.Equal([2020, 2021, 2022, 2023, 2024, 2025, 2026], versions.Select(v => v.Year).Order().ToArray());
        Assert.All(versions, v => Assert.Equal(1, v.Version));
        // A third start finds everything there and does nothing.
        Assert.Equal(0, await SeedAsync());
    }
}
