namespace CivicGrid.Streams.Tests.Engine;

public class BadInputTests
{
    private const string Rules = "rules:\n  - { id: any-call, category: t, weight: 100, cooldown: 1s, match: { kind: call } }\n";

    [Fact]
    public void Process_SameEventIdTwice_ProcessedOnce()
    {
        var t = new TestBed(Rules);
        var call = TestBed.Call(t, "13900001111");

        Assert.Equal(EventStatus.Accepted, t.Send(call).Status);
        t.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(EventStatus.Duplicate, t.Send(call).Status);

        Assert.Single(t.Matches);
        Assert.Equal(1, t.Engine.Stats().Duplicates);
    }

    [Theory]
    [InlineData("teleport", "number", "1", RejectionCodes.UnknownKind)]
    [InlineData("call", "duration", "12", RejectionCodes.MissingField)]
    [InlineData("transfer_out", "amount", "1e12", RejectionCodes.AbsurdValue)]
    public void Process_BadEvent_RejectedWithReasonAndCounted(string kind, string attr, string value, string code)
    {
        var t = new TestBed(Rules);
        var e = StreamEvent.Create("x1", "bi:alice", kind, t.Time.GetUtcNow(), (attr, value), ("account", "a"), ("direction", "in"));

        var outcome = t.Send(e);

        Assert.Equal(EventStatus.Rejected, outcome.Status);
        Assert.Equal(code, outcome.Rejection!.Code);
        Assert.Equal(1, t.Engine.Stats().Rejected[code]);
    }

    [Fact]
    public void Process_EventFromNextYear_RejectedAsBadTime()
    {
        var t = new TestBed(Rules);
        var e = StreamEvent.Create("x1", "bi:alice", "call", t.Time.GetUtcNow().AddYears(1), ("number", "1"), ("direction", "in"));

        Assert.Equal(RejectionCodes.BadTime, t.Send(e).Rejection!.Code);
    }

    [Fact]
    public void Process_PlainPhoneNumberAsSubject_Rejected()
    {
        var t = new TestBed(Rules);
        var e = StreamEvent.Create("x1", "13812345678", "call", t.Time.GetUtcNow(), ("number", "1"), ("direction", "in"));

        Assert.Equal(RejectionCodes.PlainIdentity, t.Send(e).Rejection!.Code);
    }

    [Fact]
    public void Process_AfterRejections_StreamGoesOn()
    {
        var t = new TestBed(Rules);
        t.Send(StreamEvent.Create("", "bi:alice", "call", t.Time.GetUtcNow()));
        t.Send(StreamEvent.Create("x2", "bi:alice", "call", t.Time.GetUtcNow(), ("number", "1"), ("direction", "in")));

        Assert.Single(t.Alerts);
    }
}

public class SystemClockTests
{
    [Fact]
    public void Process_SystemClock_AcceptsNowAndRejectsTheFarFuture()
    {
        var engine = new StreamEngine(RulePack.Empty, new EngineOptions { Shards = 1 });
        StreamEvent Call(string id, DateTimeOffset time) => StreamEvent.Create(id, "bi:clock", "call", time, ("number", "1"), ("direction", "in"));

        for (var i = 0; i < 1000; i++)
        {
            Assert.Equal(EventStatus.Accepted, engine.Process(Call($"now-{i}", DateTimeOffset.UtcNow)).Status);
        }
        var future = engine.Process(Call("future", DateTimeOffset.UtcNow.AddMinutes(10)));
        Assert.Equal(EventStatus.Rejected, future.Status);
        Assert.Equal(RejectionCodes.BadTime, future.Rejection!.Code);
    }
}
