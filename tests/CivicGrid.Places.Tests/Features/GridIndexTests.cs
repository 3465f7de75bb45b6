using CivicGrid.Places.Features.Demo;
using CivicGrid.Places.Features.Grids;
using NetTopologySuite.Geometries;

namespace CivicGrid.Places.Tests.Features;

public class GridIndexTests
{
    private static GridIndex TwoByTwo()
    {
        var cells = DemoDistrict.Tile(0, 0, 2, 2, 4);
        return new GridIndex(cells.Select((c, i) => new GridShape(i + 1, $"/1/{i + 1}/", c)));
    }

    [Fact]
    public void Find_PointInsideCell_ReturnsThatGrid()
    {
        var index = TwoByTwo();
        Assert.Equal(1, index.Find(0.5, 0.5)!.GridId);
        Assert.Equal(2, index.Find(1.5, 0.5)!.GridId);
        Assert.Equal(3, index.Find(0.5, 1.5)!.GridId);
        Assert.Equal(4, index.Find(1.5, 1.5)!.GridId);
    }

    [Fact]
    public void Find_PointOutsideEveryGrid_ReturnsNull()
    {
        Assert.Null(TwoByTwo().Find(5, 5));
        Assert.Null(TwoByTwo().Find(-0.001, 1));
    }

    [Fact]
    public void Find_PointOnSharedEdge_ReturnsLowestIdDeterministically()
    {
        Assert.Equal(1, TwoByTwo().Find(1, 0.5)!.GridId);
        Assert.Equal(1, TwoByTwo().Find(1, 1)!.GridId);
    }

    [Fact]
    public void Find_ConcavePolygon_RespectsTheNotch()
    {
        // An L shape: its bounding box contains (1.5, 1.5) but the polygon does not.
        var l = Geometry.DefaultFactory.CreatePolygon([new(0, 0), new(2, 0), new(2, 1), new(1, 1), new(1, 2), new(0, 2), new(0, 0)]);
        var index = new GridIndex([new GridShape(7, "/1/7/", l)]);
        Assert.Equal(7, index.Find(0.5, 1.5)!.GridId);
        Assert.Null(index.Find(1.5, 1.5));
    }
}

public class DemoTilingTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(22)]
    [InlineData(25)]
    public void Tile_AnyCount_CoversTheRectangleWithoutGapsOrOverlaps(int n)
    {
        var cells = DemoDistrict.Tile(120.1, 30.0, 120.3, 30.1, n);
        Assert.Equal(n, cells.Count);
        var area = 0.2 * 0.1;
        Assert.Equal(area, cells.Sum(c => c.Area), 12);
        Assert.Equal(area, new GeometryCollection(cells.ToArray()).Union().Area, 12);
        for (var i = 0; i < cells.Count; i++)
        {
            for (var j = i + 1; j < cells.Count; j++)
            {
                Assert.True(cells[i].Intersection(cells[j]).Area < 1e-15, $"cells {i} and {j} overlap");
            }
        }
    }
}
