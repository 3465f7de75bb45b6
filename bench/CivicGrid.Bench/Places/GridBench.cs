using System.Diagnostics;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Grids;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using NetTopologySuite.Geometries;

namespace CivicGrid.Bench.Places;

/// <summary>
/// Point → grid lookups per second on one thread, with a <see cref="GridIndex"/> built from the seeded grids as
/// <see cref="GridLookup"/> builds it, and a brute-force check of its answers on a sample. The proposed
/// <see cref="BucketGridIndex"/> is checked and measured beside it in the same process.
/// </summary>
internal static class GridBench
{
    private const int PointCount = 1 << 20; // power of two: the loop wraps with a mask

    public static async Task RunAsync(IServiceProvider services, bool quick, List<(string, double, string)> results)
    {
        List<GridShape> grids;
        Envelope district;
        List<(double Lon, double Lat, int GridId)> addresses;
        using (var scope = services.CreateScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
            var load = Stopwatch.StartNew();
            var rows = await db.Regions.AsNoTracking()
                .Where(r => r.Level == RegionLevel.Grid && r.Boundary != null)
                .Select(r => new { r.Id, r.RegionPath, r.Boundary })
                .ToListAsync();
            grids = rows.Select(r => new GridShape(r.Id, r.RegionPath, r.Boundary!)).ToList();
            PlacesSuite.Log($"loaded {grids.Count:N0} grid polygons in {load.Elapsed.TotalMilliseconds:0} ms");
            var d = await db.Regions.AsNoTracking().SingleAsync(r => r.Level == RegionLevel.District);
            district = new Envelope(d.MinLon, d.MaxLon, d.MinLat, d.MaxLat);
            // Seeded addresses know their grid: a sample of them is an independent check of the index.
            var sample = await db.Addresses.AsNoTracking().OrderBy(a => a.Id).Where(a => a.Id % 17 == 0).Take(10_000)
                .Select(a => new { a.Lon, a.Lat, a.GridId }).ToListAsync();
            addresses = sample.Select(a => (a.Lon, a.Lat, a.GridId)).ToList();
        }

        var build = Stopwatch.StartNew();
        var index = new GridIndex(grids);
        PlacesSuite.Log($"GridIndex over {index.Count:N0} grids built in {build.Elapsed.TotalMilliseconds:0} ms; district box {district}");
        build.Restart();
        var bucketIndex = new BucketGridIndex(grids);
        PlacesSuite.Log($"BucketGridIndex (proposed replacement) over {bucketIndex.Count:N0} grids built in {build.Elapsed.TotalMilliseconds:0} ms");

        // Uniform random points inside the district's bounding box (fixed seed).
        var random = new Random(20240601);
        var lons = new double[PointCount];
        var lats = new double[PointCount];
        for (var i = 0; i < PointCount; i++)
        {
            lons[i] = district.MinX + random.NextDouble() * district.Width;
            lats[i] = district.MinY + random.NextDouble() * district.Height;
        }

        Check("GridIndex", new Current(index), grids, district, lons, lats, addresses, new Random(7));
        Check("BucketGridIndex", new Bucket(bucketIndex), grids, district, lons, lats, addresses, new Random(7));

        // Warm up (tiered JIT and dynamic PGO recompile NTS's tree walk and the locators, which also build their edge
        // indexes lazily), then three rounds each, interleaved so that load from other work on this shared machine falls
        // on both alike; each figure is the median round. --quick halves the times to stay under a minute.
        var round = TimeSpan.FromSeconds(quick ? 1 : 2);
        var warm = Stopwatch.StartNew();
        Run(new Current(index), lons, lats, round);
        Run(new Bucket(bucketIndex), lons, lats, round);
        PlacesSuite.Log($"warmed up both for {warm.Elapsed.TotalSeconds:0.0} s");
        var current = new List<(double Wall, double OnCpu)>();
        var bucket = new List<(double Wall, double OnCpu)>();
        for (var r = 1; r <= 3; r++)
        {
            current.Add(Measure($"GridIndex round {r}", new Current(index), lons, lats, round));
            bucket.Add(Measure($"BucketGridIndex round {r}", new Bucket(bucketIndex), lons, lats, round));
        }
        static double Median(IEnumerable<double> xs) => xs.Order().ElementAt(1);
        var rate = Median(current.Select(x => x.Wall));
        var proposed = Median(bucket.Select(x => x.Wall));
        PlacesSuite.Log($"GridIndex median {rate:N0}/s (rounds {string.Join(", ", current.Select(x => x.Wall.ToString("N0")))}); " +
            $"BucketGridIndex median {proposed:N0}/s (rounds {string.Join(", ", bucket.Select(x => x.Wall.ToString("N0")))})");
        results.Add(("grid_lookups_per_s", rate, "lookups/s"));
        // Per second of this thread's CPU time: the rate with a core to itself, which the wall figure is not on a busy machine.
        results.Add(("grid_lookups_per_s_oncpu", Median(current.Select(x => x.OnCpu)), "lookups/s"));
        results.Add(("grid_lookups_per_s_bucket_proposal", proposed, "lookups/s"));
        results.Add(("grid_lookups_per_s_bucket_proposal_oncpu", Median(bucket.Select(x => x.OnCpu)), "lookups/s"));
        results.Add(("grid_lookups_bucket_proposal_speedup", proposed / rate, "x"));
    }

