using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using CivicGrid.Testing;

namespace CivicGrid.Web.Tests.Features.Calendar;

/// <summary>The page at the platform's test clock, 2026-11-28 (China): November, and 2027 not loaded.</summary>
public class CalendarPageTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task CalendarPage_DistrictAdminInNovember_ShowsYearsDaysTheNoteAndTheNextYearWarning()
    {
        var admin = await factory.SignInAsync("admin");
        var html = await (await admin.GetAsync("/calendar")).Content.ReadAsStringAsync();
        Assert.Contains("节假日与调休", html);
        Assert.Contains("明年的节假日安排尚未导入", html);
        Assert.Contains("已开出的期限不因日历变更而改变", html);
        Assert.Contains(CivicGrid.Kernel.Calendar.CalendarStore.ShippedSource, html);
        // This year's days are shown by default: the 调休 Saturday of the 2026 Spring Festival.
        Assert.Contains("2026-02-28", html);
        Assert.Contains("调休上班", html);
        Assert.Contains("上传节假日安排", html);

        var y2024 = await (await admin.GetAsync("/calendar?year=2024")).Content.ReadAsStringAsync();
        Assert.Contains("2024-09-29", y2024);
        Assert.Contains("2024-10-12", y2024);
    }

    [Fact]
    public async Task CalendarPage_GridWorker_HasNoPermission_AndNoMenuEntry()
    {
        var grid = await factory.SignInAsync("grid");
        var response = await grid.GetAsync("/calendar");
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Contains("/no-permission", response.Headers.Location!.OriginalString);
        var home = await (await grid.GetAsync("/")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("href=\"calendar\"", home);

        var admin = await factory.SignInAsync("admin");
        var adminHome = await (await admin.GetAsync("/")).Content.ReadAsStringAsync();
        Assert.Contains("href=\"calendar\"", adminHome);
    }
}

/// <summary>The warning follows the platform's clock, not the machine's: its own platform, whose clock moves to January 2027.</summary>
public class CalendarClockTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task CalendarPage_InJanuaryWithTheYearMissing_WarnsForThisYear_AndNotOnceItIsLoaded()
    {
        factory.Time.SetUtcNow(new DateTimeOffset(2027, 1, 5, 2, 0, 0, TimeSpan.Zero));
        var admin = await factory.SignInAsync("admin");
        var html = await (await admin.GetAsync("/calendar")).Content.ReadAsStringAsync();
        Assert.Contains("今年（2027 年）的节假日安排尚未导入", html);
        Assert.DoesNotContain("明年的节假日安排尚未导入", html);

        var csv = new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("date,name,off_day\n2027-01-01,元旦,1\n")), "file", "2027.csv" } };
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsync("/api/v1/calendar/2027", csv)).StatusCode);
        var after = await (await admin.GetAsync("/calendar")).Content.ReadAsStringAsync();
        Assert.DoesNotContain("calendar-warning", after);
        Assert.Contains("2027-01-01", after);
        var deadline = await admin.GetFromJsonAsync<JsonElement>("/api/v1/calendar/deadline?from=2026-12-31&workingDays=1");
        Assert.Equal("2027-01-04", deadline.GetProperty("lastDay").GetString());
    }
}
