using System.Globalization;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Demo;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Contracts;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Doorplates;
using Microsoft.EntityFrameworkCore;
using NetTopologySuite.Geometries;

namespace CivicGrid.Places.Features.Demo;

/// <summary>
/// The synthetic demo district, modelled on Xiaoshan: the 22 real towns/streets, 539 made-up villages/communities
/// (keeping the real names the newspaper mentions), grids that tile each village, and addresses with doorplates.
/// Everything comes from a fixed random seed, so tests and benchmarks repeat. Geometry is a lattice of rectangles
/// over Xiaoshan's bounding box: rows split evenly, so neighbours share edges exactly (no gaps, no overlaps).
/// </summary>
internal static class DemoDistrict
{
    public const string DistrictCode = "330109000000";
    public const int VillageCount = 539;
    public const string DemoTownName = "河上镇";

    // Real village/community names from the seed, by their town.
    private static readonly Dictionary<string, string> RealVillages = new()
    {
        ["南阳街道"] = "潮都社区",
        ["靖江街道"] = "光明村",
        ["城厢街道"] = "俊良社区",
        ["河上镇"] = "众联村",
        ["临浦镇"] = "通二村",
        ["进化镇"] = "华锋村",
    };

    private static readonly string[] NameFirst = "东西南北新安和永兴长丰金山湖桥塘河田园溪林青云龙凤宝华光明福瑞".Select(c => c.ToString()).ToArray();
    private static readonly string[] NameSecond = "江村浦坞桥湾塘港山岭埠家庄园里头墩圩湖坂".Select(c => c.ToString()).ToArray();
    private static readonly string[] Roads = ["人民路", "建设路", "文化路", "育才路", "通惠路", "市心路", "萧金路", "湘湖路", "浦阳路", "永兴路", "江南路", "新街路"];

    // Xiaoshan's approximate extent in WGS84.
    private const double West = 120.13, East = 120.72, South = 29.88, North = 30.40;

    public sealed record Town(string Code, string Name, string Kind);

    public sealed record Options(string Scale, int Seed = 20210201)
    {
        public bool District => Scale == "district";

        /// <summary>Addresses per grid: ~200,000 over ~3,000 grids at district scale; fewer in the one demo town.</summary>
        public int AddressesPerGrid => District ? 67 : 24;
    }

    public sealed record Result(int Towns, int Villages, int Grids, int Addresses, IReadOnlyList<SeededAddress> SeededAddresses);

