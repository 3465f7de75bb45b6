using System.Globalization;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Units;
using CivicGrid.Kernel.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Kernel.Calendar;

/// <summary>
/// The working-day calendar as a platform service: the <see cref="WorkCalendar"/> singleton, its start-up seeding, the
/// district admin's page entry and the API (read a year, upload a year, work out a deadline).
/// </summary>
public static class CalendarApi
{
    public const long MaxFileBytes = 1024 * 1024;

    public static IServiceCollection AddCalendar(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection(CalendarOptions.Section).Get<CalendarOptions>() ?? new CalendarOptions();
        // Fails at start-up, with the key named, when the office hours are malformed.
        services.AddSingleton(new WorkCalendar(options));
        services.AddHostedService<CalendarRefresher>();
        services.AddSingleton(new NavEntry(92, "节假日与调休", "Holidays", "calendar", "event", Roles.DistrictAdmin));
        return services;
    }

    /// <summary>Seeds the shipped years a new database lacks and reads the days into memory; run after the migrations.</summary>
    public static async Task PrepareCalendarAsync(this IServiceProvider services, CancellationToken ct)
    {
        using var scope = services.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<KernelDbContext>();
        await CalendarStore.SeedAsync(db, scope.ServiceProvider.GetRequiredService<TimeProvider>(), ct);
        await services.GetRequiredService<WorkCalendar>().RefreshAsync(db, ct);
    }

    public static RouteGroupBuilder MapCalendarApi(this RouteGroupBuilder api)
    {
        var calendar = api.MapGroup("/calendar").WithTags("Platform")
            .RequireAuthorization(p => p.RequireAssertion(c => Acting.From(c.User, null).IsStaff));
        calendar.MapGet("/{year:int}", GetYear)
            .WithName("GetCalendarYear").WithSummary("某年的节假日与调休及导入版本 / A year's holidays and 调休 working days, with its versions");
        calendar.MapPost("/{year:int}", Upload).DisableAntiforgery()
            .WithName("UploadCalendarYear").WithSummary("导入某年的节假日安排（CSV：date,name,off_day；replace=true 替换已导入的年份） / Load a year's notice (CSV date,name,off_day; replace=true replaces a loaded year)");
        calendar.MapGet("/deadline", GetDeadline)
            .WithName("GetWorkingDayDeadline").WithSummary("按工作日或工作小时计算期限 / Work out a deadline in working days or office hours");
        return api;
    }

    public sealed record DayDto(string Date, string Weekday, string Name, bool OffDay);

    public sealed record VersionDto(int Version, string Source, DateTime LoadedAt, string LoadedAtChina, string LoadedBy, int RowCount, string Hash);

    public sealed record YearDto(int Year, VersionDto Current, IReadOnlyList<VersionDto> Versions, IReadOnlyList<DayDto> Days);

    public sealed record DeadlineDto(DateTime Due, string DueChina, string LastDay, bool AssumedOrdinaryWeek);

    public static VersionDto ToDto(CalendarVersion v) =>
        new(v.Version, v.Source, v.LoadedAt, ChinaTime.Minute(v.LoadedAt), v.LoadedBy, v.RowCount, v.Hash);

    private static async Task<Results<Ok<YearDto>, ProblemHttpResult>> GetYear(int year, KernelDbContext db, CancellationToken ct)
    {
        var loaded = (await CalendarStore.YearsAsync(db, ct)).FirstOrDefault(y => y.Year == year);
        if (loaded is null)
            return Problems.NotFound($"{year} 年的节假日安排尚未导入", $"The holiday notice for {year} is not loaded");
        var days = await CalendarStore.DaysAsync(db, year, ct);
        return TypedResults.Ok(new YearDto(year, ToDto(loaded.Current), loaded.Versions.Select(ToDto).ToList(),
            days.Select(d => new DayDto(ChinaTime.Date(d.Date), CalendarFile.WeekdayZh(d.Date), d.Name, d.OffDay)).ToList()));
    }

    /// <summary>Row errors as a 400 problem, keyed "第N行 列名" as the other uploads are.</summary>
    public static ValidationProblem RowProblem(IReadOnlyList<RowError> errors) =>
        TypedResults.ValidationProblem(
            errors.GroupBy(e => $"第{e.Row}行 {e.Column}").ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
            title: Bilingual.Both("文件有误，未写入任何记录", "The file has errors; nothing was written"),
            extensions: new Dictionary<string, object?> { ["rows"] = errors });

