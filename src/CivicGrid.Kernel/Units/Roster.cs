using System.Globalization;
using CivicGrid.Kernel.Time;

namespace CivicGrid.Kernel.Units;

/// <summary>An error in one row of an uploaded file: row number as Excel shows it (headers are row 1) and the column's header.</summary>
public sealed record RowError(int Row, string Column, string Message);

/// <summary>A shift as read from a roster file, before it is checked.</summary>
public sealed record ShiftRow(int Row, string UserName, string Start, string End);

/// <summary>A shift that passed the checks.</summary>
public sealed record CheckedShift(int Row, string UserId, DateTime StartUtc, DateTime EndUtc);

/// <summary>The roster rules, shared by the page, the API and the file import. Pure: the caller loads what it needs.</summary>
public static class Roster
{
    public const string UserNameColumn = "用户名";
    public const string StartColumn = "开始时间";
    public const string EndColumn = "结束时间";
    public static readonly string[] Headers = [UserNameColumn, StartColumn, EndColumn];

    /// <summary>Start and end are China time as yyyy-MM-dd HH:mm (Excel date cells arrive as text of that or a close form).</summary>
    public static DateTime? ParseChinaTime(string text)
    {
        text = text.Trim();
        string[] formats = ["yyyy-MM-dd HH:mm", "yyyy-MM-dd H:mm", "yyyy/M/d H:mm", "yyyy-MM-dd HH:mm:ss", "yyyy/M/d H:mm:ss", "M/d/yyyy h:mm:ss tt", "M/d/yyyy H:mm:ss"];
        return DateTime.TryParseExact(text, formats, CultureInfo.InvariantCulture, DateTimeStyles.None, out var china)
            ? ChinaTime.ToUtc(DateTime.SpecifyKind(china, DateTimeKind.Unspecified))
            : null;
    }

    /// <summary>
    /// Checks every row: the person exists (<paramref name="userIds"/>: user name → id), belongs to the unit
    /// (<paramref name="members"/>), the shift ends after it starts, and no two shifts of one person overlap, neither within
    /// the file nor with <paramref name="existing"/> shifts of that person.
    /// </summary>
    public static (List<CheckedShift> Shifts, List<RowError> Errors) Check(IReadOnlyList<ShiftRow> rows,
        IReadOnlyDictionary<string, string> userIds, IReadOnlySet<string> members, IReadOnlyList<UnitShift> existing)
    {
        var errors = new List<RowError>();
        var shifts = new List<CheckedShift>();
        foreach (var row in rows)
        {
            var ok = true;
            string? userId = null;
            if (string.IsNullOrWhiteSpace(row.UserName))
            {
                errors.Add(new(row.Row, UserNameColumn, Bilingual.Both("用户名必填", "user name is required")));
                ok = false;
            }
            else if (!userIds.TryGetValue(row.UserName.Trim(), out userId))
            {
                errors.Add(new(row.Row, UserNameColumn, Bilingual.Both($"查无此人：{row.UserName.Trim()}", $"unknown person: {row.UserName.Trim()}")));
                ok = false;
            }
            else if (!members.Contains(userId))
            {
                errors.Add(new(row.Row, UserNameColumn, Bilingual.Both($"{row.UserName.Trim()} 不是本单位成员", $"{row.UserName.Trim()} is not a member of this unit")));
                ok = false;
            }
            var start = ParseChinaTime(row.Start);
            var end = ParseChinaTime(row.End);
            if (start is null)
            {
                errors.Add(new(row.Row, StartColumn, Bilingual.Both("开始时间格式应为 yyyy-MM-dd HH:mm", "start must be yyyy-MM-dd HH:mm")));
                ok = false;
            }
            if (end is null)
            {
                errors.Add(new(row.Row, EndColumn, Bilingual.Both("结束时间格式应为 yyyy-MM-dd HH:mm", "end must be yyyy-MM-dd HH:mm")));
                ok = false;
            }
            else if (start is not null && end <= start)
            {
                errors.Add(new(row.Row, EndColumn, Bilingual.Both("结束时间须晚于开始时间", "end must be after start")));
                ok = false;
            }
            if (ok) shifts.Add(new CheckedShift(row.Row, userId!, start!.Value, end!.Value));
        }
        foreach (var person in shifts.GroupBy(s => s.UserId))
        {
            var mine = person.OrderBy(s => s.StartUtc).ToList();
            for (var i = 1; i < mine.Count; i++)
            {
                if (mine[i].StartUtc < mine[i - 1].EndUtc)
                {
                    errors.Add(new(mine[i].Row, StartColumn, Bilingual.Both($"与第 {mine[i - 1].Row} 行同一人的班次重叠",
                        $"overlaps the same person's shift in row {mine[i - 1].Row}")));
                }
            }
            foreach (var s in mine)
            {
                if (existing.FirstOrDefault(e => e.UserId == s.UserId && e.StartUtc < s.EndUtc && s.StartUtc < e.EndUtc) is { } clash)
                {
                    errors.Add(new(s.Row, StartColumn, Bilingual.Both($"与此人已排的班次重叠（{ChinaTime.Minute(clash.StartUtc)}–{ChinaTime.Minute(clash.EndUtc)}）",
                        $"overlaps a shift already on the roster ({ChinaTime.Minute(clash.StartUtc)}–{ChinaTime.Minute(clash.EndUtc)})")));
                }
            }
        }
        errors.Sort((a, b) => a.Row.CompareTo(b.Row));
        return (errors.Count == 0 ? shifts : [], errors);
    }
}
