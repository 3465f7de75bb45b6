namespace CivicGrid.Streams.Tests.Engine;

public class ScoreTests
{
    private const string Rules = """
        scoring:
          half_life: 1h
          levels: { sms_12381: 40, call_96110: 70, visit: 100 }
        rules:
          - id: flagged-call
            category: test
            weight: 30
            cooldown: 1m
            match:
              kind: call
              where: { number: { prefix: ["+852", "00"] } }
          - id: big-transfer
            category: test
            weight: 45
            match:
              kind: transfer_out
              where: { amount: { gte: 5000 } }
        """;

    [Fact]
    public void Score_BelowLowestLevel_NoAlert()
    {
        var t = new TestBed(Rules);
        t.Send(TestBed.Call(t, "+85211112222"));

        Assert.Single(t.Matches);
        Assert.Empty(t.Alerts);
    }

    [Fact]
    public void Score_TwoSignalsClose_ReachesCallLevel()
    {
        var t = new TestBed(Rules);
        t.Send(TestBed.Call(t, "+85211112222"), TimeSpan.FromMinutes(5));
        t.Send(TestBed.Transfer(t, 8000));

        var alert = Assert.Single(t.Alerts);
        Assert.Equal(ResponseLevel.Call96110, alert.Response);
        Assert.InRange(alert.Score, 73, 75); // 30 decayed 5 minutes (29.0) + 45
    }

    [Fact]
    public void Score_HalfLifeLater_HasDecayedToSmsLevel()
    {
        var t = new TestBed(Rules);
        t.Send(TestBed.Call(t, "+85211112222"), TimeSpan.FromHours(1));
        t.Send(TestBed.Transfer(t, 8000));

        var alert = Assert.Single(t.Alerts);
        Assert.Equal(60, alert.Score); // 30 halved + 45
        Assert.Equal(ResponseLevel.Sms12381, alert.Response);
    }

    [Fact]
    public void Score_RepeatsAfterCooldown_Accumulate()
    {
        var t = new TestBed(Rules);
        t.Send(TestBed.Call(t, "+85211112222"), TimeSpan.FromSeconds(30));
        t.Send(TestBed.Call(t, "+85211112222"), TimeSpan.FromSeconds(40)); // within cooldown: not counted again
        t.Send(TestBed.Call(t, "+85211112222"));

        var alert = Assert.Single(t.Alerts);
        Assert.InRange(alert.Score, 59, 60);
        Assert.Equal(1, t.Engine.Stats().Suppressed);
    }

    [Fact]
    public void Scoring_Decay_HalvesEachHalfLife()
    {
        var scoring = new Scoring(TimeSpan.FromHours(6), 40, 70, 100);
        Assert.Equal(50, scoring.Decay(100, TimeSpan.FromHours(6)), 6);
        Assert.Equal(25, scoring.Decay(100, TimeSpan.FromHours(12)), 6);
        Assert.Equal(ResponseLevel.Call96110, scoring.LevelFor(70));
    }
}
