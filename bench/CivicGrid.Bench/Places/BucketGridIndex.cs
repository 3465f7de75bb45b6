using CivicGrid.Places.Features.Grids;
using NetTopologySuite.Algorithm.Locate;
using NetTopologySuite.Geometries;

namespace CivicGrid.Bench.Places;

/// <summary>
/// A candidate replacement for <see cref="GridIndex"/>, measured beside it in the same process: a uniform bucket grid
/// over the grids' extent instead of the STRtree (whose Query allocates a result list and walks the tree on every call),
/// then the same envelope test, the same IndexedPointInAreaLocator and the same tie-break (interior wins; on a shared
/// edge the lowest id). A grid is listed in every bucket its envelope touches; buckets and envelope bounds go through the
/// same monotone function, so a point inside an envelope always lands in a bucket that lists it, with no epsilon.
/// </summary>
internal sealed class BucketGridIndex
{
    private readonly Entry[][] buckets;
    private readonly Envelope extent = new();
    private readonly int columns;
    private readonly int rows;
    private readonly double cellWidth;
    private readonly double cellHeight;

    public BucketGridIndex(IEnumerable<GridShape> grids)
    {
        var entries = grids.Select(g => new Entry(g, g.Boundary.EnvelopeInternal, new IndexedPointInAreaLocator(g.Boundary))).ToList();
        Count = entries.Count;
        foreach (var e in entries) extent.ExpandToInclude(e.Envelope);
        // About four buckets per grid, square-ish cells: one or two candidates per bucket on an even tiling.
        var cells = Math.Max(1, entries.Count * 4);
        var aspect = extent.Height > 0 && extent.Width > 0 ? extent.Width / extent.Height : 1;
        columns = Math.Clamp((int)Math.Round(Math.Sqrt(cells * aspect)), 1, 2048);
        rows = Math.Clamp((int)Math.Round((double)cells / columns), 1, 2048);
        cellWidth = extent.Width > 0 ? extent.Width / columns : 1;
        cellHeight = extent.Height > 0 ? extent.Height / rows : 1;
        var lists = new List<Entry>?[columns * rows];
        // Lowest id first, so that the first boundary hit in a bucket is already the tie-break winner.
        foreach (var e in entries.OrderBy(e => e.Shape.GridId))
        {
            for (var y = Row(e.Envelope.MinY); y <= Row(e.Envelope.MaxY); y++)
            {
                for (var x = Column(e.Envelope.MinX); x <= Column(e.Envelope.MaxX); x++)
                {
                    (lists[y * columns + x] ??= []).Add(e);
                }
            }
        }
        buckets = lists.Select(l => l?.ToArray() ?? []).ToArray();
    }

    public int Count { get; }

    public GridShape? Find(double lon, double lat)
    {
        if (!extent.Covers(lon, lat)) return null;
        var bucket = buckets[Row(lat) * columns + Column(lon)];
        Coordinate? coordinate = null;
        GridShape? best = null;
        foreach (var e in bucket)
        {
            if (!e.Envelope.Covers(lon, lat)) continue;
            var location = e.Locator.Locate(coordinate ??= new Coordinate(lon, lat));
            if (location == Location.Interior) return e.Shape;
            if (location == Location.Boundary && best is null) best = e.Shape; // entries are in id order
        }
        return best;
    }

    private int Column(double x) => Math.Clamp((int)((x - extent.MinX) / cellWidth), 0, columns - 1);

    private int Row(double y) => Math.Clamp((int)((y - extent.MinY) / cellHeight), 0, rows - 1);

    private sealed record Entry(GridShape Shape, Envelope Envelope, IndexedPointInAreaLocator Locator);
}
