using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;
using NetTopologySuite.Index.Strtree;

namespace CivicGrid.Places.Features.Grids;

/// <summary>One grid polygon as the lookup sees it.</summary>
internal sealed record GridShape(int GridId, string RegionPath, Geometry Boundary);

/// <summary>
/// Point → grid lookup: an STRtree over the grids' envelopes narrows to a few candidates, then an indexed
/// point-in-area locator per polygon decides. Immutable once built; <see cref="GridLookup"/> swaps in a new one
/// when grids change, so readers never lock.
/// </summary>
internal sealed class GridIndex
{
    private readonly STRtree<Entry> tree = new();

    public GridIndex(IEnumerable<GridShape> grids)
    {
        foreach (var g in grids)
        {
            tree.Insert(g.Boundary.EnvelopeInternal, new Entry(g, new IndexedPointInAreaLocator(g.Boundary)));
            Count++;
        }
        tree.Build();
    }

    public int Count { get; }

    /// <summary>The grid containing the point (lon, lat), or null when it lies outside every grid. Points on a shared edge go to one grid deterministically (lowest id).</summary>
    public GridShape? Find(double lon, double lat)
    {
        var coordinate = new Coordinate(lon, lat);
        var candidates = tree.Query(new Envelope(coordinate));
        GridShape? best = null;
        for (var i = 0; i < candidates.Count; i++)
        {
            var c = candidates[i];
            var location = c.Locator.Locate(coordinate);
            if (location == Location.Interior)
            {
                return c.Shape;
            }
            if (location == Location.Boundary && (best is null || c.Shape.GridId < best.GridId))
            {
                best = c.Shape;
            }
        }
        return best;
    }

    private sealed record Entry(GridShape Shape, IndexedPointInAreaLocator Locator);
}
