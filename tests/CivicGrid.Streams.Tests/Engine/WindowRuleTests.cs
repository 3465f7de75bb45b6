namespace CivicGrid.Streams.Tests.Engine;

public class WindowRuleTests
{
    private const string Rules = """
        rules:
          - id: many-small-credits
            category: test
            weight: 50
            window:
              kind: transfer_in
              where: { amount: { lte: 100 } }
              over: 1h
              aggregate: count
              at_least: 3
          - id: big-outflow
            category: test
            weight: 50
            window:
              kind: transfer_out
              over: 24h
              aggregate: sum
              of: amount
              at_least: 10000
          - id: many-payees
            category: test
            weight: 50
            window:
              kind: transfer_out
              over: 1h
              aggregate: distinct
              of: account
              at_least: 3
        """;

    private static StreamEvent Credit(TestBed t, double amount) =>
        t.Event("transfer_in", "bi:alice", ("amount", amount), ("account", "acct-x"));

    [Fact]
    public void Count_ThreeSmallCreditsWithinAnHour_Fires()
    {
        var t = new TestBed(Rules);
        t.Send(Credit(t, 20), TimeSpan.FromMinutes(20));
        t.Send(Credit(t, 5000), TimeSpan.FromMinutes(5)); // too large: not counted
        t.Send(Credit(t, 30), TimeSpan.FromMinutes(20));
        Assert.Empty(t.Matches);
        t.Send(Credit(t, 40));

        var match = Assert.Single(t.Matches);
        Assert.Equal("many-small-credits", match.Rule.Id);
        Assert.Equal([20.0, 30.0, 40.0], match.Evidence.Select(e => e.Number("amount")));
    }

    [Fact]
    public void Count_CreditsSpreadOverMoreThanTheWindow_DoesNotFire()
    {
        var t = new TestBed(Rules);
        t.Send(Credit(t, 20), TimeSpan.FromMinutes(40));
        t.Send(Credit(t, 30), TimeSpan.FromMinutes(40));
        t.Send(Credit(t, 40));

        Assert.Empty(t.Matches);
    }

    [Fact]
    public void Sum_TransfersAddingUpOverTheThreshold_FiresWithAlert()
    {
        var t = new TestBed(Rules);
        t.Send(TestBed.Transfer(t, 4000), TimeSpan.FromHours(3));
        t.Send(TestBed.Transfer(t, 4000), TimeSpan.FromHours(3));
        t.Send(TestBed.Transfer(t, 2500));

        var alert = Assert.Single(t.Alerts);
        Assert.Equal("big-outflow", alert.RuleId);
        Assert.Equal(ResponseLevel.Sms12381, alert.Response);
        Assert.Equal(3, alert.Evidence.Count);
    }

    [Fact]
    public void Distinct_SamePayeeManyTimes_DoesNotFire()
    {
        var t = new TestBed(Rules);
        for (var i = 0; i < 5; i++)
        {
            t.Send(TestBed.Transfer(t, 100, "acct-1"), TimeSpan.FromMinutes(1));
        }
        Assert.DoesNotContain(t.Matches, m => m.Rule.Id == "many-payees");

        t.Send(TestBed.Transfer(t, 100, "acct-2"), TimeSpan.FromMinutes(1));
        t.Send(TestBed.Transfer(t, 100, "acct-3"));
        Assert.Contains(t.Matches, m => m.Rule.Id == "many-payees");
    }

    [Fact]
    public void Window_OtherSubjects_AreCountedSeparately()
    {
        var t = new TestBed(Rules);
        t.Send(t.Event("transfer_in", "bi:alice", ("amount", 10), ("account", "a")));
        t.Send(t.Event("transfer_in", "bi:bob", ("amount", 10), ("account", "a")));
        t.Send(t.Event("transfer_in", "bi:carol", ("amount", 10), ("account", "a")));

        Assert.Empty(t.Matches);
    }
}
