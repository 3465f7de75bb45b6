using CivicGrid.Kernel.Calendar;
using CivicGrid.Kernel.Time;

namespace CivicGrid.Kernel.Tests.Calendar;

/// <summary>Working-day arithmetic on the shipped notices, 2020–2026.</summary>
public class WorkCalendarTests
{
    private static readonly WorkCalendar Calendar = new(CalendarFile.ShippedRows());

    private static DateOnly D(int y, int m, int d) => new(y, m, d);

    /// <summary>A China wall-clock time as its UTC instant.</summary>
    private static DateTime China(int y, int m, int d, int h = 9, int min = 0) => ChinaTime.ToUtc(new DateTime(y, m, d, h, min, 0));

    [Fact]
    public void ShippedFile_PassesTheUploadRules_AndCoversEveryYear()
    {
        var rows = CalendarFile.ShippedRows();
        Assert.Equal([2020, 2021, 2022, 2023, 2024, 2025, 2026], rows.Select(r => r.Date.Year).Distinct().Order().ToArray());
        Assert.Equal([2020, 2021, 2022, 2023, 2024, 2025, 2026], Calendar.LoadedYears);
    }

    [Fact]
    public void SpringFestival2020_ExtendedToFebruary2_AndTheSaturdayFebruary1IsOff()
    {
        // The State Council's notice of 2020-01-27 extended the holiday to Feb 2; Saturday Feb 1, a 调休 working day in
        // the December notice, became a day off. Work resumed on Monday Feb 3.
        Assert.False(Calendar.IsWorkingDay(D(2020, 1, 30)));
        Assert.False(Calendar.IsWorkingDay(D(2020, 1, 31)));
        Assert.False(Calendar.IsWorkingDay(D(2020, 2, 1)));
        Assert.False(Calendar.IsWorkingDay(D(2020, 2, 2)));
        Assert.True(Calendar.IsWorkingDay(D(2020, 2, 3)));
        Assert.True(Calendar.IsWorkingDay(D(2020, 1, 19)));
        // One working day from Thursday 2020-01-23 is Monday 2020-02-03.
        Assert.Equal(D(2020, 2, 3), Calendar.AddWorkingDays(China(2020, 1, 23), 1).LastDay);
    }

    [Fact]
    public void NationalDay2024_Sep29AndOct12AreWorkingDays()
    {
        Assert.Equal(DayOfWeek.Sunday, D(2024, 9, 29).DayOfWeek);
        Assert.Equal(DayOfWeek.Saturday, D(2024, 10, 12).DayOfWeek);
        Assert.True(Calendar.IsWorkingDay(D(2024, 9, 29)));
        Assert.True(Calendar.IsWorkingDay(D(2024, 10, 12)));
        Assert.False(Calendar.IsWorkingDay(D(2024, 10, 1)));
        Assert.False(Calendar.IsWorkingDay(D(2024, 10, 7)));
        Assert.False(Calendar.IsWorkingDay(D(2024, 10, 13)));
        // From Friday Sep 27: Sun 29 (1), Mon 30 (2), then Oct 1–7 off, Tue Oct 8 (3).
        Assert.Equal(D(2024, 10, 8), Calendar.AddWorkingDays(China(2024, 9, 27), 3).LastDay);
        // From Friday Oct 11: Sat 12 (1), Mon 14 (2).
        Assert.Equal(D(2024, 10, 14), Calendar.AddWorkingDays(China(2024, 10, 11), 2).LastDay);
    }

    [Theory]
    [InlineData(5, 2026, 2, 26)]   // the 调休 Saturday 02-14 counts, 02-15..02-23 are off
    [InlineData(10, 2026, 3, 4)]   // Saturday 02-28 is a working day
    public void AddWorkingDays_SpringFestival2026_FromThursdayFebruary12(int n, int y, int m, int d)
    {
        var deadline = Calendar.AddWorkingDays(China(2026, 2, 12, 15), n);
        Assert.Equal(D(y, m, d), deadline.LastDay);
        // Due at 24:00 China time of the last day.
        Assert.Equal(ChinaTime.StartOfDayUtc(D(y, m, d).AddDays(1)), deadline.Due);
        Assert.False(deadline.AssumedOrdinaryWeek);
    }