    // Struct wrappers: the generic loops are specialised per index, so neither pays for a delegate call.
    private interface IFinder
    {
        GridShape? Find(double lon, double lat);
    }

    private readonly struct Current(GridIndex index) : IFinder
    {
        public GridShape? Find(double lon, double lat) => index.Find(lon, lat);
    }

    private readonly struct Bucket(BucketGridIndex index) : IFinder
    {
        public GridShape? Find(double lon, double lat) => index.Find(lon, lat);
    }

    private static (double Wall, double OnCpu) Measure<T>(string name, T index, double[] lons, double[] lats, TimeSpan duration) where T : IFinder
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var gen0 = GC.CollectionCount(0);
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var machine = Machine.Now();
        var cpu = ThreadClock.Nanoseconds();
        var (lookups, seconds, hits) = Run(index, lons, lats, duration);
        var onCpu = cpu >= 0 ? lookups / ((ThreadClock.Nanoseconds() - cpu) / 1e9) : double.NaN;
        var contention = Machine.Since(machine);
        var perLookup = (double)(GC.GetAllocatedBytesForCurrentThread() - allocated) / lookups;
        var rate = lookups / seconds;
        PlacesSuite.Log($"{name} lookups: {lookups:N0} in {seconds:0.00} s = {rate:N0}/s on one thread, {onCpu:N0} per CPU second ({hits:N0} found a grid; " +
            $"{perLookup:0} B allocated per lookup, {GC.CollectionCount(0) - gen0} gen0 GCs; {contention})");
        return (rate, onCpu);
    }

    private static (long Lookups, double Seconds, long Hits) Run<T>(T index, double[] lons, double[] lats, TimeSpan duration) where T : IFinder
    {
        const int Batch = 1 << 16;
        long lookups = 0, hits = 0;
        var i = 0;
        var start = Stopwatch.GetTimestamp();
        TimeSpan elapsed;
        do
        {
            for (var k = 0; k < Batch; k++)
            {
                if (index.Find(lons[i], lats[i]) is not null) hits++;
                i = (i + 1) & (PointCount - 1);
            }
            lookups += Batch;
            elapsed = Stopwatch.GetElapsedTime(start);
        }
        while (elapsed < duration);
        return (lookups, elapsed.TotalSeconds, hits);
    }

    /// <summary>
    /// Compares the index with brute force over every grid (envelope, then exact covers/contains): random points
    /// inside the box, points outside the district (must give null), the seeded addresses (their own grid) and points
    /// on grid edges (documented tie-break: lowest id among the grids whose boundary holds the point).
    /// </summary>
    private static void Check<T>(string name, T index, List<GridShape> grids, Envelope district, double[] lons, double[] lats,
        List<(double Lon, double Lat, int GridId)> addresses, Random random) where T : IFinder
    {
        var watch = Stopwatch.StartNew();
        var factory = GeometryFactory.Default;
        var envelopes = grids.Select(g => g.Boundary.EnvelopeInternal).ToArray();
        var failures = new List<string>();
        int inside = 0, outside = 0, seededAddresses = 0, edges = 0;

        // What brute force says: the grids covering the point, and those holding it in their interior.
        (List<GridShape> Covering, List<GridShape> Interior) Truth(double lon, double lat)
        {
            var point = factory.CreatePoint(new Coordinate(lon, lat));
            var covering = new List<GridShape>();
            var interior = new List<GridShape>();
            for (var g = 0; g < grids.Count; g++)
            {
                if (!envelopes[g].Covers(lon, lat) || !grids[g].Boundary.Covers(point)) continue;
                covering.Add(grids[g]);
                if (grids[g].Boundary.Contains(point)) interior.Add(grids[g]);
            }
            return (covering, interior);
        }

        void Expect(string what, double lon, double lat, GridShape? found, int? expectedId)
        {
            if (found?.GridId != expectedId && failures.Count < 20)
            {
                failures.Add($"{what} ({lon:R}, {lat:R}): index says {found?.GridId.ToString() ?? "null"}, expected {expectedId?.ToString() ?? "null"}");
            }
        }

        // 1. Random points inside the box: the one grid holding it in its interior (no overlaps allowed), or on an edge the lowest id.
        for (var i = 0; i < 10_000; i++)
        {
            var (lon, lat) = (lons[i], lats[i]);
            var (covering, interior) = Truth(lon, lat);
            if (interior.Count > 1) failures.Add($"grids {string.Join(",", interior.Select(g => g.GridId))} overlap at ({lon:R}, {lat:R})");
            var found = index.Find(lon, lat);
            if (found is not null && !found.Boundary.Covers(factory.CreatePoint(new Coordinate(lon, lat))))
            {
                failures.Add($"grid {found.GridId} does not contain ({lon:R}, {lat:R})");
            }
            Expect("inside", lon, lat, found, interior.Count > 0 ? interior[0].GridId : covering.Count > 0 ? covering.Min(g => g.GridId) : null);
            inside++;
        }

        // 2. Points outside the district's box (up to 0.3° away): nothing covers them and the index must say null.
        while (outside < 10_000)
        {
            var lon = district.MinX - 0.3 + random.NextDouble() * (district.Width + 0.6);
            var lat = district.MinY - 0.3 + random.NextDouble() * (district.Height + 0.6);
            if (district.Covers(lon, lat)) continue;
            if (Truth(lon, lat).Covering.Count > 0) failures.Add($"a grid lies outside the district box at ({lon:R}, {lat:R})");
            Expect("outside", lon, lat, index.Find(lon, lat), null);
            outside++;
        }

        // 3. Seeded addresses: the grid they were generated in.
        foreach (var (lon, lat, gridId) in addresses)
        {
            Expect("address", lon, lat, index.Find(lon, lat), gridId);
            seededAddresses++;
        }

        // 4. Points exactly on grid edges and corners: the lowest id among the grids whose boundary holds the point.
        for (var i = 0; i < 2_000; i++)
        {
            var ring = grids[random.Next(grids.Count)].Boundary.Coordinates;
            var a = ring[random.Next(ring.Length - 1)];
            var b = ring[random.Next(ring.Length - 1)];
            // A corner, or the midpoint of a side (a and b share x or y on these rectangles).
            var (lon, lat) = a.X == b.X || a.Y == b.Y ? ((a.X + b.X) / 2, (a.Y + b.Y) / 2) : (a.X, a.Y);
            var (covering, interior) = Truth(lon, lat);
            Expect("edge", lon, lat, index.Find(lon, lat),
                interior.Count > 0 ? interior[0].GridId : covering.Count > 0 ? covering.Min(g => g.GridId) : null);
            edges++;
        }

        var total = inside + outside + seededAddresses + edges;
        PlacesSuite.Log($"{name} check: {total:N0} points checked against brute force ({inside:N0} random inside, {outside:N0} outside, " +
            $"{seededAddresses:N0} seeded addresses, {edges:N0} on edges/corners) in {watch.Elapsed.TotalSeconds:0.0} s: " +
            (failures.Count == 0 ? "all correct" : $"{failures.Count} WRONG"));
        foreach (var f in failures) PlacesSuite.Log("  " + f);
        if (failures.Count > 0) throw new InvalidOperationException($"{name} gave wrong answers; its lookup figure would be meaningless");
    }
}
