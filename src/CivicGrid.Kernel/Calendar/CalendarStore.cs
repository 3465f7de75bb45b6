using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Units;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CivicGrid.Kernel.Calendar;

/// <summary>A loaded year with the version in force.</summary>
public sealed record CalendarYear(int Year, CalendarVersion Current, IReadOnlyList<CalendarVersion> Versions);

/// <summary>The outcome of loading a year: the new version, or row errors (nothing written), or a conflict.</summary>
public sealed record CalendarLoad(CalendarVersion? Version, IReadOnlyList<RowError> Errors, bool AlreadyLoaded = false, bool LostRace = false);

/// <summary>The calendar's rows in the Kernel's database: seeding, the years and their versions, the upload of a year.</summary>
public static class CalendarStore
{
    public const string ShippedSource = "内置 cn-holidays.csv（国务院办公厅通知）";

    /// <summary>
    /// Loads each year of the shipped file that the database does not have yet (all of them on a new database), with one
    /// version per year and one audit line, in one save. Safe on several nodes at once: the day is the key, so a second
    /// seeder's insert fails and it leaves the first one's rows as they are. Returns the number of years it loaded.
    /// </summary>
    public static async Task<int> SeedAsync(KernelDbContext db, TimeProvider time, CancellationToken ct)
    {
        var shipped = CalendarFile.ShippedRows();
        var known = (await db.CalendarVersions.AsNoTracking().Select(v => v.Year).Distinct().ToListAsync(ct)).ToHashSet();
        var years = shipped.GroupBy(r => r.Date.Year).Where(g => !known.Contains(g.Key)).ToList();
        if (years.Count == 0) return 0;
        var now = time.GetUtcNow().UtcDateTime;
        foreach (var year in years)
        {
            // A year with rows but no version cannot come from this code; if it is there, the days stay and get a version.
            var from = new DateOnly(year.Key, 1, 1);
            var to = new DateOnly(year.Key, 12, 31);
            var present = (await db.CalendarDays.AsNoTracking().Where(d => d.Date >= from && d.Date <= to).Select(d => d.Date).ToListAsync(ct)).ToHashSet();
            db.CalendarDays.AddRange(year.Where(r => !present.Contains(r.Date)).Select(r => new CalendarDay { Date = r.Date, Name = r.Name, OffDay = r.OffDay }));
            db.CalendarVersions.Add(new CalendarVersion
            {
                Year = year.Key, Version = 1, Source = ShippedSource, LoadedAt = now, LoadedBy = Actor.System.UserName,
                RowCount = year.Count(), Hash = CalendarFile.Hash(year),
            });
        }
        db.Audit(Actor.System, now, "calendar.seed", "calendar", $"years={string.Join(',', years.Select(y => y.Key))}");
        try
        {
            await db.SaveChangesAsync(ct);
            return years.Count;
        }
        catch (DbUpdateException) when (!ct.IsCancellationRequested)
        {
            // Another node seeded the same years first (the unique day or year+version refused ours): nothing to do.
            db.ChangeTracker.Clear();
            var now2 = (await db.CalendarVersions.AsNoTracking().Select(v => v.Year).Distinct().ToListAsync(ct)).ToHashSet();
            if (years.Any(y => !now2.Contains(y.Key))) throw;
            return 0;
        }
    }

    /// <summary>Reads the days in force and the loaded years into the calendar.</summary>
    public static async Task RefreshAsync(this WorkCalendar calendar, KernelDbContext db, CancellationToken ct)
    {
        var years = await db.CalendarVersions.AsNoTracking().Select(v => v.Year).Distinct().ToListAsync(ct);
        var rows = await db.CalendarDays.AsNoTracking().Select(d => new CalendarRow(d.Date, d.Name, d.OffDay)).ToListAsync(ct);
        calendar.Load(rows, years);
    }

    /// <summary>Every loaded year with its versions, newest version first.</summary>
    public static async Task<List<CalendarYear>> YearsAsync(KernelDbContext db, CancellationToken ct)
    {
        var versions = await db.CalendarVersions.AsNoTracking().ToListAsync(ct);
        return versions.GroupBy(v => v.Year).OrderBy(g => g.Key)
            .Select(g =>
            {
                var list = g.OrderByDescending(v => v.Version).ToList();
                return new CalendarYear(g.Key, list[0], list);
            }).ToList();
    }

    public static async Task<List<CalendarRow>> DaysAsync(KernelDbContext db, int year, CancellationToken ct)
    {
        var from = new DateOnly(year, 1, 1);
        var to = new DateOnly(year, 12, 31);
        return await db.CalendarDays.AsNoTracking().Where(d => d.Date >= from && d.Date <= to).OrderBy(d => d.Date)
            .Select(d => new CalendarRow(d.Date, d.Name, d.OffDay)).ToListAsync(ct);
    }

