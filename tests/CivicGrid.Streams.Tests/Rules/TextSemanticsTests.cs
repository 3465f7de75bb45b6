namespace CivicGrid.Streams.Tests.Rules;

/// <summary>
/// Compiled text conditions (eq, prefix, suffix, in) and watchlists against the README's semantics,
/// i.e. string methods with OrdinalIgnoreCase, on
/// random texts with mixed case, neighbours of letters ('@', '[', '`', '{'), non-ASCII look-alikes
/// (dotless i, long s, Kelvin sign, fullwidth letters) and different lengths.
/// </summary>
public class TextSemanticsTests
{
    private static readonly char[] Alphabet = "aAbBiIkKsSzZ09-+.@[`{\u0131\u017F\u212A\uFF41\u00E9\u00C9".ToCharArray();

    private static string RandomText(Random rng, int maxLength)
    {
        var chars = new char[rng.Next(0, maxLength + 1)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = Alphabet[rng.Next(Alphabet.Length)];
        }
        return new string(chars);
    }

    /// <summary>Mostly near-copies of the constant (case flipped, one character changed, cut, extended), some random.</summary>
    private static string Variant(Random rng, string constant)
    {
        return rng.Next(5) switch
        {
            0 => RandomText(rng, constant.Length + 2),
            1 => new string(constant.Select(c => rng.Next(2) == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)).ToArray()),
            2 when constant.Length > 0 => constant.Remove(rng.Next(constant.Length), 1).Insert(0, "").Insert(rng.Next(constant.Length), Alphabet[rng.Next(Alphabet.Length)].ToString()),
            3 => constant + RandomText(rng, 3),
            _ => RandomText(rng, 3) + constant.ToUpperInvariant(),
        };
    }

    [Fact]
    public void CompiledEqPrefixSuffix_RandomTexts_AgreeWithOrdinalIgnoreCase()
    {
        var rng = new Random(5);
        for (var round = 0; round < 60; round++)
        {
            var constant = RandomText(rng, 6);
            if (constant.Length == 0 || double.TryParse(constant, out _))
            {
                continue; // numeric constants compare as numbers
            }
            var quoted = constant.Replace("\\", "\\\\").Replace("\"", "\\\"");
            var yaml = $$"""
                rules:
                  - { id: eq, category: t, match: { kind: transfer_out, where: { account: { eq: "{{quoted}}" } } } }
                  - { id: prefix, category: t, match: { kind: transfer_out, where: { account: { prefix: "{{quoted}}" } } } }
                  - { id: suffix, category: t, match: { kind: transfer_out, where: { account: { suffix: "{{quoted}}" } } } }
                  - { id: in, category: t, match: { kind: transfer_out, where: { account: { in: ["{{quoted}}", "x"] } } } }
                """;
            var pack = RulePack.Parse(yaml, new Watchlists());
            for (var k = 0; k < 50; k++)
            {
                var text = Variant(rng, constant);
                var e = StreamEvent.Create("t", "bi:a", "transfer_out", DateTimeOffset.UnixEpoch, ("account", text), ("amount", 1));
                var ids = new HashSet<string>();
                foreach (var rule in pack.Match(e))
                {
                    ids.Add(rule.Id);
                }
                var because = $"constant '{constant}', text '{text}'";
                Assert.True(string.Equals(text, constant, StringComparison.OrdinalIgnoreCase) == ids.Contains("eq"), because);
                Assert.True(text.StartsWith(constant, StringComparison.OrdinalIgnoreCase) == ids.Contains("prefix"), because);
                Assert.True(text.EndsWith(constant, StringComparison.OrdinalIgnoreCase) == ids.Contains("suffix"), because);
                Assert.True((string.Equals(text, constant, StringComparison.OrdinalIgnoreCase) || string.Equals(text, "x", StringComparison.OrdinalIgnoreCase)) == ids.Contains("in"), because);
            }
        }
    }

    [Fact]
    public void Watchlist_RandomValues_AgreesWithOrdinalIgnoreCaseSet()
    {
        var rng = new Random(9);
        var values = Enumerable.Range(0, 200).Select(_ => RandomText(rng, 12)).Where(v => v.Trim().Length > 0).ToList();
        values.AddRange(["17012340001", "Tb-Refund.TOP", "com.suda.loan", "\u00E9t\u00E9", "\u0131stanbul"]);
        var lists = new Watchlists();
        lists.Set("l", values);
        var list = lists.Get("l");
        var reference = values.Select(v => v.Trim()).Where(v => v.Length > 0).ToHashSet(StringComparer.OrdinalIgnoreCase);

        Assert.Equal(reference.Count, list.Count);
        var probes = values.Concat(values.Select(v => v.ToUpperInvariant())).Concat(values.Select(v => v.ToLowerInvariant()))
            .Concat(Enumerable.Range(0, 2000).Select(_ => RandomText(rng, 12)))
            .Concat(["17012340001", "TB-REFUND.top", "COM.SUDA.LOAN", "\u00C9T\u00C9", "Istanbul", "istanbul", "\u0131STANBUL", "tb-refund.to"]);
        foreach (var probe in probes)
        {
            Assert.True(reference.Contains(probe) == list.Contains(probe), $"'{probe}'");
        }
        Assert.False(list.Contains(null));
    }
}
