using CivicGrid.Places.Features.Grids;

namespace CivicGrid.Places.Contracts;

/// <summary>The grid a point lies in.</summary>
/// <param name="RegionPath">The grid's region path.</param>
public sealed record GridMatch(int GridId, string RegionPath);

/// <summary>
/// Point → grid for other modules (a report's location, a visit's GPS fix): the in-memory index of the grid polygons,
/// built once and shared, so a lookup costs microseconds and no database round trip. A singleton.
/// </summary>
public sealed class GridLocator
{
    private readonly GridLookup lookup;

    // Made by the module's registration: its dependencies are the module's own internals.
    internal GridLocator(GridLookup lookup)
    {
        this.lookup = lookup;
    }

    /// <summary>The grid containing (<paramref name="lon"/>, <paramref name="lat"/>) in WGS84, or null when it lies outside every grid.</summary>
    public async Task<GridMatch?> FindAsync(double lon, double lat, CancellationToken ct)
    {
        var shape = (await lookup.GetAsync(ct)).Find(lon, lat);
        return shape is null ? null : new GridMatch(shape.GridId, shape.RegionPath);
    }

    /// <summary>Drops the index after grids were changed outside Places' own endpoints (a bulk seed); the next lookup rebuilds it.</summary>
    public void Invalidate() => lookup.Invalidate();
}
