using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Engine;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Files;
using CivicGrid.Streams;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.AntiFraud.Features.Rules;

internal sealed record RuleInfo(string Id, string Category, string Type, IReadOnlyList<string> Kinds, double Weight, double CooldownMinutes,
    string Source, string? Description);

internal sealed record ScoringInfo(double HalfLifeHours, double Sms12381, double Call96110, double Visit);

internal sealed record WatchlistInfo(string Name, int Count, DateTimeOffset? LoadedAt);

/// <summary>
/// What runs now: the rules, the score levels and the watchlists. Server folders are not shown (a page never reveals
/// the server's file layout); operators find them in the configuration (CivicGrid:AntiFraud:RulesDirectory).
/// </summary>
internal sealed record RulePackView(IReadOnlyList<RuleInfo> Rules, ScoringInfo Scoring, IReadOnlyList<WatchlistInfo> Watchlists);

/// <summary>A reload: the rules now running, or the errors (file, line, field) that kept the previous rules running.</summary>
internal sealed record ReloadResult(bool Reloaded, int Rules, int Watchlists, IReadOnlyList<RuleError> Errors);

/// <summary>One bad row of an uploaded watchlist: its row number in the file, the value and why (Chinese and English).</summary>
internal sealed record WatchlistRowError(int Row, string Value, string Reason);

internal sealed record WatchlistReplaceResult(string Name, int Count, int Added, int Removed, IReadOnlyList<WatchlistRowError> Errors)
{
    public bool Replaced => Errors.Count == 0;
}

