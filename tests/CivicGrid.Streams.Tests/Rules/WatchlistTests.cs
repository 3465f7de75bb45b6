namespace CivicGrid.Streams.Tests.Rules;

public sealed class WatchlistTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cg-lists-").FullName;

    private const string Rules = """
        rules:
          - id: flagged-number
            category: test
            weight: 100
            cooldown: 1s
            match:
              kind: call
              where: { number: { in_list: flagged_numbers } }
        """;

    [Fact]
    public void Reload_NumberAddedToCsv_MatchesFromNextEvent()
    {
        var path = Path.Combine(_dir, "flagged_numbers.csv");
        File.WriteAllText(path, "value,source\n17012345678,report 2025-001\n");
        var t = new TestBed(Rules, lists => lists.LoadDirectory(_dir));

        t.Send(TestBed.Call(t, "17099990000"), TimeSpan.FromSeconds(5));
        Assert.Empty(t.Alerts);

        File.WriteAllText(path, "value,source\n17012345678,report 2025-001\n17099990000,report 2025-002\n");
        t.Lists.LoadDirectory(_dir);
        t.Send(TestBed.Call(t, "17099990000"));

        Assert.Single(t.Alerts);
    }

    [Fact]
    public void Reload_NumberRemoved_NoLongerMatches()
    {
        var t = new TestBed(Rules, lists => lists.Set("flagged_numbers", ["17012345678"]));
        t.Send(TestBed.Call(t, "17012345678"), TimeSpan.FromSeconds(5));
        t.Lists.Set("flagged_numbers", []);
        t.Send(TestBed.Call(t, "17012345678"));

        Assert.Single(t.Alerts);
    }

    [Fact]
    public void ReadCsvValues_HeaderCommentsAndQuotes_ReadsValuesOnly()
    {
        var values = Watchlists.ReadCsvValues(["value,note", "# comment", "\"com.fake.app\",x", "", "  Example.TOP "]);

        Assert.Equal(["com.fake.app", "Example.TOP"], values);
    }

    [Fact]
    public void Contains_DifferentCase_Matches()
    {
        var lists = new Watchlists();
        lists.Set("fraud_domains", ["Bad-Shop.top"]);

        Assert.True(lists.Get("fraud_domains").Contains("bad-shop.TOP"));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
