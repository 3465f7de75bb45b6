namespace CivicGrid.Streams.Tests.Engine;

public class NegationRuleTests
{
    // A missed call from an unknown number, and no call back to it within 30 minutes.
    private const string Rules = """
        rules:
          - id: no-call-back
            category: test
            weight: 100
            sequence:
              within: 2h
              steps:
                - name: missed
                  kind: call
                  where: { direction: in, duration: 0 }
                - name: callback
                  kind: call
                  absent: true
                  within: 30m
                  where: { direction: out }
                  same: { number: missed.number }
          - id: contact-no-verify-transfer
            category: test
            weight: 100
            sequence:
              within: 6h
              steps:
                - name: contact
                  kind: im_contact
                - kind: call
                  absent: true
                  where: { direction: out }
                - kind: transfer_out
                  where: { amount: { gte: 5000 } }
        """;

    [Fact]
    public void Negation_NoCallBackWithinDeadline_FiresWhenTimerRuns()
    {
        var t = new TestBed(Rules);
        t.Engine.Start();
        var missed = TestBed.Call(t, "13900001111", duration: 0);
        t.Send(missed);

        t.Time.Advance(TimeSpan.FromMinutes(29));
        Assert.Empty(t.Alerts);
        t.Time.Advance(TimeSpan.FromMinutes(2)); // the engine's tick timer runs on the fake clock

        var alert = Assert.Single(t.Alerts);
        Assert.Equal("no-call-back", alert.RuleId);
        Assert.Equal(missed.Time + TimeSpan.FromMinutes(30), alert.Time);
        Assert.Equal([missed.Id], alert.Evidence.Select(e => e.Id));
    }

    [Fact]
    public void Negation_CallBackToSameNumber_DoesNotFire()
    {
        var t = new TestBed(Rules);
        t.Engine.Start();
        t.Send(TestBed.Call(t, "13900001111", duration: 0), TimeSpan.FromMinutes(10));
        t.Send(TestBed.Call(t, "13900001111", duration: 40, direction: "out"));
        t.Time.Advance(TimeSpan.FromHours(1));

        Assert.Empty(t.Alerts);
    }

    [Fact]
    public void Negation_CallBackToAnotherNumber_StillFires()
    {
        var t = new TestBed(Rules);
        t.Engine.Start();
        t.Send(TestBed.Call(t, "13900001111", duration: 0), TimeSpan.FromMinutes(10));
        t.Send(TestBed.Call(t, "13800002222", duration: 40, direction: "out"));
        t.Time.Advance(TimeSpan.FromHours(1));

        Assert.Single(t.Alerts);
    }

    [Fact]
    public void Negation_LaterEventOfSubject_DecidesWithoutTimer()
    {
        var t = new TestBed(Rules); // not started: no timers, only event time
        t.Send(TestBed.Call(t, "13900001111", duration: 0), TimeSpan.FromMinutes(45));
        t.Send(TestBed.Call(t, "13800002222", duration: 0));

        Assert.Single(t.Alerts);
    }

    [Fact]
    public void NegationInMiddle_TransferWithoutVerifyingCall_Fires()
    {
        var t = new TestBed(Rules);
        t.Send(t.Event("im_contact", "bi:alice", ("contact", "wx-boss-fake")), TimeSpan.FromMinutes(20));
        t.Send(TestBed.Transfer(t, 30000));

        Assert.Equal("contact-no-verify-transfer", Assert.Single(t.Alerts).RuleId);
    }

    [Fact]
    public void NegationInMiddle_VerifyingCallBeforeTransfer_DoesNotFire()
    {
        var t = new TestBed(Rules);
        t.Send(t.Event("im_contact", "bi:alice", ("contact", "wx-boss-fake")), TimeSpan.FromMinutes(10));
        t.Send(TestBed.Call(t, "13800002222", duration: 60, direction: "out"), TimeSpan.FromMinutes(10));
        t.Send(TestBed.Transfer(t, 30000));

        Assert.Empty(t.Alerts);
    }
}