    [Fact]
    public void AddWorkingDays_StartOnADayOff_CountsFromTheNextWorkingDay()
    {
        // Saturday 2026-12-05: day 1 is Monday 12-07.
        Assert.Equal(D(2026, 12, 7), Calendar.AddWorkingDays(China(2026, 12, 5), 1).LastDay);
        // In the Spring Festival 2026 holiday (Tuesday 02-17): day 1 is Tuesday 02-24.
        Assert.Equal(D(2026, 2, 24), Calendar.AddWorkingDays(China(2026, 2, 17), 1).LastDay);
    }

    [Fact]
    public void AddWorkingDays_2330Utc_IsAlreadyTheNextChinaDay()
    {
        // 2026-02-11 23:30 UTC is Thursday 02-12 07:30 in China: the count starts after Thursday.
        var late = new DateTime(2026, 2, 11, 23, 30, 0, DateTimeKind.Utc);
        Assert.Equal(D(2026, 2, 12), ChinaTime.DateOf(late));
        Assert.Equal(D(2026, 2, 26), Calendar.AddWorkingDays(late, 5).LastDay);
        // Half an hour earlier in UTC it is still Wednesday 02-11 in China (23:00): one day earlier.
        var early = new DateTime(2026, 2, 11, 15, 0, 0, DateTimeKind.Utc);
        Assert.Equal(D(2026, 2, 25), Calendar.AddWorkingDays(early, 5).LastDay);
    }

    [Fact]
    public void AddWorkingDays_PastTheLastLoadedYear_AssumesAnOrdinaryWeek()
    {
        // Wednesday 2026-12-30: Thu 31 (1), then 2027 unknown: Fri Jan 1 is taken as a working day (2), Mon 4, Tue 5, Wed 6.
        var deadline = Calendar.AddWorkingDays(China(2026, 12, 30), 5);
        Assert.Equal(D(2027, 1, 6), deadline.LastDay);
        Assert.True(deadline.AssumedOrdinaryWeek);
        Assert.False(Calendar.AddWorkingDays(China(2026, 12, 28), 3).AssumedOrdinaryWeek);
        // 250 working days from the last loaded day: 50 ordinary weeks.
        var far = Calendar.AddWorkingDays(China(2026, 12, 31), 250);
        Assert.True(far.AssumedOrdinaryWeek);
        Assert.Equal(D(2027, 12, 16), far.LastDay);
    }

    [Fact]
    public void AddWorkingDays_TheIndex_AgreesWithADayByDayWalk()
    {
        for (var start = D(2019, 12, 1); start < D(2027, 3, 1); start = start.AddDays(11))
        {
            foreach (var n in new[] { 1, 5, 20, 250 })
            {
                var day = start;
                for (var left = n; left > 0;)
                {
                    day = day.AddDays(1);
                    if (Calendar.IsWorkingDay(day)) left--;
                }
                Assert.Equal(day, Calendar.AddWorkingDays(ChinaTime.StartOfDayUtc(start), n).LastDay);
                Assert.Equal(day, Calendar.AddWorkingDays(start, n).LastDay);
            }
        }
    }

    [Fact]
    public void AddWorkingDays_Paused_DoesNotCountThePausedDays()
    {
        // Monday 2026-12-07 + 5 working days = Monday 12-14; paused over Wednesday and Thursday (waiting on a resident): 12-16.
        var start = China(2026, 12, 7);
        Assert.Equal(D(2026, 12, 14), Calendar.AddWorkingDays(start, 5).LastDay);
        var paused = new Paused(ChinaTime.StartOfDayUtc(D(2026, 12, 9)), ChinaTime.StartOfDayUtc(D(2026, 12, 11)));
        Assert.Equal(D(2026, 12, 16), Calendar.AddWorkingDays(start, 5, [paused]).LastDay);
        // A pause over the weekend only changes nothing.
        var weekend = new Paused(ChinaTime.StartOfDayUtc(D(2026, 12, 12)), ChinaTime.StartOfDayUtc(D(2026, 12, 14)));
        Assert.Equal(D(2026, 12, 14), Calendar.AddWorkingDays(start, 5, [weekend]).LastDay);
        // A pause of a few hours takes the deadline into the next working day, which it then has whole.
        var hours = new Paused(China(2026, 12, 8, 10), China(2026, 12, 8, 15));
        var deadline = Calendar.AddWorkingDays(start, 5, [hours]);
        Assert.Equal(D(2026, 12, 15), deadline.LastDay);
        Assert.Equal(ChinaTime.StartOfDayUtc(D(2026, 12, 16)), deadline.Due);
    }

