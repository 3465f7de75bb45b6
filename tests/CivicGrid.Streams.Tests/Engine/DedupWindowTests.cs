namespace CivicGrid.Streams.Tests.Engine;

public class DedupWindowTests
{
    [Fact]
    public void Add_ManyIdsWithCollidingHomes_RemembersExactlyTheLastN()
    {
        const int N = 1000;
        var window = new DedupWindow(N);
        var rng = new Random(7);
        var order = new List<ulong>();
        // Small values collide a lot in the table: probe runs and backward-shift deletions get exercised.
        for (var i = 0; i < 20_000; i++)
        {
            var h = (ulong)rng.Next(0, 5000);
            var recent = order.Skip(Math.Max(0, order.Count - N)).Contains(h);
            Assert.Equal(!recent, window.Add(h));
            if (!recent)
            {
                order.Add(h);
            }
        }
        Assert.Equal(order.Skip(order.Count - N), window.Items());
    }

    [Fact]
    public void Add_HashZero_IsRememberedLikeAnyOther()
    {
        var window = new DedupWindow(4);

        Assert.True(window.Add(0UL));
        Assert.False(window.Add(0UL));
    }
}
