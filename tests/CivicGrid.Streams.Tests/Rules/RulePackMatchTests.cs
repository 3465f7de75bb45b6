namespace CivicGrid.Streams.Tests.Rules;

/// <summary>
/// <see cref="RulePack.Match"/>: the stateless evaluation of a pack's single-event rules reports exactly
/// what the engine fires (OnMatch) for new, valid events, in pack order, with the README's semantics.
/// </summary>
public class RulePackMatchTests
{
    private const string Rules = """
        rules:
          - { id: long-call, category: t, cooldown: 1ms, match: { kind: call, where: { duration: { gte: 900 }, direction: in } } }
          - { id: flagged, category: t, cooldown: 1ms, match: { kind: [call, sms], where: { number: { in_list: flagged } } } }
          - { id: hk, category: t, cooldown: 1ms, match: { kind: call, where: { number: { prefix: "+852" } } } }
          - { id: any-transfer, category: t, cooldown: 1ms, match: { kind: transfer_out } }
          - { id: big, category: t, cooldown: 1ms, match: { kind: transfer_out, where: { any: [ { amount: { gte: 5000 } }, { account: { suffix: "-VIP" } } ] } } }
          - { id: not-merchant, category: t, cooldown: 1ms, match: { kind: transfer_out, where: { not: { account: { prefix: merchant- } } } } }
          - { id: three-transfers, category: t, window: { kind: transfer_out, over: 1h, at_least: 3 } }
          - id: call-then-transfer
            category: t
            sequence:
              within: 2h
              steps:
                - { kind: call, where: { duration: { gte: 600 } } }
                - { kind: transfer_out, where: { amount: { gte: 100 } } }
        """;

    private static RulePack Pack()
    {
        var lists = new Watchlists();
        Flagged(lists);
        return RulePack.Parse(Rules, lists);
    }

    private static void Flagged(Watchlists l) => l.Set("flagged", ["+85212345678", "Abc-Def"]);

    [Fact]
    public void Match_SameEventsAsEngine_ReportsWhatOnMatchFiresForMatchRules()
    {
        var bed = new TestBed(Rules, Flagged);
        var rng = new Random(11);
        string[] numbers = ["+85212345678", "+852 0000", "ABC-def", "10086", "+8529"];
        string[] accounts = ["merchant-1", "MERCHANT-2", "6222-vip", "acct"];
        var events = new List<StreamEvent>();
        for (var i = 0; i < 400; i++)
        {
            var subject = $"bi:s{rng.Next(20)}";
            events.Add(rng.Next(3) switch
            {
                0 => TestBed.Call(bed, numbers[rng.Next(numbers.Length)], duration: rng.Next(0, 2000), direction: rng.Next(2) == 0 ? "in" : "IN", subject: subject),
                1 => bed.Event("sms", subject, ("number", numbers[rng.Next(numbers.Length)]), ("direction", "in")),
                _ => TestBed.Transfer(bed, rng.Next(0, 9000), accounts[rng.Next(accounts.Length)], subject),
            });
        }

        var expected = new List<(string, string)>();
        foreach (var e in events)
        {
            Assert.Equal(EventStatus.Accepted, bed.Send(e, TimeSpan.FromSeconds(1)).Status);
        }
        var matchRules = bed.Engine.Rules.Rules.Where(r => r.Type == RuleType.Match).Select(r => r.Id).ToHashSet();
        expected.AddRange(bed.Matches.Where(m => matchRules.Contains(m.Rule.Id)).Select(m => (m.Evidence[0].Id, m.Rule.Id)));

        var actual = new List<(string, string)>();
        foreach (var e in events)
        {
            foreach (var rule in bed.Engine.Rules.Match(e))
            {
                actual.Add((e.Id, rule.Id));
            }
        }

        Assert.NotEmpty(expected);
        Assert.Equal(expected, actual); // same matches, same order (pack order within an event)
    }

    [Fact]
    public void Match_WindowAndSequenceRules_AreNeverReported()
    {
        var pack = Pack();
        var e = StreamEvent.Create("t1", "bi:a", "transfer_out", DateTimeOffset.UnixEpoch, ("amount", 9000), ("account", "x"));

        Assert.Equal(["any-transfer", "big", "not-merchant"], Ids(pack, e));
    }

    [Theory]
    [InlineData("in", true)]
    [InlineData("IN", true)]
    [InlineData("In", true)]
    [InlineData("inn", false)]
    [InlineData("i", false)]
    [InlineData("out", false)]
    public void Match_TextEquality_IgnoresCase(string direction, bool expected)
    {
        var pack = Pack();
        var e = StreamEvent.Create("t1", "bi:a", "call", DateTimeOffset.UnixEpoch, ("number", "1"), ("direction", direction), ("duration", 1000));

        Assert.Equal(expected, Ids(pack, e).Contains("long-call"));
    }

    [Theory]
    [InlineData("+85212345678", true, true)]
    [InlineData("+852123456789", false, true)]
    [InlineData("abc-DEF", true, false)]
    [InlineData(" Abc-Def", false, false)]
    [InlineData("+85", false, false)]
    public void Match_ListsAndPrefixes_IgnoreCase(string number, bool flagged, bool hk)
    {
        var pack = Pack();
        var e = StreamEvent.Create("t1", "bi:a", "call", DateTimeOffset.UnixEpoch, ("number", number), ("direction", "out"), ("duration", 10));

        var ids = Ids(pack, e);
        Assert.Equal(flagged, ids.Contains("flagged"));
        Assert.Equal(hk, ids.Contains("hk"));
    }

    [Fact]
    public void Match_UnknownKindOrNoRules_IsEmpty()
    {
        var pack = Pack();

        Assert.Empty(Ids(pack, StreamEvent.Create("t1", "bi:a", "im_contact", DateTimeOffset.UnixEpoch, ("contact", "x"))));
        Assert.Empty(Ids(pack, StreamEvent.Create("t2", "bi:a", "no-such-kind-" + Guid.NewGuid(), DateTimeOffset.UnixEpoch)));
        Assert.Equal(0, RulePack.Empty.Match(StreamEvent.Create("t3", "bi:a", "call", DateTimeOffset.UnixEpoch)).Count());
    }

    [Fact]
    public void Match_SeventyRules_ReportsEveryHoldingRuleInOrder()
    {
        var yaml = "rules:\n" + string.Concat(Enumerable.Range(0, 70).Select(i =>
            $"  - {{ id: r{i}, category: t, match: {{ kind: transfer_out, where: {{ amount: {{ {(i % 2 == 0 ? "gte" : "lte")}: {i} }} }} }} }}\n"));
        var pack = RulePack.Parse(yaml, new Watchlists());
        var e = StreamEvent.Create("t1", "bi:a", "transfer_out", DateTimeOffset.UnixEpoch, ("amount", 40), ("account", "a"));

        var expected = Enumerable.Range(0, 70).Where(i => i % 2 == 0 ? 40 >= i : 40 <= i).Select(i => $"r{i}");
        Assert.Equal(expected, Ids(pack, e));
    }

    private static List<string> Ids(RulePack pack, StreamEvent e)
    {
        var ids = new List<string>();
        foreach (var rule in pack.Match(e))
        {
            ids.Add(rule.Id);
        }
        return ids;
    }
}
