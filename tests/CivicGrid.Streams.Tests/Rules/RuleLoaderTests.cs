namespace CivicGrid.Streams.Tests.Rules;

public class RuleLoaderTests
{
    private static RuleLoadException LoadFails(string yaml, string file = "bad.yaml") =>
        Assert.Throws<RuleLoadException>(() => RulePack.Parse(yaml, new Watchlists(), file));

    [Fact]
    public void Parse_NonNumericThreshold_NamesFileLineAndField()
    {
        var ex = LoadFails("""
            rules:
              - id: r1
                category: test
                match:
                  kind: transfer_out
                  where:
                    amount: { gte: lots }
            """);

        var error = Assert.Single(ex.Errors);
        Assert.Equal("bad.yaml", error.File);
        Assert.Equal(7, error.Line);
        Assert.Equal("rules[0].match.where.amount.gte", error.Field);
        Assert.Contains("must be a number, got 'lots'", error.Message);
        Assert.Contains("bad.yaml:7: rules[0].match.where.amount.gte:", ex.Message);
    }

    [Fact]
    public void Parse_UnknownFieldAndMissingId_ReportsBoth()
    {
        var ex = LoadFails("""
            rules:
              - category: test
                wieght: 10
                match: { kind: call }
            """);

        Assert.Contains(ex.Errors, e => e.Field == "rules[0].id" && e.Message == "required");
        Assert.Contains(ex.Errors, e => e.Field == "rules[0].wieght" && e.Line == 3);
    }

    [Fact]
    public void Parse_UnknownWatchlist_ListsKnownOnes()
    {
        var lists = new Watchlists();
        lists.Set("flagged_numbers", []);
        var ex = Assert.Throws<RuleLoadException>(() => RulePack.Parse("""
            rules:
              - id: r1
                category: test
                match: { kind: call, where: { number: { in_list: flaged_numbers } } }
            """, lists));

        Assert.Contains("unknown watchlist 'flaged_numbers' (known: flagged_numbers)", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void Parse_SequenceReferencingLaterStep_Fails()
    {
        var ex = LoadFails("""
            rules:
              - id: r1
                category: test
                sequence:
                  within: 1h
                  steps:
                    - { name: a, kind: call, same: { number: b.number } }
                    - { name: b, kind: call }
            """);

        Assert.Equal("rules[0].sequence.steps[0].same.number", Assert.Single(ex.Errors).Field);
    }

    [Fact]
    public void Parse_BadDurationAndYamlSyntax_Reported()
    {
        Assert.Equal("rules[0].window.over", LoadFails("""
            rules:
              - id: r1
                category: test
                window: { kind: call, over: 3 weeks, at_least: 2 }
            """).Errors.Single().Field);

        var syntax = LoadFails("rules:\n  - id: [unclosed\n");
        Assert.Equal("(yaml)", Assert.Single(syntax.Errors).Field);
    }

    [Fact]
    public void Parse_DuplicateIdAcrossFiles_Fails()
    {
        const string Rule = "rules:\n  - { id: same, category: t, match: { kind: call } }\n";
        var ex = Assert.Throws<RuleLoadException>(() => RulePack.Load([("a.yaml", Rule), ("b.yaml", Rule)], new Watchlists()));

        Assert.Contains("duplicate rule id 'same' (first at a.yaml:2)", Assert.Single(ex.Errors).Message);
    }

    [Fact]
    public void TryReloadRules_InvalidFile_KeepsPreviousRulesRunning()
    {
        var dir = Directory.CreateTempSubdirectory("cg-rules-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "ok.yaml"), "rules:\n  - { id: big, category: t, weight: 100, match: { kind: transfer_out, where: { amount: { gte: 1000 } } } }\n");
            var t = new TestBed("rules: []");
            Assert.Empty(t.Engine.TryReloadRules(dir, t.Lists));
            File.WriteAllText(Path.Combine(dir, "broken.yaml"), "rules:\n  - { id: x, category: t, match: { kind: call, where: { duration: { gte: soon } } } }\n");

            var errors = t.Engine.TryReloadRules(dir, t.Lists);

            Assert.Equal("broken.yaml", Assert.Single(errors).File);
            Assert.Equal("big", Assert.Single(t.Engine.Rules.Rules).Id);
            t.Send(TestBed.Transfer(t, 5000));
            Assert.Single(t.Alerts);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ReloadRules_SameWindowRule_KeepsOpenWindow()
    {
        const string V1 = "rules:\n  - { id: three, category: t, weight: 100, window: { kind: transfer_out, over: 1h, at_least: 3 } }\n";
        const string V2 = V1 + "  - { id: other, category: t, match: { kind: sms } }\n";
        var t = new TestBed(V1);
        t.Send(TestBed.Transfer(t, 10), TimeSpan.FromMinutes(1));
        t.Send(TestBed.Transfer(t, 10), TimeSpan.FromMinutes(1));

        t.Engine.ReloadRules(RulePack.Parse(V2, t.Lists));
        t.Send(TestBed.Transfer(t, 10));

        Assert.Equal("three", Assert.Single(t.Alerts).RuleId);
    }
}