    [Fact]
    public void AddWorkingHours_AcrossLunch_AndAcrossTheWeekend()
    {
        // Friday 2026-12-04 11:00: 1 hour to 12:00, 3 hours from 13:30 → 16:30.
        var friday = China(2026, 12, 4, 11);
        Assert.Equal(China(2026, 12, 4, 16, 30), Calendar.AddWorkingHours(friday, 4).Due);
        // 8 hours: 1 + 4 on Friday, then Monday 08:30 + 3 → 11:30.
        var monday = Calendar.AddWorkingHours(friday, 8);
        Assert.Equal(China(2026, 12, 7, 11, 30), monday.Due);
        Assert.Equal(D(2026, 12, 7), monday.LastDay);
        Assert.False(monday.AssumedOrdinaryWeek);
        // Ending exactly when the morning ends: due at 12:00, not at 13:30.
        Assert.Equal(China(2026, 12, 4, 12), Calendar.AddWorkingHours(friday, 1).Due);
        // A start out of hours (Saturday) counts from Monday's opening.
        Assert.Equal(China(2026, 12, 7, 10, 30), Calendar.AddWorkingHours(China(2026, 12, 5, 10), 2).Due);
    }

    [Fact]
    public void AddWorkingHours_OverTheSpringFestival_Skips调休AndHolidays()
    {
        // Friday 2026-02-13 17:00: half an hour that day, then the 调休 Saturday 02-14 from 08:30: 2 hours → 10:00 on 02-14.
        Assert.Equal(China(2026, 2, 14, 10), Calendar.AddWorkingHours(China(2026, 2, 13, 17), 2).Due);
        // 8 more hours: Saturday has 7.5 → Tuesday 02-24 after the holiday, 0.5 hours in: 09:00.
        Assert.Equal(China(2026, 2, 24, 9), Calendar.AddWorkingHours(China(2026, 2, 14, 8, 30), 8).Due);
    }

    [Fact]
    public void AddWorkingHours_Paused_IsNotCounted()
    {
        // 8 hours from Friday 11:00 end Monday 11:30; paused on Monday 08:00–09:30 (1 office hour lost): 2.5 hours by 12:00, 0.5 from 13:30 → 14:00.
        var paused = new Paused(China(2026, 12, 7, 8), China(2026, 12, 7, 9, 30));
        Assert.Equal(China(2026, 12, 7, 14), Calendar.AddWorkingHours(China(2026, 12, 4, 11), 8, [paused]).Due);
        // Two overlapping pauses count once.
        var overlapping = new Paused(China(2026, 12, 7, 9), China(2026, 12, 7, 9, 15));
        Assert.Equal(China(2026, 12, 7, 14), Calendar.AddWorkingHours(China(2026, 12, 4, 11), 8, [overlapping, paused]).Due);
    }

    [Fact]
    public void AddWorkingHours_OfficeHoursFromConfiguration()
    {
        var calendar = new WorkCalendar(CalendarFile.ShippedRows(), new CalendarOptions { OfficeHours = "09:00-12:00,14:00-18:00" });
        Assert.Equal(China(2026, 12, 4, 15), calendar.AddWorkingHours(China(2026, 12, 4, 11), 2).Due);
        Assert.Throws<InvalidOperationException>(() => new WorkCalendar(new CalendarOptions { OfficeHours = "13:00-12:00" }));
        Assert.Throws<InvalidOperationException>(() => new WorkCalendar(new CalendarOptions { OfficeHours = "8.30-12" }));
    }