    public static async Task<Result> SeedAsync(PlacesDbContext db, PersonalDataProtector protector, IReadOnlyList<Town> towns,
        Options options, DateTime now, CancellationToken ct)
    {
        var random = new Random(options.Seed);
        var district = new Region { Level = RegionLevel.District, Code = DistrictCode, Name = "萧山区", Kind = "district", Synthetic = false };
        district.SetBoundary(Rect(West, South, East, North));
        db.Regions.Add(district);
        await db.SaveChangesAsync(ct);
        district.RegionPath = RegionPaths.Root(district.Id);
        db.RegionCodes.Add(new RegionCode { RegionId = district.Id, Code = DistrictCode, ValidFrom = new DateOnly(2023, 6, 30) });

        // 22 towns in a lattice; 539 villages spread as evenly as possible (24 or 25 each).
        var townCells = Tile(West, South, East, North, towns.Count);
        var townRegions = new List<Region>();
        for (var i = 0; i < towns.Count; i++)
        {
            var t = towns[i];
            var r = new Region { ParentId = district.Id, Level = RegionLevel.Town, Code = t.Code, Name = t.Name, Kind = t.Kind };
            r.SetBoundary(townCells[i]);
            townRegions.Add(r);
        }
        db.Regions.AddRange(townRegions);
        await db.SaveChangesAsync(ct);
        foreach (var r in townRegions)
        {
            r.RegionPath = RegionPaths.Child(district.RegionPath, r.Id);
            db.RegionCodes.Add(new RegionCode { RegionId = r.Id, Code = r.Code, ValidFrom = new DateOnly(2023, 6, 30) });
        }

        var villages = new List<Region>();
        for (var i = 0; i < townRegions.Count; i++)
        {
            var town = townRegions[i];
            var count = VillageCount / towns.Count + (i < VillageCount % towns.Count ? 1 : 0);
            var cells = Tile(town.MinLon, town.MinLat, town.MaxLon, town.MaxLat, count);
            var used = new HashSet<string>();
            RealVillages.TryGetValue(town.Name, out var real);
            for (var v = 0; v < count; v++)
            {
                var community = towns[i].Kind == "street" ? v < count * 3 / 4 : v < count / 5;
                var name = v == 0 && real is not null ? real : UniqueName(random, used, community ? "社区" : "村");
                used.Add(name);
                if (real is not null && v == 0) community = name.EndsWith("社区", StringComparison.Ordinal);
                var number = community ? 1 + v : 200 + v;
                var village = new Region
                {
                    ParentId = town.Id, Level = RegionLevel.Village, Name = name, Kind = community ? "community" : "village",
                    Code = string.Concat(town.Code.AsSpan(0, 9), number.ToString("000", CultureInfo.InvariantCulture)),
                    Synthetic = name != real,
                };
                village.SetBoundary(cells[v]);
                villages.Add(village);
            }
        }
        db.Regions.AddRange(villages);
        await db.SaveChangesAsync(ct);
        var townPaths = townRegions.ToDictionary(t => t.Id, t => t.RegionPath);
        foreach (var v in villages)
        {
            v.RegionPath = RegionPaths.Child(townPaths[v.ParentId!.Value], v.Id);
        }

        // Grids: 4 to 7 per village, ~3,000 in all, each with a grid worker and a building head.
        var grids = new List<Region>();
        var workerNames = new Dictionary<Region, string>();
        foreach (var village in villages)
        {
            var count = random.Next(4, 8);
            var cells = Tile(village.MinLon, village.MinLat, village.MaxLon, village.MaxLat, count);
            for (var g = 0; g < count; g++)
            {
                var phone = "13" + random.Next(500000000, 999999999).ToString(CultureInfo.InvariantCulture);
                var grid = new Region
                {
                    ParentId = village.Id, Level = RegionLevel.Grid, Kind = "grid", Synthetic = true,
                    Name = $"{village.Name}第{g + 1}网格",
                    Code = village.Code + (g + 1).ToString("000", CultureInfo.InvariantCulture),
                    WorkerName = DemoNames.Person(random),
                    WorkerPhone = protector.Encrypt(phone),
                    WorkerPhoneIndex = protector.BlindIndex("phone", phone),
                    WorkerPhoneMasked = Mask.Phone(phone),
                };
                grid.SetBoundary(cells[g]);
                grids.Add(grid);
            }
        }
        db.Regions.AddRange(grids);
        await db.SaveChangesAsync(ct);
        var villagePaths = villages.ToDictionary(v => v.Id, v => v.RegionPath);
        foreach (var grid in grids)
        {
            grid.RegionPath = RegionPaths.Child(villagePaths[grid.ParentId!.Value], grid.Id);
            var headPhone = "15" + random.Next(500000000, 999999999).ToString(CultureInfo.InvariantCulture);
            db.BuildingHeads.Add(new BuildingHead
            {
                GridId = grid.Id, RegionPath = grid.RegionPath, Name = DemoNames.Person(random), Building = "1幢",
                Phone = protector.Encrypt(headPhone), PhoneMasked = Mask.Phone(headPhone),
            });
        }
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();

        // Addresses: every grid at district scale; only the demo town's grids otherwise.
        var demoTown = townRegions.First(t => t.Name == DemoTownName);
        var addressGrids = options.District ? grids : grids.Where(g => g.RegionPath.StartsWith(demoTown.RegionPath, StringComparison.Ordinal)).ToList();
        var seeded = await InsertAddressesAsync(db, addressGrids, options, random, now, ct);
        return new Result(townRegions.Count, villages.Count, grids.Count, seeded.Count, seeded);
    }

