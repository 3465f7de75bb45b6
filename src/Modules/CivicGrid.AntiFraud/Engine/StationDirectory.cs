using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Contracts;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.AntiFraud.Engine;

/// <summary>A police station: one per town/street (派出所), identified with the town's region.</summary>
internal sealed record Station(int RegionId, string Path, string Name);

/// <summary>
/// Maps a residence to its station (the town holding it) and knows the default station. The district has 22 towns, so
/// they are held in memory after the first use.
/// </summary>
internal sealed class StationDirectory(IServiceScopeFactory scopes, AntiFraudOptions options)
{
    private volatile Dictionary<int, Station>? stations;
    private volatile Station? fallback;

    /// <summary>The station of the town that holds <paramref name="residencePath"/>, or the default station.</summary>
    public async Task<Station> ForResidenceAsync(string? residencePath, CancellationToken ct)
    {
        if (residencePath is not null)
        {
            var ids = RegionPaths.Ids(residencePath);
            if (ids.Length >= 2)
            {
                var all = await LoadAsync(ct);
                if (all.TryGetValue(ids[1], out var town)) return town;
            }
        }
        return await DefaultAsync(ct);
    }

    public async Task<Station> DefaultAsync(CancellationToken ct)
    {
        if (fallback is { } known) return known;
        using var scope = scopes.CreateScope();
        var regions = scope.ServiceProvider.GetRequiredService<RegionDirectory>();
        var region = options.DefaultStationRegionId is { } id ? await regions.FindAsync(id, ct) : null;
        region ??= await regions.AtLevelAsync(RegionLevel.District, ct) is [var district, ..] ? district : null;
        // Before the district is seeded there is nowhere to route to; the root path keeps the alert visible to district staff.
        var station = region is null ? new Station(0, "/", "—") : new Station(region.Id, region.RegionPath, region.Name);
        if (region is not null) fallback = station;
        return station;
    }

    private async Task<Dictionary<int, Station>> LoadAsync(CancellationToken ct)
    {
        if (stations is { Count: > 0 } known) return known;
        using var scope = scopes.CreateScope();
        var towns = await scope.ServiceProvider.GetRequiredService<RegionDirectory>().AtLevelAsync(RegionLevel.Town, ct);
        return stations = towns.ToDictionary(t => t.Id, t => new Station(t.Id, t.RegionPath, t.Name));
    }
}
