using System.Globalization;
using CivicGrid.Kernel.Time;

namespace CivicGrid.Kernel.Calendar;

/// <summary>
/// A deadline worked out by the calendar. <see cref="Due"/> is the UTC instant it falls due: for a count of days the end
/// of <see cref="LastDay"/> (24:00 China time, Civil Code art. 203), for working hours the exact instant.
/// <see cref="AssumedOrdinaryWeek"/> says that the count ran through a year whose notice is not loaded, where an ordinary
/// Monday–Friday week was assumed: the deadline may move once that year is loaded (open deadlines keep theirs).
/// </summary>
public sealed record Deadline(DateTime Due, DateOnly LastDay, bool AssumedOrdinaryWeek)
{
    public string DueChina => ChinaTime.Minute(Due);
}

/// <summary>A span during which the clock stands still (waiting on a resident, say): [<see cref="FromUtc"/>, <see cref="ToUtc"/>).</summary>
public sealed record Paused(DateTime FromUtc, DateTime ToUtc);

/// <summary>Office hours of the district, China wall-clock times, from <c>CivicGrid:Calendar:OfficeHours</c>.</summary>
public sealed class CalendarOptions
{
    public const string Section = "CivicGrid:Calendar";

    /// <summary>Comma-separated spans "HH:mm-HH:mm", in order; the default is 08:30–12:00 and 13:30–17:30.</summary>
    public string OfficeHours { get; set; } = "08:30-12:00,13:30-17:30";

    /// <summary>The spans, checked: each ends after it starts, and each starts after the previous one ends.</summary>
    public IReadOnlyList<(TimeOnly From, TimeOnly To)> Spans()
    {
        var spans = new List<(TimeOnly, TimeOnly)>();
        foreach (var part in OfficeHours.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var ends = part.Split('-', StringSplitOptions.TrimEntries);
            if (ends.Length != 2
                || !TimeOnly.TryParseExact(ends[0], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var from)
                || !TimeOnly.TryParseExact(ends[1], "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var to)
                || to <= from || (spans.Count > 0 && from < spans[^1].Item2))
            {
                throw new InvalidOperationException($"{Section}:OfficeHours: '{OfficeHours}' must be spans HH:mm-HH:mm in order, e.g. 08:30-12:00,13:30-17:30");
            }
            spans.Add((from, to));
        }
        if (spans.Count == 0) throw new InvalidOperationException($"{Section}:OfficeHours is empty");
        return spans;
    }
}

/// <summary>
/// China's working days (法定节假日 and 调休 from the loaded notices) and the deadlines and periods counted on them.
/// One per process: it reads the days once and keeps them in memory (a few hundred rows) until <see cref="Load"/> is
/// called again after an upload. Everything is China dates; instants in and out are UTC.
///
/// The counting rules:
/// <list type="bullet">
/// <item>Working days: day 1 is the first working day after the day the count starts on (the start day is never counted,
/// whatever its time; a start on a day off counts from the next working day all the same). The deadline is the end
/// (24:00) of day n.</item>
/// <item>Working hours: only the office hours of working days count, from the start instant on.</item>
/// <item>Paused spans do not count. For working days the paused time within working days is subtracted, and a deadline
/// that then ends within a day takes the whole of that day (it ends at 24:00, never earlier than without the pause).</item>
/// <item>Periods (期间, Civil Code arts. 200–204, Civil Procedure Law art. 85): the start day is not counted; a period
/// whose last day is a day off ends on the next working day; a period of months ends on the same date of the last month,
/// or that month's last day when it has none.</item>
/// </list>
/// </summary>
public sealed class WorkCalendar
{
    private readonly IReadOnlyList<(TimeOnly From, TimeOnly To)> office;
    private volatile Snapshot data;

    public WorkCalendar(CalendarOptions options)
    {
        office = options.Spans();
        data = new Snapshot([], []);
    }

    /// <summary>A calendar of these rows, for the years of the rows (tests, benchmarks).</summary>
    public WorkCalendar(IEnumerable<CalendarRow> rows, CalendarOptions? options = null) : this(options ?? new CalendarOptions())
    {
        var list = rows.ToList();
        Load(list, list.Select(r => r.Date.Year));
    }

    /// <summary>Replaces the days in force (the newest rows of each loaded year) in one step; readers see old or new, never half.</summary>
    public void Load(IEnumerable<CalendarRow> rows, IEnumerable<int> loadedYears) => data = new Snapshot(rows, loadedYears);

    /// <summary>The years whose notice is loaded, ascending.</summary>
    public IReadOnlyList<int> LoadedYears => data.Years;

    /// <summary>The loaded row of a day (a holiday or a 调休 working day), or null for a day that follows the usual week.</summary>
    public CalendarRow? Row(DateOnly day) => data.Rows.GetValueOrDefault(day);

    public bool IsLoaded(int year) => data.YearSet.Contains(year);

    /// <summary>A weekday that is not a day off, or a weekend day that is a 调休 working day.</summary>
    public bool IsWorkingDay(DateOnly day) => data.IsWorkingDay(day);