    private static async Task<List<SeededAddress>> InsertAddressesAsync(PlacesDbContext db, List<Region> grids, Options options,
        Random random, DateTime now, CancellationToken ct)
    {
        var seeded = new List<SeededAddress>(grids.Count * options.AddressesPerGrid);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        using var insert = new BulkInsert(connection, tx, "addresses", "Id", "GridId", "RegionPath", "Street", "Building", "Unit", "Room",
            "Lon", "Lat", "Kind", "DoorplateToken", "DoorplateIssuedAt", "Synthetic");
        long id = 0;
        foreach (var grid in grids)
        {
            var road = Roads[random.Next(Roads.Length)];
            for (var a = 0; a < options.AddressesPerGrid; a++)
            {
                id++;
                // Strictly inside the cell, so the point → grid lookup is unambiguous.
                var lon = grid.MinLon + (grid.MaxLon - grid.MinLon) * (0.02 + 0.96 * random.NextDouble());
                var lat = grid.MinLat + (grid.MaxLat - grid.MinLat) * (0.02 + 0.96 * random.NextDouble());
                var kindRoll = random.Next(100);
                var kind = kindRoll < 60 ? AddressKind.Residence : kindRoll < 85 ? AddressKind.Rental : kindRoll < 93 ? AddressKind.Shop
                    : kindRoll < 96 ? AddressKind.Office : kindRoll < 99 ? AddressKind.Factory : AddressKind.Other;
                var building = (a / 12 + 1).ToString(CultureInfo.InvariantCulture) + "幢";
                var unit = (a % 12 / 4 + 1).ToString(CultureInfo.InvariantCulture) + "单元";
                var room = ((a % 4) + 1 + 100 * (1 + a % 6)).ToString(CultureInfo.InvariantCulture) + "室";
                var token = DoorplateTokens.Deterministic(random);
                await insert.AddAsync(ct, id, grid.Id, grid.RegionPath, $"{road}{random.Next(1, 400)}号", building, unit, room,
                    lon, lat, (int)kind, token, now, true);
                seeded.Add(new SeededAddress(id, grid.Id, grid.RegionPath, kind));
            }
        }
        await tx.CommitAsync(ct);
        insert.Dispose();
        await BulkInsert.AdvanceIdentityAsync(connection, "addresses", ct);
        await db.Database.CloseConnectionAsync();
        return seeded;
    }

    private static string UniqueName(Random random, HashSet<string> used, string suffix)
    {
        while (true)
        {
            var name = NameFirst[random.Next(NameFirst.Length)] + NameSecond[random.Next(NameSecond.Length)] + suffix;
            if (!used.Contains(name)) return name;
        }
    }

    /// <summary>Splits a rectangle into <paramref name="n"/> cells: ⌈√n⌉ rows, the cells of each row splitting it evenly.</summary>
    internal static List<Polygon> Tile(double minX, double minY, double maxX, double maxY, int n)
    {
        var rows = (int)Math.Ceiling(Math.Sqrt(n));
        var cells = new List<Polygon>(n);
        var left = n;
        for (var r = 0; r < rows; r++)
        {
            var inRow = left / (rows - r) + (left % (rows - r) > 0 ? 1 : 0);
            left -= inRow;
            var y0 = Lerp(minY, maxY, r, rows);
            var y1 = Lerp(minY, maxY, r + 1, rows);
            for (var c = 0; c < inRow; c++)
            {
                cells.Add(Rect(Lerp(minX, maxX, c, inRow), y0, Lerp(minX, maxX, c + 1, inRow), y1));
            }
        }
        return cells;
    }

    // Edge coordinates are computed once per index so that neighbouring cells share bit-identical edges.
    private static double Lerp(double a, double b, int i, int n) => i == n ? b : a + (b - a) * i / n;

    internal static Polygon Rect(double x0, double y0, double x1, double y1) =>
        Geometry.DefaultFactory.WithSRID(4326).CreatePolygon([new(x0, y0), new(x1, y0), new(x1, y1), new(x0, y1), new(x0, y0)]);
}

internal static class XiaoshanTowns
{
    /// <summary>The 22 towns and streets of Xiaoshan with their statistical codes, from the embedded reference CSV.</summary>
    public static IReadOnlyList<DemoDistrict.Town> Load()
    {
        using var stream = typeof(XiaoshanTowns).Assembly.GetManifestResourceStream("xiaoshan-towns.csv")
            ?? throw new InvalidOperationException("xiaoshan-towns.csv is not embedded");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Skip(1).Select(line => line.Split(',')).Select(f => new DemoDistrict.Town(f[0], f[1], f[2])).ToList();
    }
}
