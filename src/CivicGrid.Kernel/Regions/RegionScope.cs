namespace CivicGrid.Kernel.Regions;

/// <summary>Levels of the region tree: district → town/street → village/community → grid.</summary>
public enum RegionLevel
{
    District = 1,
    Town = 2,
    Village = 3,
    Grid = 4,
}

/// <summary>
/// Anything that lives somewhere in the region tree. <see cref="RegionPath"/> is the materialised path of ids
/// ("/1/5/130/2201/"), so a subtree is a string-prefix range that both SQLite and PostgreSQL answer from an index.
/// Ids are used rather than statistical codes because codes change over time.
/// </summary>
public interface IRegionScoped
{
    string RegionPath { get; }
}

/// <summary>The part of the region tree one staff account may see and change.</summary>
public sealed record RegionScope(int RegionId, string Path, RegionLevel Level)
{
    /// <summary>True when <paramref name="regionPath"/> is this scope's region or lies below it.</summary>
    public bool Contains(string? regionPath) =>
        regionPath is not null && regionPath.StartsWith(Path, StringComparison.Ordinal);

    /// <summary>Upper bound of the prefix range: '/' + 1 is '0', so every path under <see cref="Path"/> sorts below it.</summary>
    public string PathUpperBound => RegionPaths.UpperBound(Path);
}

public static class RegionPaths
{
    public static string Child(string parentPath, int id) => FormattableString.Invariant($"{parentPath}{id}/");

    public static string Root(int id) => FormattableString.Invariant($"/{id}/");

    public static string UpperBound(string path) => string.Concat(path.AsSpan(0, path.Length - 1), "0");

    /// <summary>The ids along a path, root first.</summary>
    public static int[] Ids(string path) =>
        path.Split('/', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
}

public static class RegionScopeQueries
{
    /// <summary>Restricts a query to the scope's subtree with an index-friendly range instead of LIKE.</summary>
    public static IQueryable<T> InScope<T>(this IQueryable<T> query, RegionScope scope) where T : IRegionScoped
    {
        var lower = scope.Path;
        var upper = scope.PathUpperBound;
        return query.Where(x => string.Compare(x.RegionPath, lower) >= 0 && string.Compare(x.RegionPath, upper) < 0);
    }
}
