using System.Globalization;

namespace CivicGrid.Kernel.Time;

/// <summary>
/// China Standard Time in one place. The platform stores UTC and shows Asia/Shanghai; dates are yyyy-MM-dd. Conversions go
/// through the time-zone database (not a fixed +8 at each use), with a fixed UTC+8 zone only where the host has no tzdata.
/// </summary>
public static class ChinaTime
{
    public static readonly TimeZoneInfo Zone = FindZone();

    public const string DateFormat = "yyyy-MM-dd";
    public const string MinuteFormat = "yyyy-MM-dd HH:mm";
    public const string SecondFormat = "yyyy-MM-dd HH:mm:ss";

    /// <summary>The China wall-clock time of a UTC instant (a <see cref="DateTime"/> of unspecified kind is taken as UTC).</summary>
    public static DateTime FromUtc(DateTime utc) =>
        TimeZoneInfo.ConvertTimeFromUtc(DateTime.SpecifyKind(utc, DateTimeKind.Utc), Zone);

    public static DateTime FromUtc(DateTimeOffset instant) => FromUtc(instant.UtcDateTime);

    /// <summary>The UTC instant of a China wall-clock time.</summary>
    public static DateTime ToUtc(DateTime china) =>
        TimeZoneInfo.ConvertTimeToUtc(DateTime.SpecifyKind(china, DateTimeKind.Unspecified), Zone);

    /// <summary>The calendar day in China of a UTC instant: 23:30 UTC is already the next day there.</summary>
    public static DateOnly DateOf(DateTime utc) => DateOnly.FromDateTime(FromUtc(utc));

    /// <summary>The UTC instant at which a China calendar day begins.</summary>
    public static DateTime StartOfDayUtc(DateOnly day) => ToUtc(day.ToDateTime(TimeOnly.MinValue));

    public static string Date(DateTime utc) => FromUtc(utc).ToString(DateFormat, CultureInfo.InvariantCulture);

    public static string Date(DateOnly day) => day.ToString(DateFormat, CultureInfo.InvariantCulture);

    public static string Minute(DateTime utc) => FromUtc(utc).ToString(MinuteFormat, CultureInfo.InvariantCulture);

    public static string Minute(DateTimeOffset instant) => Minute(instant.UtcDateTime);

    public static string Second(DateTime utc) => FromUtc(utc).ToString(SecondFormat, CultureInfo.InvariantCulture);

    /// <summary>A China time as text in a custom format (file names, short lists).</summary>
    public static string Format(DateTime utc, string format) => FromUtc(utc).ToString(format, CultureInfo.InvariantCulture);

    private static TimeZoneInfo FindZone()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai");
        }
        catch (Exception e) when (e is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            // China has kept UTC+8 without daylight saving since 1991; a host without tzdata still shows the right time.
            return TimeZoneInfo.CreateCustomTimeZone("Asia/Shanghai", TimeSpan.FromHours(8), "China Standard Time", "China Standard Time");
        }
    }
}

/// <summary>The injected clock in China time: today's date and the wall-clock time, from the platform's <see cref="TimeProvider"/>.</summary>
public sealed class ChinaClock(TimeProvider time)
{
    public DateTime UtcNow => time.GetUtcNow().UtcDateTime;

    public DateTime Now => ChinaTime.FromUtc(UtcNow);

    public DateOnly Today => ChinaTime.DateOf(UtcNow);

    public TimeProvider TimeProvider => time;
}