/// <summary>
/// The district anti-fraud centre's control of the running rule pack: reload the rule files after editing them (a bad
/// file is refused with file, line and field; the running rules stay), replace a watchlist from an uploaded .csv/.xlsx
/// (every row checked; one bad row changes nothing), download a list to edit it. Each change is audited. The engine sees
/// a replaced list on the next event and a reloaded pack without losing events or open windows (Streams' contract).
/// </summary>
internal sealed partial class RulePackAdmin(AntiFraudEngine engine, IDbContextFactory<AntiFraudDbContext> dbs, TimeProvider time)
    : IDisposable
{
    public const long MaxWatchlistBytes = 20 * 1024 * 1024;
    public const int MaxWatchlistValues = 1_000_000;
    public const int MaxValueLength = 128;
    private const int MaxReportedErrors = 200;
    private static readonly string[] HeaderWords = ["value", "值", "号码", "账号", "账户", "域名", "应用", "包名", "名单"];

    private readonly SemaphoreSlim gate = new(1, 1);

    public void Dispose() => gate.Dispose();

    public string RulesDirectory => engine.RulesDirectory;

    public string WatchlistsDirectory => engine.WatchlistsDirectory;

    [GeneratedRegex("^[a-z][a-z0-9_]{0,63}$")]
    private static partial Regex ListName();

    public static bool IsValidListName(string? name) => name is not null && ListName().IsMatch(name);

    public RulePackView View()
    {
        var pack = engine.Streams.Rules;
        var cooldown = engine.Streams.Options.DefaultCooldown;
        var rules = pack.Rules.Select(r => new RuleInfo(r.Id, r.Category, r.Type.ToString().ToLowerInvariant(), r.Kinds, r.Weight,
            (r.Cooldown ?? cooldown).TotalMinutes, r.Source, r.Description)).ToList();
        var s = pack.Scoring;
        var lists = engine.Watchlists.Names.Order(StringComparer.Ordinal)
            .Select(n => engine.Watchlists.Find(n)!)
            .Select(l => new WatchlistInfo(l.Name, l.Count, l.LoadedAt)).ToList();
        return new RulePackView(rules, new ScoringInfo(s.HalfLife.TotalHours, s.Sms12381, s.Call96110, s.Visit), lists);
    }

    /// <summary>Reads the watchlist folder again, then the rule folder; on a rule error nothing of the rules changes.</summary>
    public async Task<ReloadResult> ReloadAsync(Actor actor, CancellationToken ct)
    {
        await gate.WaitAsync(ct);
        try
        {
            if (!Directory.Exists(RulesDirectory))
            {
                return new ReloadResult(false, engine.Streams.Rules.Rules.Count, engine.Watchlists.Names.Count,
                    [new RuleError("CivicGrid:AntiFraud:RulesDirectory", 0, "directory", Bilingual.Both("规则目录不存在", "the rules directory does not exist"))]);
            }
            if (Directory.Exists(WatchlistsDirectory))
            {
                engine.Watchlists.LoadDirectory(WatchlistsDirectory);
            }
            var errors = engine.Streams.TryReloadRules(RulesDirectory, engine.Watchlists);
            var running = engine.Streams.Rules.Rules.Count;
            await AuditAsync(actor, "antifraud.rules.reload", "rules",
                errors.Count == 0 ? $"{running} rules, {engine.Watchlists.Names.Count} watchlists" : $"refused: {errors.Count} errors, {running} rules keep running", ct);
            return new ReloadResult(errors.Count == 0, running, engine.Watchlists.Names.Count, errors);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// Replaces a watchlist with the first column of an uploaded .csv (UTF-8 or GB18030) or .xlsx; the second column, when
    /// present, is kept as the value's source. A header row is recognised and skipped; blank rows and repeated values are
    /// skipped. Any bad row (too long, a control character) refuses the whole file.
    /// </summary>
    public async Task<WatchlistReplaceResult> ReplaceAsync(string name, Stream content, string fileName, Actor actor, CancellationToken ct)
    {
        if (!IsValidListName(name))
        {
            throw new ArgumentException(Bilingual.Both("名单名称须为小写字母开头的字母、数字或下划线（最多 64 个）",
                "a list name is lowercase letters, digits and underscores, starting with a letter (at most 64)"), nameof(name));
        }
        var rows = TabularFile.Read(content, fileName); // InvalidDataException with a bilingual message when malformed
        var errors = new List<WatchlistRowError>();
        var values = new List<(string Value, string Source)>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < rows.Count; i++)
        {
            var cells = rows[i];
            var value = cells.Length > 0 ? cells[0].Trim() : "";
            if (value.Length == 0) continue;
            if (i == 0 && HeaderWords.Any(w => value.Contains(w, StringComparison.OrdinalIgnoreCase)) && !value.Any(char.IsDigit)) continue;
            var reason = value.Length > MaxValueLength
                ? Bilingual.Both($"值过长（超过 {MaxValueLength} 个字符）", $"value longer than {MaxValueLength} characters")
                : value.Any(char.IsControl) ? Bilingual.Both("值含有控制字符", "the value contains a control character")
                : value.Contains(',') || value.Contains('"') ? Bilingual.Both("值不能含有逗号或引号", "the value may not contain a comma or a quote")
                : null;
            if (reason is not null)
            {
                if (errors.Count < MaxReportedErrors) errors.Add(new WatchlistRowError(i + 1, value.Length > 40 ? value[..40] + "…" : value, reason));
                continue;
            }
            if (!seen.Add(value)) continue;
            var source = cells.Length > 1 ? Clean(cells[1]) : "";
            values.Add((value, source));
        }
        if (values.Count > MaxWatchlistValues)
        {
            errors.Add(new WatchlistRowError(0, "", Bilingual.Both($"名单超过 {MaxWatchlistValues:N0} 条", $"more than {MaxWatchlistValues:N0} values")));
        }
        if (values.Count == 0 && errors.Count == 0)
        {
            errors.Add(new WatchlistRowError(0, "", Bilingual.Both("文件中没有任何值（名单不能通过上传清空）", "the file holds no value (a list cannot be emptied by upload)")));
        }
        if (errors.Count > 0)
        {
            return new WatchlistReplaceResult(name, engine.Watchlists.Find(name)?.Count ?? 0, 0, 0, errors);
        }

        await gate.WaitAsync(ct);
        try
        {
            var path = Path.Combine(WatchlistsDirectory, name + ".csv");
            var before = File.Exists(path) ? Read(path).Select(r => r.Value).ToHashSet(StringComparer.OrdinalIgnoreCase) : [];
            var added = values.Count(v => !before.Contains(v.Value));
            var removed = before.Count(v => !seen.Contains(v));
            Directory.CreateDirectory(WatchlistsDirectory);
            var temp = path + ".uploading";
            var backup = path + ".previous";
            await File.WriteAllTextAsync(temp, Csv(values), new UTF8Encoding(false), ct);
            // The file and the audit line change together: the new file is moved in inside the audit transaction, and the
            // previous one comes back if the commit fails.
            await using (var db = await dbs.CreateDbContextAsync(ct))
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                db.Audit(actor, time.GetUtcNow().UtcDateTime, "antifraud.watchlist.replace", $"watchlist:{name}",
                    string.Create(CultureInfo.InvariantCulture, $"{values.Count} values (+{added} −{removed}) from {Path.GetFileName(fileName)}"));
                await db.SaveChangesAsync(ct);
                var hadFile = File.Exists(path);
                if (hadFile) File.Copy(path, backup, overwrite: true);
                File.Move(temp, path, overwrite: true);
                try
                {
                    await tx.CommitAsync(CancellationToken.None);
                }
                catch
                {
                    if (hadFile) File.Move(backup, path, overwrite: true);
                    else File.Delete(path);
                    throw;
                }
                if (hadFile) File.Delete(backup);
            }
            engine.Watchlists.Set(name, values.Select(v => v.Value));
            return new WatchlistReplaceResult(name, values.Count, added, removed, []);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The list as stored (value, source), or null when there is no such file.</summary>
    public List<(string Value, string Source)>? Export(string name)
    {
        if (!IsValidListName(name)) return null;
        var path = Path.Combine(WatchlistsDirectory, name + ".csv");
        if (!File.Exists(path)) return null;
        return Read(path).ToList();
    }

    /// <summary>A list in the file format the engine reads (Watchlists.ReadCsv): a header, then value,source per line.</summary>
    public static string Csv(IEnumerable<(string Value, string Source)> rows)
    {
        var text = new StringBuilder("value,source\n");
        foreach (var (value, source) in rows) text.Append(value).Append(',').Append(source).Append('\n');
        return text.ToString();
    }

    private static IEnumerable<(string Value, string Source)> Read(string path) => Watchlists.ReadCsv(File.ReadLines(path));

    private static string Clean(string source)
    {
        var text = new string(source.Where(c => !char.IsControl(c) && c is not ',' and not '"').ToArray()).Trim();
        return text.Length > 100 ? text[..100] : text;
    }

    private async Task AuditAsync(Actor actor, string action, string target, string details, CancellationToken ct)
    {
        await using var db = await dbs.CreateDbContextAsync(ct);
        await db.SaveAuditedAsync(actor, time.GetUtcNow().UtcDateTime, action, target, details, ct);
    }
}
