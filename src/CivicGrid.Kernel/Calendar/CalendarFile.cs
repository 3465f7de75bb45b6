using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Units;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Kernel.Calendar;

/// <summary>
/// One day that differs from the usual week (Mon–Fri work, Sat–Sun off): a public holiday or a weekday moved off
/// (<see cref="OffDay"/> true), or a weekend day that is a working day, 调休上班 (false). Every other day follows the week.
/// </summary>
public sealed class CalendarDay
{
    /// <summary>The China calendar date; the key, so two nodes seeding at once cannot both write a day.</summary>
    public DateOnly Date { get; set; }
    public string Name { get; set; } = "";
    public bool OffDay { get; set; }
}

/// <summary>
/// One load of a year's rows (the shipped file at first start, then each upload of a State Council notice). The newest
/// version of a year is the one in force; older ones stay as the record of what the calendar said before.
/// </summary>
public sealed class CalendarVersion
{
    public int Id { get; set; }
    public int Year { get; set; }
    /// <summary>1 for the first load of a year, then 2, 3, …; unique with the year, so two uploads of a year cannot both win.</summary>
    public int Version { get; set; }
    /// <summary>Where the rows came from: the shipped file or the uploaded file's name.</summary>
    public string Source { get; set; } = "";
    public DateTime LoadedAt { get; set; }
    public string LoadedBy { get; set; } = "";
    public int RowCount { get; set; }
    /// <summary>SHA-256 (hex) of the year's rows in canonical form (<see cref="CalendarFile.Hash"/>).</summary>
    public string Hash { get; set; } = "";
}

/// <summary>A parsed, checked row of a calendar file.</summary>
public sealed record CalendarRow(DateOnly Date, string Name, bool OffDay);

public static class CalendarModel
{
    public static void MapCalendar(this ModelBuilder model)
    {
        model.Entity<CalendarDay>(e =>
        {
            e.ToTable("calendar_days");
            e.HasKey(x => x.Date);
            e.Property(x => x.Name).HasMaxLength(32);
        });
        model.Entity<CalendarVersion>(e =>
        {
            e.ToTable("calendar_versions");
            e.Property(x => x.Source).HasMaxLength(128);
            e.Property(x => x.LoadedBy).HasMaxLength(128);
            e.Property(x => x.Hash).HasMaxLength(64);
            e.HasIndex(x => new { x.Year, x.Version }).IsUnique();
        });
    }
}

/// <summary>
/// The calendar file: CSV with the header <c>date,name,off_day</c> (as the shipped cn-holidays.csv), one row per day that
/// differs from the usual week. All rows are checked before anything is written; row numbers count the header as row 1.
/// </summary>
public static class CalendarFile
{
    public const string DateColumn = "date";
    public const string NameColumn = "name";
    public const string OffDayColumn = "off_day";
    public static readonly string[] Headers = [DateColumn, NameColumn, OffDayColumn];

    public const int MinYear = 2000;
    public const int MaxYear = 2100;

    /// <summary>Reads the rows of <paramref name="year"/> (every row must fall in it), or the row errors.</summary>
    public static (List<CalendarRow> Rows, List<RowError> Errors) Parse(string text, int year) => Parse(text, year, anyYear: false);

    /// <summary>Reads a file of several years (the shipped one); the same rules except the one-year check.</summary>
    public static (List<CalendarRow> Rows, List<RowError> Errors) ParseAllYears(string text) => Parse(text, 0, anyYear: true);

    public static (List<CalendarRow> Rows, List<RowError> Errors) Read(byte[] bytes, int year) => Parse(TabularFile.Decode(bytes), year);