    /// <summary>
    /// Loads a calendar file for <paramref name="year"/>: every row is checked first; then the year's rows are replaced, a
    /// new version recorded and the audit line added, in one save (all or nothing). A year already loaded is replaced only
    /// when <paramref name="replace"/> says so. Deadlines already given are not touched: modules store the deadline they got.
    /// </summary>
    public static async Task<CalendarLoad> LoadYearAsync(KernelDbContext db, int year, byte[] file, string source, bool replace, Actor actor,
        TimeProvider time, CancellationToken ct)
    {
        if (year < CalendarFile.MinYear || year > CalendarFile.MaxYear)
            return new CalendarLoad(null, [new RowError(1, "year", Bilingual.Both($"年份应在 {CalendarFile.MinYear}–{CalendarFile.MaxYear} 之间", $"year must be between {CalendarFile.MinYear} and {CalendarFile.MaxYear}"))]);
        var (rows, errors) = CalendarFile.Read(file, year);
        if (errors.Count > 0) return new CalendarLoad(null, errors);
        var previous = await db.CalendarVersions.Where(v => v.Year == year).MaxAsync(v => (int?)v.Version, ct) ?? 0;
        if (previous > 0 && !replace) return new CalendarLoad(null, [], AlreadyLoaded: true);
        var from = new DateOnly(year, 1, 1);
        var to = new DateOnly(year, 12, 31);
        // Rows of the same date are updated in place, the others removed or added: one save, no delete-then-insert of a key.
        var existing = await db.CalendarDays.Where(d => d.Date >= from && d.Date <= to).ToDictionaryAsync(d => d.Date, ct);
        foreach (var row in rows)
        {
            if (existing.Remove(row.Date, out var day))
            {
                day.Name = row.Name;
                day.OffDay = row.OffDay;
            }
            else
            {
                db.CalendarDays.Add(new CalendarDay { Date = row.Date, Name = row.Name, OffDay = row.OffDay });
            }
        }
        db.CalendarDays.RemoveRange(existing.Values);
        var now = time.GetUtcNow().UtcDateTime;
        var version = new CalendarVersion
        {
            Year = year, Version = previous + 1, Source = source.Length > 128 ? source[..128] : source, LoadedAt = now, LoadedBy = actor.UserName,
            RowCount = rows.Count, Hash = CalendarFile.Hash(rows),
        };
        db.CalendarVersions.Add(version);
        db.Audit(actor, now, previous > 0 ? "calendar.replace" : "calendar.load", $"calendar:{year}",
            $"version={version.Version} rows={rows.Count} off={rows.Count(r => r.OffDay)} work={rows.Count(r => !r.OffDay)} hash={version.Hash[..12]}");
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException) when (!ct.IsCancellationRequested)
        {
            // Another upload of the same year won the version number; this one wrote nothing.
            db.ChangeTracker.Clear();
            return new CalendarLoad(null, [], LostRace: true);
        }
        return new CalendarLoad(version, []);
    }

    /// <summary>The warning a district admin sees: from November 1 (China date) while next year is missing, and whenever this year is.</summary>
    public static string? MissingYearWarning(DateOnly today, IReadOnlyCollection<int> loadedYears)
    {
        if (!loadedYears.Contains(today.Year))
            return Bilingual.Pick($"今年（{today.Year} 年）的节假日安排尚未导入，期限按普通周计算", $"This year's ({today.Year}) holiday notice is not loaded; deadlines assume an ordinary week");
        if (today.Month >= 11 && !loadedYears.Contains(today.Year + 1))
            return Bilingual.Pick($"明年的节假日安排尚未导入（{today.Year + 1} 年），国务院办公厅通知发布后请及时导入", $"Next year's holiday notice ({today.Year + 1}) is not loaded yet; load it once the State Council publishes it");
        return null;
    }
}

/// <summary>
/// Keeps this node's calendar in step with the database: another node may have loaded a year. A per-node cache refresh,
/// so a loop of its own (not a cluster job): every few minutes it compares the newest version id and reloads when it moved.
/// </summary>
internal sealed class CalendarRefresher(IServiceScopeFactory scopes, WorkCalendar calendar, TimeProvider time, ILogger<CalendarRefresher> log) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);
    private int lastSeen = -1;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Interval, time, stoppingToken);
                using var scope = scopes.CreateScope();
                var db = scope.ServiceProvider.GetRequiredService<KernelDbContext>();
                var newest = await db.CalendarVersions.MaxAsync(v => (int?)v.Id, stoppingToken) ?? 0;
                if (newest != lastSeen)
                {
                    await calendar.RefreshAsync(db, stoppingToken);
                    lastSeen = newest;
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning(e, "Calendar refresh failed; the days in memory stay in force");
            }
        }
    }
}
