using System.Globalization;
using System.Linq.Expressions;
using System.Text;
using CivicGrid.Streams;
using NRules;
using NRules.RuleModel;
using NRules.RuleModel.Builders;
using RE = RulesEngine;

namespace CivicGrid.Bench.AntiFraud;

/// <summary>The event as a typed fact, for RulesEngine and NRules (missing numbers are NaN, missing text null, as in our engine).</summary>
public sealed class BenchFact
{
    public int Index { get; init; }
    public string Kind { get; init; } = "";
    public string? Number { get; init; }
    public string? Direction { get; init; }
    public double Duration { get; init; } = double.NaN;
    public double Amount { get; init; } = double.NaN;
    public string? Account { get; init; }
    public string? App { get; init; }
    public string? Domain { get; init; }
}

/// <summary>Watchlist membership for RulesEngine expressions (registered as a custom type).</summary>
public static class BenchLists
{
    internal static Watchlists Lists { get; set; } = new();

    public static bool Has(string list, string? value) => Lists.Get(list).Contains(value);
}

/// <summary>
/// 20 stateless rules written once as data (kind + conditions), turned into our YAML, RulesEngine
/// lambda strings and NRules rule definitions, so all three evaluate exactly the same logic.
/// </summary>
internal static class StatelessRules
{
    // (attribute, operator, value): operators gte, lte, eq, prefix, in_list
    private sealed record Cond(string Attr, string Op, string Value);

    private sealed record Spec(string Id, string Kind, Cond[] Conds);

    private static readonly Spec[] Specs =
    [
        new("r01", "call", [new("duration", "gte", "900"), new("direction", "eq", "in")]),
        new("r02", "call", [new("number", "in_list", "flagged_numbers")]),
        new("r03", "call", [new("number", "prefix", "+852")]),
        new("r04", "call", [new("number", "prefix", "170"), new("duration", "gte", "300")]),
        new("r05", "call", [new("direction", "eq", "out"), new("number", "eq", "96110")]),
        new("r06", "sms", [new("domain", "in_list", "fraud_domains")]),
        new("r07", "sms", [new("number", "prefix", "106"), new("domain", "eq", "taobao.com")]),
        new("r08", "url_visit", [new("domain", "in_list", "fraud_domains")]),
        new("r09", "url_visit", [new("domain", "eq", "zhihu.com")]),
        new("r10", "app_install", [new("app", "in_list", "screen_share_apps")]),
        new("r11", "app_install", [new("app", "in_list", "loan_apps")]),
        new("r12", "app_install", [new("app", "prefix", "com.tencent")]),
        new("r13", "transfer_out", [new("amount", "gte", "5000")]),
        new("r14", "transfer_out", [new("account", "in_list", "flagged_accounts")]),
        new("r15", "transfer_out", [new("amount", "lte", "10"), new("account", "prefix", "merchant-")]),
        new("r16", "transfer_out", [new("amount", "gte", "50000")]),
        new("r17", "transfer_in", [new("amount", "lte", "100")]),
        new("r18", "transfer_in", [new("amount", "gte", "10000")]),
        new("r19", "call", [new("duration", "lte", "0"), new("direction", "eq", "in")]),
        new("r20", "transfer_out", [new("amount", "gte", "1000"), new("amount", "lte", "2000")]),
    ];

    private static readonly Dictionary<string, string> Props = new()
    {
        ["number"] = nameof(BenchFact.Number), ["direction"] = nameof(BenchFact.Direction), ["duration"] = nameof(BenchFact.Duration),
        ["amount"] = nameof(BenchFact.Amount), ["account"] = nameof(BenchFact.Account), ["app"] = nameof(BenchFact.App),
        ["domain"] = nameof(BenchFact.Domain),
    };

    public static int Count => Specs.Length;

    public static string Yaml()
    {
        var sb = new StringBuilder("rules:\n");
        foreach (var s in Specs)
        {
            var where = string.Join(", ", s.Conds.GroupBy(c => c.Attr).Select(g =>
                $"{g.Key}: {{ {string.Join(", ", g.Select(c => $"{c.Op}: \"{c.Value}\""))} }}"));
            sb.Append(CultureInfo.InvariantCulture, $"  - {{ id: {s.Id}, category: bench, weight: 0, cooldown: 1ms, match: {{ kind: {s.Kind}, where: {{ {where} }} }} }}\n");
        }
        return sb.ToString();
    }

    public static RE.RulesEngine RulesEngine()
    {
        var rules = Specs.Select(s => new RE.Models.Rule
        {
            RuleName = s.Id,
            RuleExpressionType = RE.Models.RuleExpressionType.LambdaExpression,
            Expression = string.Join(" AND ", new[] { $"fact.Kind == \"{s.Kind}\"" }.Concat(s.Conds.Select(c =>
            {
                var p = "fact." + Props[c.Attr];
                return c.Op switch
                {
                    "gte" => $"{p} >= {c.Value}",
                    "lte" => $"{p} <= {c.Value}",
                    "eq" => $"{p} == \"{c.Value}\"",
                    "prefix" => $"({p} != null AND {p}.StartsWith(\"{c.Value}\"))",
                    _ => $"BenchLists.Has(\"{c.Value}\", {p})",
                };
            }))),
        }).ToList();
        var workflow = new RE.Models.Workflow { WorkflowName = "bench", Rules = rules };
        return new RE.RulesEngine([workflow], new RE.Models.ReSettings { CustomTypes = [typeof(BenchLists)] });
    }

    public static ISessionFactory NRules(Action<int, string> onMatch)
    {
        Hit = onMatch;
        var definitions = Specs.Select(s =>
        {
            var builder = new RuleBuilder();
            builder.Name(s.Id);
            var fact = Expression.Parameter(typeof(BenchFact), "fact");
            Expression body = Expression.Equal(Expression.Property(fact, nameof(BenchFact.Kind)), Expression.Constant(s.Kind));
            foreach (var c in s.Conds)
            {
                var p = Expression.Property(fact, Props[c.Attr]);
                Expression test = c.Op switch
                {
                    "gte" => Expression.GreaterThanOrEqual(p, Expression.Constant(double.Parse(c.Value, CultureInfo.InvariantCulture))),
                    "lte" => Expression.LessThanOrEqual(p, Expression.Constant(double.Parse(c.Value, CultureInfo.InvariantCulture))),
                    "eq" => Expression.Equal(p, Expression.Constant(c.Value)),
                    "prefix" => Expression.AndAlso(Expression.NotEqual(p, Expression.Constant(null, typeof(string))),
                        Expression.Call(p, typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string), typeof(StringComparison)])!,
                            Expression.Constant(c.Value), Expression.Constant(StringComparison.Ordinal))),
                    _ => Expression.Call(typeof(BenchLists).GetMethod(nameof(BenchLists.Has))!, Expression.Constant(c.Value), p),
                };
                body = Expression.AndAlso(body, test);
            }
            builder.LeftHandSide().Pattern(typeof(BenchFact), "fact").Condition(Expression.Lambda(body, fact));
            var context = Expression.Parameter(typeof(IContext), "ctx");
            var record = Expression.Call(typeof(StatelessRules).GetMethod(nameof(Record), System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Static)!,
                Expression.Property(fact, nameof(BenchFact.Index)), Expression.Constant(s.Id));
            builder.RightHandSide().Action(Expression.Lambda(record, context, fact));
            return builder.Build();
        }).ToList();
        return new RuleCompiler().Compile(definitions);
    }

    private static Action<int, string> Hit { get; set; } = (_, _) => { };

    private static void Record(int index, string ruleId) => Hit(index, ruleId);
}
