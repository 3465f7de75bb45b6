namespace CivicGrid.Streams.Tests.Rules;

/// <summary>
/// The compiled conditions (one delegate per event kind, attributes located once) against the operator
/// semantics of the README, on events with and without the attribute.
/// </summary>
public class ConditionCompilerTests
{
    private static readonly DateTimeOffset T = new(2025, 3, 1, 9, 0, 0, TimeSpan.FromHours(8));

    private static StreamEvent Transfer(params (string, object)[] attributes) =>
        StreamEvent.Create(Guid.NewGuid().ToString("N"), "bi:subject", "transfer_out", T, attributes);

    private static bool Holds(string where, StreamEvent e, Action<Watchlists>? lists = null)
    {
        var watchlists = new Watchlists();
        lists?.Invoke(watchlists);
        var pack = RulePack.Parse($"rules:\n  - {{ id: r, category: t, match: {{ kind: transfer_out, where: {where} }} }}\n", watchlists);
        var plan = pack.ByKind["transfer_out"];
        var masked = (plan.Masks[0](e.Fields) & 1) != 0;
        Assert.Equal(masked, pack.Rules[0].Where(e)); // per-kind mask and per-rule predicate agree
        return masked;
    }

    [Theory]
    [InlineData("{ amount: 5000 }", true)]
    [InlineData("{ amount: 5000.0 }", true)]
    [InlineData("{ amount: { ne: 5000 } }", false)]
    [InlineData("{ amount: { gte: 5000, lt: 5001 } }", true)]
    [InlineData("{ amount: { gt: 5000 } }", false)]
    [InlineData("{ account: MERCHANT-7 }", true)]
    [InlineData("{ account: { in: [a, merchant-7] } }", true)]
    [InlineData("{ account: { not_in: [a, merchant-7] } }", false)]
    [InlineData("{ account: { prefix: [x, MER] } }", true)]
    [InlineData("{ account: { suffix: \"-7\" } }", true)]
    [InlineData("{ account: { contains: chant } }", true)]
    [InlineData("{ account: { exists: true }, memo: { exists: false } }", true)]
    [InlineData("{ any: [ { amount: { lt: 10 } }, { account: { prefix: merchant } } ] }", true)]
    [InlineData("{ not: { account: { prefix: merchant } } }", false)]
    [InlineData("{ account: { in_list: flagged } }", true)]
    [InlineData("{ account: { not_in_list: flagged } }", false)]
    public void Where_PresentAttribute_FollowsOperator(string where, bool expected) =>
        Assert.Equal(expected, Holds(where, Transfer(("amount", 5000), ("account", "merchant-7")), l => l.Set("flagged", ["Merchant-7"])));

    [Theory]
    [InlineData("{ memo: x }")]
    [InlineData("{ memo: { ne: x } }")]
    [InlineData("{ memo: { gte: 0 } }")]
    [InlineData("{ memo: { lte: 0 } }")]
    [InlineData("{ memo: { not_in: [x] } }")]
    [InlineData("{ memo: { not_in_list: flagged } }")]
    [InlineData("{ memo: { prefix: \"\" } }")]
    [InlineData("{ memo: { exists: true } }")]
    public void Where_MissingAttribute_FailsEveryOperatorButExistsFalse(string where) =>
        Assert.False(Holds(where, Transfer(("amount", 5000), ("account", "a")), l => l.Set("flagged", ["y"])));

    [Fact]
    public void Where_TextInNumericComparison_IsFalse() =>
        Assert.False(Holds("{ amount: { gte: 0 } }", Transfer(("amount", "lots"), ("account", "a"))));

    [Fact]
    public void Mask_SeventyRulesOfOneKind_EachBitDecidesItsRule()
    {
        var yaml = "rules:\n" + string.Concat(Enumerable.Range(0, 70).Select(i =>
            $"  - {{ id: r{i}, category: t, match: {{ kind: transfer_out, where: {{ amount: {{ gte: {i} }} }} }} }}\n"));
        var matches = new List<RuleMatch>();
        var engine = new StreamEngine(RulePack.Parse(yaml, new Watchlists()), new EngineOptions
        {
            Time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(T), Shards = 1, OnMatch = matches.Add,
        });

        engine.Process(Transfer(("amount", 66), ("account", "a")));

        Assert.Equal(Enumerable.Range(0, 67).Select(i => $"r{i}"), matches.Select(m => m.Rule.Id));
    }
}