    /// <summary>
    /// The <paramref name="workingDays"/>-th working day after the China date <paramref name="start"/> (day 1 is the first
    /// working day after it), and whether an ordinary week was assumed on the way. Two array reads within the loaded years.
    /// </summary>
    public (DateOnly LastDay, bool AssumedOrdinaryWeek) AddWorkingDays(DateOnly start, int workingDays)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workingDays);
        var snapshot = data;
        var last = snapshot.NthWorkingDayAfter(start, workingDays);
        return (last, snapshot.Assumed(workingDays == 0 ? start : start.AddDays(1), last));
    }

    /// <summary>
    /// The deadline <paramref name="workingDays"/> working days after the China day of <paramref name="startUtc"/>
    /// (day 1 is the first working day after that day).
    /// </summary>
    public Deadline AddWorkingDays(DateTime startUtc, int workingDays, IReadOnlyList<Paused>? paused = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(workingDays);
        var startDay = ChinaTime.DateOf(startUtc);
        var snapshot = data;
        var pauses = Normalise(paused);
        DateOnly last;
        if (pauses.Count == 0 || workingDays == 0)
        {
            last = snapshot.NthWorkingDayAfter(startDay, workingDays);
        }
        else
        {
            // The clock runs through whole working days from the day after the start; a working day is 24 hours of it.
            var done = Accrue(snapshot, startDay.AddDays(1), ChinaTime.StartOfDayUtc(startDay.AddDays(1)), TimeSpan.FromDays(workingDays), pauses,
                day => [(ChinaTime.StartOfDayUtc(day), ChinaTime.StartOfDayUtc(day.AddDays(1)))]);
            last = ChinaTime.DateOf(done.AddTicks(-1));
        }
        return new Deadline(ChinaTime.StartOfDayUtc(last.AddDays(1)), last, snapshot.Assumed(workingDays == 0 ? startDay : startDay.AddDays(1), last));
    }

    /// <summary>The deadline after <paramref name="hours"/> office hours of working days, counted from <paramref name="startUtc"/>.</summary>
    public Deadline AddWorkingHours(DateTime startUtc, double hours, IReadOnlyList<Paused>? paused = null)
    {
        if (hours < 0 || double.IsNaN(hours) || double.IsInfinity(hours)) throw new ArgumentOutOfRangeException(nameof(hours));
        startUtc = DateTime.SpecifyKind(startUtc, DateTimeKind.Utc);
        var snapshot = data;
        var startDay = ChinaTime.DateOf(startUtc);
        var due = Accrue(snapshot, startDay, startUtc, TimeSpan.FromHours(hours), Normalise(paused),
            day => office.Select(s => (ChinaTime.ToUtc(day.ToDateTime(s.From)), ChinaTime.ToUtc(day.ToDateTime(s.To)))));
        var last = ChinaTime.DateOf(due);
        return new Deadline(due, last, snapshot.Assumed(startDay, last));
    }

    /// <summary>
    /// The last day of a period of <paramref name="days"/> calendar days from <paramref name="start"/> (the start day not
    /// counted), moved to the next working day when it is a day off.
    /// </summary>
    public Deadline PeriodEnd(DateOnly start, int days)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(days);
        return EndOn(start, start.AddDays(days));
    }

    /// <summary>
    /// The last day of a period of <paramref name="months"/> months from <paramref name="start"/>: the same date of the last
    /// month, or its last day when it has no such date (a month from 01-31 ends 02-28 or 02-29); moved to the next working
    /// day when it is a day off.
    /// </summary>
    public Deadline PeriodEndMonths(DateOnly start, int months)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(months);
        // DateOnly.AddMonths keeps the day, or takes the month's last day when the month is shorter: the Civil Code's rule.
        return EndOn(start, start.AddMonths(months));
    }

    private Deadline EndOn(DateOnly start, DateOnly nominal)
    {
        var snapshot = data;
        var last = nominal;
        while (!snapshot.IsWorkingDay(last)) last = last.AddDays(1);
        return new Deadline(ChinaTime.StartOfDayUtc(last.AddDays(1)), last, snapshot.Assumed(start.AddDays(1) > last ? last : start.AddDays(1), last));
    }

    private static readonly List<Paused> NoPauses = [];

    private static List<Paused> Normalise(IReadOnlyList<Paused>? paused) =>
        paused is null || paused.Count == 0 ? NoPauses : paused.Where(p => p.ToUtc > p.FromUtc)
            .Select(p => new Paused(DateTime.SpecifyKind(p.FromUtc, DateTimeKind.Utc), DateTime.SpecifyKind(p.ToUtc, DateTimeKind.Utc)))
            .OrderBy(p => p.FromUtc).ToList();

    /// <summary>
    /// Runs the clock over the counted spans of each working day from <paramref name="firstDay"/> on (not before
    /// <paramref name="notBefore"/>), minus the pauses, until <paramref name="needed"/> has accrued; returns that instant.
    /// </summary>
    private static DateTime Accrue(Snapshot snapshot, DateOnly firstDay, DateTime notBefore, TimeSpan needed, List<Paused> pauses,
        Func<DateOnly, IEnumerable<(DateTime From, DateTime To)>> spansOf)
    {
        var left = needed;
        if (left <= TimeSpan.Zero) return notBefore;
        // A pause with no end would run forever; a century of searching is the guard.
        var limit = firstDay.AddYears(100);
        for (var day = firstDay; day < limit; day = day.AddDays(1))
        {
            if (!snapshot.IsWorkingDay(day)) continue;
            foreach (var (spanFrom, spanTo) in spansOf(day))
            {
                var from = spanFrom < notBefore ? notBefore : spanFrom;
                if (from >= spanTo) continue;
                foreach (var (partFrom, partTo) in Unpaused(from, spanTo, pauses))
                {
                    var length = partTo - partFrom;
                    if (length >= left) return partFrom + left;
                    left -= length;
                }
            }
        }
        throw new ArgumentException(Bilingual.Both("暂停时段没有结束，无法计算期限", "a pause never ends: the deadline cannot be worked out"), nameof(pauses));
    }

    /// <summary>The parts of [from, to) outside every pause (pauses sorted by start).</summary>
    private static IEnumerable<(DateTime, DateTime)> Unpaused(DateTime from, DateTime to, List<Paused> pauses)
    {
        var cursor = from;
        foreach (var p in pauses)
        {
            if (p.ToUtc <= cursor) continue;
            if (p.FromUtc >= to) break;
            if (p.FromUtc > cursor) yield return (cursor, p.FromUtc);
            if (p.ToUtc > cursor) cursor = p.ToUtc;
            if (cursor >= to) yield break;
        }
        if (cursor < to) yield return (cursor, to);
    }

    /// <summary>
    /// The loaded rows and an index over the loaded years, built once per load: for every day from January 1 of the first
    /// loaded year to December 31 of the last, the number of working days up to it, and the list of working days, so that
    /// adding n working days is two array reads instead of a walk.
    /// </summary>
    private sealed class Snapshot
    {
        public readonly Dictionary<DateOnly, CalendarRow> Rows;
        public readonly HashSet<int> YearSet;
        public readonly int[] Years;
        private readonly int firstDay;
        private readonly int lastDay;
        private readonly int[] countUpTo = [];
        private readonly int[] workingDays = [];
        private readonly bool contiguous;

        public Snapshot(IEnumerable<CalendarRow> rows, IEnumerable<int> years)
        {
            Rows = rows.ToDictionary(r => r.Date);
            YearSet = [.. years];
            Years = [.. YearSet.Order()];
            contiguous = Years.Length > 0 && Years[^1] - Years[0] + 1 == Years.Length;
            if (Years.Length == 0)
            {
                firstDay = 1;
                lastDay = 0;
                return;
            }
            firstDay = new DateOnly(Years[0], 1, 1).DayNumber;
            lastDay = new DateOnly(Years[^1], 12, 31).DayNumber;
            countUpTo = new int[lastDay - firstDay + 1];
            var working = new List<int>(countUpTo.Length);
            for (var i = 0; i < countUpTo.Length; i++)
            {
                if (IsWorkingDay(DateOnly.FromDayNumber(firstDay + i))) working.Add(firstDay + i);
                countUpTo[i] = working.Count;
            }
            workingDays = [.. working];
        }

        public bool IsWorkingDay(DateOnly day) =>
            Rows.TryGetValue(day, out var row) ? !row.OffDay : day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday);

        /// <summary>Whether any year from <paramref name="from"/> to <paramref name="to"/> has no loaded notice.</summary>
        public bool Assumed(DateOnly from, DateOnly to)
        {
            if (contiguous && from.DayNumber >= firstDay && to.DayNumber <= lastDay) return false;
            for (var y = from.Year; y <= to.Year; y++)
            {
                if (!YearSet.Contains(y)) return true;
            }
            return false;
        }

        public DateOnly NthWorkingDayAfter(DateOnly day, int n)
        {
            var d = day.DayNumber;
            while (n > 0)
            {
                if (d >= lastDay)
                {
                    // Past the loaded years: an ordinary week, 5 working days in every 7 days.
                    var weeks = (n - 1) / 5;
                    d += weeks * 7;
                    n -= weeks * 5;
                    while (n > 0)
                    {
                        d++;
                        if (DateOnly.FromDayNumber(d).DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday)) n--;
                    }
                    break;
                }
                if (d + 1 >= firstDay)
                {
                    var before = d >= firstDay ? countUpTo[d - firstDay] : 0;
                    var target = before + n;
                    if (target <= workingDays.Length) return DateOnly.FromDayNumber(workingDays[target - 1]);
                    n -= workingDays.Length - before;
                    d = lastDay;
                    continue;
                }
                // Before the first loaded year (rare): day by day.
                d++;
                if (IsWorkingDay(DateOnly.FromDayNumber(d))) n--;
            }
            return DateOnly.FromDayNumber(d);
        }
    }
}
