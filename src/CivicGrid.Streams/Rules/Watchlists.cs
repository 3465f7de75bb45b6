using System.Collections.Concurrent;
using System.Collections.Frozen;

namespace CivicGrid.Streams;

/// <summary>
/// A named set of flagged values (numbers, accounts, app packages, domains). Compiled rules hold the
/// list object, not its contents, so replacing the contents takes effect on the next event without
/// recompiling anything. Comparison ignores case and surrounding spaces.
/// </summary>
public sealed class Watchlist
{
    private volatile FrozenSet<string> _values = FrozenSet<string>.Empty;

    internal Watchlist(string name) => Name = name;

    public string Name { get; }
    public int Count => _values.Count;
    public DateTimeOffset? LoadedAt { get; private set; }

    public bool Contains(string? value) => value is not null && _values.Contains(value);

    public void Replace(IEnumerable<string> values, DateTimeOffset loadedAt)
    {
        _values = values
            .Select(v => v.Trim())
            .Where(v => v.Length > 0)
            .ToFrozenSet(StringComparer.OrdinalIgnoreCase);
        LoadedAt = loadedAt;
    }
}

/// <summary>
/// The watchlists rules may refer to (`in_list: flagged_numbers`). Loaded from CSV files, one list per
/// file named after the file (flagged_numbers.csv), first column = value, optional header line
/// starting with "value", lines starting with '#' ignored. Reload at run time with <see cref="LoadDirectory"/>.
/// </summary>
public sealed class Watchlists
{
    private readonly ConcurrentDictionary<string, Watchlist> _lists = new(StringComparer.OrdinalIgnoreCase);
    private readonly TimeProvider _time;

    public Watchlists(TimeProvider? time = null) => _time = time ?? TimeProvider.System;

    public IReadOnlyCollection<string> Names => _lists.Keys.ToArray();

    public Watchlist? Find(string name) => _lists.TryGetValue(name, out var list) ? list : null;

    /// <summary>Gets the list, creating it empty if needed (a rule may be loaded before its list).</summary>
    public Watchlist Get(string name) => _lists.GetOrAdd(name, n => new Watchlist(n));

    public void Set(string name, IEnumerable<string> values) => Get(name).Replace(values, _time.GetUtcNow());

    /// <summary>Reads one CSV file into the list named after it. Returns the number of values.</summary>
    public int LoadCsv(string path)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        var values = ReadCsvValues(File.ReadLines(path)).ToList();
        Set(name, values);
        return values.Count;
    }

    /// <summary>(Re)loads every *.csv file of a directory. Lists not in the directory are left as they are.</summary>
    public void LoadDirectory(string directory)
    {
        foreach (var file in Directory.EnumerateFiles(directory, "*.csv").Order(StringComparer.Ordinal))
        {
            LoadCsv(file);
        }
    }

    internal static IEnumerable<string> ReadCsvValues(IEnumerable<string> lines) => ReadCsv(lines).Select(r => r.Value);

    /// <summary>
    /// The rows of a watchlist file as the engine reads them: the value (first column) and the rest of the line (its source,
    /// as written by whoever keeps the list). Comments, blank lines and a first line whose first column is "value" (a header) are skipped.
    /// </summary>
    public static IEnumerable<(string Value, string Source)> ReadCsv(IEnumerable<string> lines)
    {
        var first = true;
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }
            var comma = line.IndexOf(',', StringComparison.Ordinal);
            var value = (comma < 0 ? line : line[..comma]).Trim().Trim('"');
            if (first && value.Equals("value", StringComparison.OrdinalIgnoreCase))
            {
                first = false;
                continue;
            }
            first = false;
            if (value.Length > 0)
            {
                yield return (value, comma < 0 ? "" : line[(comma + 1)..].Trim());
            }
        }
    }
}