    [Fact]
    public void AddWorkingHours_PastTheLastYear_SaysSo()
    {
        var deadline = Calendar.AddWorkingHours(China(2026, 12, 31, 16), 4);
        Assert.Equal(China(2027, 1, 1, 11), deadline.Due);
        Assert.True(deadline.AssumedOrdinaryWeek);
    }

    [Fact]
    public void PeriodEnd_ThirtyDayMediationEndingOnAHoliday_MovesToTheNextWorkingDay()
    {
        // From 2024-09-01 (not counted) 30 days end on Tuesday 10-01, a holiday; 10-02..10-07 are off too: Tuesday 10-08.
        var period = Calendar.PeriodEnd(D(2024, 9, 1), 30);
        Assert.Equal(D(2024, 10, 8), period.LastDay);
        Assert.False(period.AssumedOrdinaryWeek);
        // A period ending on a weekday stays where it is; one ending on an ordinary Sunday moves to Monday.
        Assert.Equal(D(2024, 11, 15), Calendar.PeriodEnd(D(2024, 11, 1), 14).LastDay);
        Assert.Equal(D(2024, 11, 18), Calendar.PeriodEnd(D(2024, 11, 2), 15).LastDay);
        // One ending on a 调休 working Sunday (2024-09-29) ends there.
        Assert.Equal(D(2024, 9, 29), Calendar.PeriodEnd(D(2024, 9, 14), 15).LastDay);
    }

    [Theory]
    [InlineData(2024, 2024, 2, 29)]  // leap year
    [InlineData(2025, 2025, 2, 28)]  // Friday
    [InlineData(2026, 2026, 2, 28)]  // Saturday, a 调休 working day in 2026
    [InlineData(2021, 2021, 3, 1)]   // Sunday 2021-02-28 is off: Monday
    public void PeriodEndMonths_OneMonthFromJanuary31_EndsOnFebruarysLastDay(int year, int y, int m, int d)
    {
        Assert.Equal(D(y, m, d), Calendar.PeriodEndMonths(D(year, 1, 31), 1).LastDay);
    }

    [Fact]
    public void PeriodEndMonths_SameDateOfTheLastMonth()
    {
        Assert.Equal(D(2025, 6, 16), Calendar.PeriodEndMonths(D(2025, 3, 16), 3).LastDay);
        var pastEnd = Calendar.PeriodEndMonths(D(2026, 11, 16), 2);
        Assert.Equal(D(2027, 1, 18), pastEnd.LastDay);
        Assert.True(pastEnd.AssumedOrdinaryWeek);
    }

    [Fact]
    public void Load_ReplacesTheDaysInForce()
    {
        var calendar = new WorkCalendar(CalendarFile.ShippedRows());
        Assert.True(calendar.IsWorkingDay(D(2027, 1, 1)));
        Assert.True(calendar.AddWorkingDays(China(2026, 12, 31), 1).AssumedOrdinaryWeek);
        calendar.Load([.. CalendarFile.ShippedRows(), new CalendarRow(D(2027, 1, 1), "元旦", true)], [2020, 2021, 2022, 2023, 2024, 2025, 2026, 2027]);
        Assert.False(calendar.IsWorkingDay(D(2027, 1, 1)));
        var deadline = calendar.AddWorkingDays(China(2026, 12, 31), 1);
        Assert.Equal(D(2027, 1, 4), deadline.LastDay);
        Assert.False(deadline.AssumedOrdinaryWeek);
    }

    [Theory]
    [InlineData(2026, 10, 31, false)]
    [InlineData(2026, 11, 1, true)]
    [InlineData(2026, 12, 31, true)]
    public void MissingYearWarning_FromNovember1WhileNextYearIsMissing(int y, int m, int d, bool warns)
    {
        var years = new[] { 2025, 2026 };
        var warning = CalendarStore.MissingYearWarning(D(y, m, d), years);
        Assert.Equal(warns, warning?.Contains("明年的节假日安排尚未导入") == true);
        Assert.Null(CalendarStore.MissingYearWarning(D(2026, 11, 1), [2026, 2027]));
        Assert.Contains("今年", CalendarStore.MissingYearWarning(D(2027, 1, 5), years));
    }
}