    private static (List<CalendarRow> Rows, List<RowError> Errors) Parse(string text, int year, bool anyYear)
    {
        var errors = new List<RowError>();
        var table = TabularFile.ReadCsv(text);
        var rows = new List<CalendarRow>();
        if (table.Count == 0 || table.All(r => r.All(string.IsNullOrWhiteSpace)))
        {
            errors.Add(new RowError(1, "file", Bilingual.Both("文件为空", "the file is empty")));
            return (rows, errors);
        }
        var headers = table[0].Select(h => h.Trim().TrimStart('\uFEFF').ToLowerInvariant()).ToList();
        var missing = Headers.Where(h => !headers.Contains(h)).ToList();
        if (missing.Count > 0)
        {
            errors.AddRange(missing.Select(h => new RowError(1, h, Bilingual.Both($"缺少列：{h}（表头应为 date,name,off_day）", $"missing column: {h} (the header must be date,name,off_day)"))));
            return (rows, errors);
        }
        int Col(string h) => headers.IndexOf(h);
        var firstRow = new Dictionary<DateOnly, int>();
        for (var i = 1; i < table.Count; i++)
        {
            var cells = table[i];
            var number = i + 1;
            if (cells.All(string.IsNullOrWhiteSpace)) continue;
            string Cell(string h) => Col(h) < cells.Length ? cells[Col(h)].Trim() : "";
            var dateText = Cell(DateColumn);
            var name = Cell(NameColumn);
            var offText = Cell(OffDayColumn);
            var ok = true;
            if (!DateOnly.TryParseExact(dateText, ChinaTime.DateFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            {
                errors.Add(new RowError(number, DateColumn, Bilingual.Both($"日期“{dateText}”无效，应为 yyyy-MM-dd", $"date '{dateText}' is not a valid yyyy-MM-dd date")));
                ok = false;
            }
            else if (!anyYear && date.Year != year)
            {
                errors.Add(new RowError(number, DateColumn, Bilingual.Both($"日期 {dateText} 不在 {year} 年内", $"date {dateText} is not in {year}")));
                ok = false;
            }
            else if (anyYear && (date.Year < MinYear || date.Year > MaxYear))
            {
                errors.Add(new RowError(number, DateColumn, Bilingual.Both($"日期 {dateText} 超出 {MinYear}–{MaxYear} 年", $"date {dateText} is outside {MinYear}–{MaxYear}")));
                ok = false;
            }
            if (name.Length == 0 || name.Length > 32)
            {
                errors.Add(new RowError(number, NameColumn, Bilingual.Both("节日名称必填，最多 32 字", "name is required, at most 32 characters")));
                ok = false;
            }
            bool offDay = false;
            if (offText is "1" or "0") offDay = offText == "1";
            else
            {
                errors.Add(new RowError(number, OffDayColumn, Bilingual.Both($"off_day 应为 1（放假）或 0（调休上班），不是“{offText}”", $"off_day must be 1 (day off) or 0 (working day), not '{offText}'")));
                ok = false;
            }
            if (!ok) continue;
            if (!offDay && date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                errors.Add(new RowError(number, OffDayColumn, Bilingual.Both(
                    $"{dateText} 是{WeekdayZh(date)}，调休上班日（off_day=0）只能是周六或周日",
                    $"{dateText} is a {date.DayOfWeek}: a 调休 working day (off_day=0) must be a Saturday or Sunday")));
                continue;
            }
            if (firstRow.TryGetValue(date, out var first))
            {
                errors.Add(new RowError(number, DateColumn, Bilingual.Both($"日期 {dateText} 与第 {first} 行重复", $"date {dateText} is listed twice (also row {first})")));
                continue;
            }
            firstRow[date] = number;
            rows.Add(new CalendarRow(date, name, offDay));
        }
        if (errors.Count == 0 && rows.Count == 0)
            errors.Add(new RowError(1, "file", Bilingual.Both("文件为空：只有表头，没有日期行", "the file is empty: a header and no rows")));
        return (errors.Count == 0 ? rows.OrderBy(r => r.Date).ToList() : [], errors);
    }

    /// <summary>SHA-256 (hex) of the rows as "yyyy-MM-dd,name,0|1\n" in date order: the same rows give the same hash whatever the file's layout.</summary>
    public static string Hash(IEnumerable<CalendarRow> rows)
    {
        var text = new StringBuilder();
        foreach (var r in rows.OrderBy(r => r.Date))
            text.Append(ChinaTime.Date(r.Date)).Append(',').Append(r.Name).Append(',').Append(r.OffDay ? '1' : '0').Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>The rows as a calendar file (the download of a year).</summary>
    public static string Write(IEnumerable<CalendarRow> rows)
    {
        var text = new StringBuilder("date,name,off_day\n");
        foreach (var r in rows.OrderBy(r => r.Date))
            text.Append(ChinaTime.Date(r.Date)).Append(',').Append(r.Name).Append(',').Append(r.OffDay ? '1' : '0').Append('\n');
        return text.ToString();
    }

    /// <summary>The shipped file (2020–2026, from the State Council's yearly notices), embedded in the Kernel.</summary>
    public static string Shipped()
    {
        using var stream = typeof(CalendarFile).Assembly.GetManifestResourceStream("CivicGrid.Kernel.cn-holidays.csv")
            ?? throw new InvalidOperationException("The shipped calendar file is missing from the Kernel assembly.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The shipped rows; the file is checked by the same rules as an upload (a test holds it to them).</summary>
    public static List<CalendarRow> ShippedRows()
    {
        var (rows, errors) = ParseAllYears(Shipped());
        if (errors.Count > 0)
            throw new InvalidOperationException("The shipped calendar file has errors: " + string.Join("; ", errors.Select(e => $"row {e.Row} {e.Column}: {e.Message}")));
        return rows;
    }

    public static string WeekdayZh(DateOnly day) => day.DayOfWeek switch
    {
        DayOfWeek.Monday => "星期一",
        DayOfWeek.Tuesday => "星期二",
        DayOfWeek.Wednesday => "星期三",
        DayOfWeek.Thursday => "星期四",
        DayOfWeek.Friday => "星期五",
        DayOfWeek.Saturday => "星期六",
        _ => "星期日",
    };
}