    private static async Task<Results<Ok<VersionDto>, ValidationProblem, ProblemHttpResult>> Upload(int year, IFormFile? file, bool? replace,
        HttpContext http, KernelDbContext db, WorkCalendar calendar, TimeProvider time, CancellationToken ct)
    {
        var acting = Acting.From(http);
        if (!acting.Has(Permissions.ManageCalendar))
            return Problems.Forbidden("只有区级管理员可以导入节假日安排", "Only district admins load the holiday calendar");
        if (file is null || file.Length == 0) return Problems.Field("file", "请上传 CSV 文件（date,name,off_day）", "upload a CSV file (date,name,off_day)");
        if (file.Length > MaxFileBytes) return Problems.Field("file", "日历文件不能超过 1 MB", "a calendar file may be at most 1 MB");
        if (!file.FileName.EndsWith(".csv", StringComparison.OrdinalIgnoreCase))
            return Problems.Field("file", "仅支持 .csv 文件", "only .csv files are accepted");
        using var buffer = new MemoryStream();
        await file.CopyToAsync(buffer, ct);
        var result = await CalendarStore.LoadYearAsync(db, year, buffer.ToArray(), file.FileName, replace == true, acting.Actor, time, ct);
        return await AnswerAsync(result, year, db, calendar, ct);
    }

    private static async Task<Results<Ok<VersionDto>, ValidationProblem, ProblemHttpResult>> AnswerAsync(CalendarLoad result, int year,
        KernelDbContext db, WorkCalendar calendar, CancellationToken ct)
    {
        if (result.Errors.Count > 0) return RowProblem(result.Errors);
        if (result.AlreadyLoaded)
            return Problems.Conflict("replace", $"{year} 年的节假日安排已导入；确认替换请加 replace=true", $"{year} is already loaded; send replace=true to replace it");
        if (result.LostRace || result.Version is null)
            return Problems.Conflict("year", $"{year} 年的日历刚被另一次导入更新，请刷新后重试", $"{year} was just loaded by another upload; reload and try again");
        await calendar.RefreshAsync(db, ct);
        return TypedResults.Ok(ToDto(result.Version));
    }

    private static Results<Ok<DeadlineDto>, ValidationProblem> GetDeadline(string? from, int? workingDays, double? workingHours, WorkCalendar calendar)
    {
        if (!TryParseInstant(from, out var start))
            return Problems.Field("from", "from 应为 ISO 8601 时刻（如 2026-02-12T09:00:00+08:00）或中国日期 yyyy-MM-dd", "from must be an ISO 8601 instant (e.g. 2026-02-12T09:00:00+08:00) or a China date yyyy-MM-dd");
        if ((workingDays is null) == (workingHours is null))
            return Problems.Field("workingDays", "workingDays 与 workingHours 须给出其一", "give exactly one of workingDays and workingHours");
        if (workingDays is < 0 or > 3650)
            return Problems.Field("workingDays", "workingDays 应在 0 到 3650 之间", "workingDays must be between 0 and 3650");
        if (workingHours is { } h && (h < 0 || h > 20000 || double.IsNaN(h)))
            return Problems.Field("workingHours", "workingHours 应在 0 到 20000 之间", "workingHours must be between 0 and 20000");
        var deadline = workingDays is { } n ? calendar.AddWorkingDays(start, n) : calendar.AddWorkingHours(start, workingHours!.Value);
        return TypedResults.Ok(new DeadlineDto(deadline.Due, deadline.DueChina, ChinaTime.Date(deadline.LastDay), deadline.AssumedOrdinaryWeek));
    }

    /// <summary>An instant with an offset (or Z), or a bare date taken as the start of that China day.</summary>
    public static bool TryParseInstant(string? text, out DateTime utc)
    {
        utc = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (DateOnly.TryParseExact(text, ChinaTime.DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            utc = ChinaTime.StartOfDayUtc(day);
            return true;
        }
        // Without an offset the time would be the server's local time: refused rather than guessed.
        var offset = text.Length > 6 && text[^6] is '+' or '-' && text[^3] == ':';
        if (!text.EndsWith('Z') && !offset) return false;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var instant)) return false;
        utc = instant.UtcDateTime;
        return true;
    }
}
