namespace CivicGrid.Streams.Tests.Engine;

public class SequenceRuleTests
{
    private const string Rules = """
        rules:
          - id: call-then-transfer
            category: test
            weight: 100
            sequence:
              within: 2h
              steps:
                - name: call
                  kind: call
                  where: { duration: { gte: 600 } }
                - name: transfer
                  kind: transfer_out
                  where: { amount: { gte: 5000 } }
          - id: sms-link-then-visit
            category: test
            weight: 100
            sequence:
              within: 1h
              steps:
                - name: sms
                  kind: sms
                  where: { domain: { exists: true } }
                - name: visit
                  kind: url_visit
                  same: { domain: sms.domain }
        """;

    [Fact]
    public void Sequence_LongCallThenLargeTransfer_FiresWithEvidenceInOrder()
    {
        var t = new TestBed(Rules);
        var call = TestBed.Call(t, "+85200001111", duration: 900);
        t.Send(call, TimeSpan.FromMinutes(30));
        var transfer = TestBed.Transfer(t, 20000);
        t.Send(transfer);

        var alert = Assert.Single(t.Alerts);
        Assert.Equal([call.Id, transfer.Id], alert.Evidence.Select(e => e.Id));
        Assert.Equal(ResponseLevel.Visit, alert.Response);
        Assert.Equal(transfer.Time, alert.Time);
    }

    [Fact]
    public void Sequence_TransferAfterWithin_DoesNotFire()
    {
        var t = new TestBed(Rules);
        t.Send(TestBed.Call(t, "+85200001111", duration: 900), TimeSpan.FromHours(3));
        t.Send(TestBed.Transfer(t, 20000));

        Assert.Empty(t.Alerts);
    }

    [Fact]
    public void Sequence_TransferBeforeCall_DoesNotFire()
    {
        var t = new TestBed(Rules);
        t.Send(TestBed.Transfer(t, 20000), TimeSpan.FromMinutes(1));
        t.Send(TestBed.Call(t, "+85200001111", duration: 900));

        Assert.Empty(t.Alerts);
    }

    [Fact]
    public void Sequence_CorrelatedAttributeDiffers_DoesNotFire()
    {
        var t = new TestBed(Rules);
        t.Send(t.Event("sms", "bi:alice", ("number", "10690000"), ("direction", "in"), ("domain", "refund-tb.top")), TimeSpan.FromMinutes(5));
        t.Send(t.Event("url_visit", "bi:alice", ("domain", "taobao.com")), TimeSpan.FromMinutes(5));
        Assert.Empty(t.Matches);

        t.Send(t.Event("url_visit", "bi:alice", ("domain", "REFUND-TB.top")));
        Assert.Equal("sms-link-then-visit", Assert.Single(t.Matches).Rule.Id);
    }

    [Fact]
    public void Sequence_SecondMatchWithinCooldown_AlertsOnce()
    {
        var t = new TestBed(Rules);
        t.Send(TestBed.Call(t, "+85200001111", duration: 900), TimeSpan.FromMinutes(1));
        t.Send(TestBed.Transfer(t, 20000), TimeSpan.FromMinutes(1));
        t.Send(TestBed.Call(t, "+85200001111", duration: 900), TimeSpan.FromMinutes(1));
        t.Send(TestBed.Transfer(t, 20000));

        Assert.Equal(2, t.Matches.Count);
        Assert.Single(t.Alerts);
        Assert.Equal(1, t.Engine.Stats().Suppressed);
    }

    [Fact]
    public void Sequence_ManyOpeningEvents_CapsPartialsAndCountsDrops()
    {
        var t = new TestBed(Rules);
        for (var i = 0; i < 20; i++)
        {
            t.Send(TestBed.Call(t, "+8520000" + i, duration: 900));
        }

        Assert.Equal(20 - new EngineOptions().MaxPartialsPerRule, t.Engine.Stats().PartialsDropped);
    }
}
