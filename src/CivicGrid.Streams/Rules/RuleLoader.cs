using System.Collections.Frozen;
using System.Globalization;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace CivicGrid.Streams;

/// <summary>
/// Reads rule files (format in README.md), checks every field and compiles conditions into delegates.
/// Collects all errors (file, line, field) before failing, so an author fixes a file in one pass.
/// </summary>
internal sealed class RuleLoader(Watchlists watchlists)
{
    private static readonly string[] RuleKeys = ["id", "category", "description", "weight", "cooldown", "match", "window", "sequence"];
    private static readonly string[] MatchKeys = ["kind", "where"];
    private static readonly string[] WindowKeys = ["kind", "where", "over", "aggregate", "of", "at_least"];
    private static readonly string[] SequenceKeys = ["within", "steps"];
    private static readonly string[] StepKeys = ["name", "kind", "where", "same", "absent", "within"];
    private static readonly string[] ScoringKeys = ["half_life", "levels"];
    private static readonly string[] LevelKeys = ["sms_12381", "call_96110", "visit"];

    private readonly List<RuleError> _errors = [];
    private string _file = "";

    public RulePack Load(IEnumerable<(string File, string Yaml)> files)
    {
        var rules = new List<Rule>();
        Scoring? scoring = null;
        string? scoringFile = null;
        var ids = new Dictionary<string, string>(StringComparer.Ordinal);

        foreach (var (file, yaml) in files)
        {
            _file = file;
            var root = ParseYaml(yaml);
            if (root is null)
            {
                continue;
            }
            CheckKeys(root, "", ["rules", "scoring"]);
            if (Child(root, "scoring") is { } scoringNode)
            {
                if (scoringFile is not null)
                {
                    Error(scoringNode, "scoring", $"scoring is already defined in {scoringFile}");
                }
                scoring = ReadScoring(scoringNode);
                scoringFile = file;
            }
            if (Child(root, "rules") is { } rulesNode)
            {
                if (rulesNode is not YamlSequenceNode list)
                {
                    Error(rulesNode, "rules", "must be a list of rules");
                    continue;
                }
                for (var i = 0; i < list.Children.Count; i++)
                {
                    var rule = ReadRule(list.Children[i], $"rules[{i}]");
                    if (rule is null)
                    {
                        continue;
                    }
                    if (ids.TryGetValue(rule.Id, out var where))
                    {
                        Error(list.Children[i], $"rules[{i}].id", $"duplicate rule id '{rule.Id}' (first at {where})");
                        continue;
                    }
                    ids[rule.Id] = rule.Source;
                    rules.Add(rule);
                }
            }
        }
        if (_errors.Count > 0)
        {
            throw new RuleLoadException(_errors.ToArray());
        }
        return new RulePack(rules, scoring ?? Scoring.Default);
    }

    private YamlMappingNode? ParseYaml(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            _errors.Add(new RuleError(_file, (int)ex.Start.Line, "(yaml)", ex.InnerException?.Message ?? ex.Message));
            return null;
        }
        if (stream.Documents.Count == 0)
        {
            return null; // an empty file holds no rules
        }
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            Error(stream.Documents[0].RootNode, "(root)", "must be a mapping with 'rules:' and/or 'scoring:'");
            return null;
        }
        return root;
    }

    private Scoring ReadScoring(YamlNode node)
    {
        var d = Scoring.Default;
        if (node is not YamlMappingNode map)
        {
            Error(node, "scoring", "must be a mapping");
            return d;
        }
        CheckKeys(map, "scoring", ScoringKeys);
        var halfLife = Child(map, "half_life") is { } h ? Duration(h, "scoring.half_life") ?? d.HalfLife : d.HalfLife;
        double sms = d.Sms12381, call = d.Call96110, visit = d.Visit;
        if (Child(map, "levels") is { } levels)
        {
            if (levels is YamlMappingNode lm)
            {
                CheckKeys(lm, "scoring.levels", LevelKeys);
                sms = Child(lm, "sms_12381") is { } s ? Number(s, "scoring.levels.sms_12381") ?? sms : sms;
                call = Child(lm, "call_96110") is { } c ? Number(c, "scoring.levels.call_96110") ?? call : call;
                visit = Child(lm, "visit") is { } v ? Number(v, "scoring.levels.visit") ?? visit : visit;
                if (!(sms > 0 && sms <= call && call <= visit))
                {
                    Error(levels, "scoring.levels", $"need 0 < sms_12381 <= call_96110 <= visit, got {sms}, {call}, {visit}");
                }
            }
            else
            {
                Error(levels, "scoring.levels", "must be a mapping");
            }
        }
        if (halfLife <= TimeSpan.Zero)
        {
            Error(node, "scoring.half_life", "must be positive");
        }
        return new Scoring(halfLife, sms, call, visit);
    }

    private Rule? ReadRule(YamlNode node, string path)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "a rule must be a mapping");
            return null;
        }
        var before = _errors.Count;
        CheckKeys(map, path, RuleKeys);
        var id = RequiredText(map, "id", path);
        var category = RequiredText(map, "category", path);
        var description = Child(map, "description") is YamlScalarNode ds ? ds.Value : null;
        var weight = Child(map, "weight") is { } w ? Number(w, path + ".weight") ?? 0 : 0;
        if (weight < 0)
        {
            Error(map, path + ".weight", "must be >= 0");
        }
        TimeSpan? cooldown = Child(map, "cooldown") is { } cd ? Duration(cd, path + ".cooldown") : null;

        var bodies = new[] { "match", "window", "sequence" }.Where(k => Child(map, k) is not null).ToArray();
        if (bodies.Length != 1)
        {
            Error(map, path, bodies.Length == 0
                ? "needs one of 'match', 'window' or 'sequence'"
                : $"has {string.Join(" and ", bodies)}: only one is allowed");
            return null;
        }
        var source = $"{_file}:{map.Start.Line}";
        var fp = new StringBuilder();
        Rule? rule = bodies[0] switch
        {
            "match" => ReadMatch(Child(map, "match")!, path + ".match", fp, id, category, source),
            "window" => ReadWindow(Child(map, "window")!, path + ".window", fp, id, category, source),
            _ => ReadSequence(Child(map, "sequence")!, path + ".sequence", fp, id, category, source),
        };
        if (rule is null || _errors.Count > before)
        {
            return null;
        }
        return new Rule
        {
            Id = rule.Id,
            Category = rule.Category,
            Description = description,
            Type = rule.Type,
            Weight = weight,
            Cooldown = cooldown,
            Source = source,
            Kinds = rule.Kinds,
            Fingerprint = fp.ToString(),
            Where = rule.Where,
            Condition = rule.Condition,
            OwnKinds = rule.OwnKinds,
            OverTicks = rule.OverTicks,
            Aggregate = rule.Aggregate,
            Of = rule.Of,
            AtLeast = rule.AtLeast,
            WithinTicks = rule.WithinTicks,
            Steps = rule.Steps,
        };
    }

    private Rule? ReadMatch(YamlNode node, string path, StringBuilder fp, string id, string category, string source)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "must be a mapping");
            return null;
        }
        CheckKeys(map, path, MatchKeys);
        var kinds = Kinds(map, path);
        var (condition, where) = WhereOf(map, path, fp);
        fp.Insert(0, $"match {string.Join(',', kinds)} ");
        return new Rule
        {
            Id = id, Category = category, Type = RuleType.Match, Source = source, Kinds = kinds, Fingerprint = "",
            Where = where, Condition = condition, OwnKinds = kinds,
        };
    }

    private Rule? ReadWindow(YamlNode node, string path, StringBuilder fp, string id, string category, string source)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "must be a mapping");
            return null;
        }
        CheckKeys(map, path, WindowKeys);
        var kinds = Kinds(map, path);
        var (condition, where) = WhereOf(map, path, fp);
        var over = Child(map, "over") is { } o ? Duration(o, path + ".over") : RequiredMissing(map, path, "over");
        var aggregate = Aggregate.Count;
        if (Child(map, "aggregate") is { } an)
        {
            var text = Scalar(an, path + ".aggregate");
            if (!Enum.TryParse(text, ignoreCase: true, out aggregate) || text is null || char.IsDigit(text[0]))
            {
                Error(an, path + ".aggregate", $"must be count, sum or distinct, got '{text}'");
            }
        }
        var of = Child(map, "of") is { } ofn ? Scalar(ofn, path + ".of") : null;
        if (aggregate != Aggregate.Count && of is null)
        {
            Error(map, path + ".of", $"'{aggregate.ToString().ToLowerInvariant()}' needs the attribute to aggregate ('of: amount')");
        }
        var atLeast = Child(map, "at_least") is { } al ? Number(al, path + ".at_least") : RequiredMissingNumber(map, path, "at_least");
        fp.Insert(0, $"window {string.Join(',', kinds)} over {over} {aggregate} {of} ");
        return new Rule
        {
            Id = id, Category = category, Type = RuleType.Window, Source = source, Kinds = kinds, Fingerprint = "",
            Where = where, Condition = condition, OwnKinds = kinds, OverTicks = (over ?? TimeSpan.Zero).Ticks, Aggregate = aggregate,
            Of = of is null ? null : AttributeNames.Intern(of), AtLeast = atLeast ?? 0,
        };
    }

    private Rule? ReadSequence(YamlNode node, string path, StringBuilder fp, string id, string category, string source)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "must be a mapping");
            return null;
        }
        CheckKeys(map, path, SequenceKeys);
        var within = Child(map, "within") is { } wn ? Duration(wn, path + ".within") : RequiredMissing(map, path, "within");
        if (Child(map, "steps") is not YamlSequenceNode stepsNode || stepsNode.Children.Count < 2)
        {
            Error(map, path + ".steps", "needs a list of at least 2 steps");
            return null;
        }
        fp.Append($"sequence within {within}");
        var steps = new List<SequenceStep>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < stepsNode.Children.Count; i++)
        {
            var sp = $"{path}.steps[{i}]";
            if (stepsNode.Children[i] is not YamlMappingNode sm)
            {
                Error(stepsNode.Children[i], sp, "a step must be a mapping");
                continue;
            }
            CheckKeys(sm, sp, StepKeys);
            var name = Child(sm, "name") is { } nn ? Scalar(nn, sp + ".name") ?? $"step{i + 1}" : $"step{i + 1}";
            var absent = Child(sm, "absent") is { } ab && Bool(ab, sp + ".absent");
            var kinds = Kinds(sm, sp);
            fp.Append($" | {(absent ? "absent " : "")}{string.Join(',', kinds)}");
            var (_, where) = WhereOf(sm, sp, fp);
            var stepWithin = Child(sm, "within") is { } swn ? Duration(swn, sp + ".within") : null;
            fp.Append($" within {stepWithin}");
            var same = new List<Correlation>();
            if (Child(sm, "same") is { } sameNode)
            {
                if (sameNode is not YamlMappingNode sameMap)
                {
                    Error(sameNode, sp + ".same", "must map this event's attribute to 'step.attribute'");
                }
                else
                {
                    foreach (var (k, v) in sameMap.Children)
                    {
                        var attr = Scalar(k, sp + ".same");
                        var target = Scalar(v, $"{sp}.same.{attr}");
                        var dot = target?.IndexOf('.', StringComparison.Ordinal) ?? -1;
                        if (attr is null || target is null || dot <= 0 || dot == target.Length - 1)
                        {
                            Error(v, $"{sp}.same.{attr}", $"must be 'step.attribute', got '{target}'");
                            continue;
                        }
                        var stepName = target[..dot];
                        if (!names.TryGetValue(stepName, out var stepIndex) || steps[stepIndex].Absent)
                        {
                            Error(v, $"{sp}.same.{attr}", $"'{stepName}' is not an earlier, non-absent step (known: {string.Join(", ", names.Keys)})");
                            continue;
                        }
                        same.Add(new Correlation(AttributeNames.Intern(attr), stepIndex, AttributeNames.Intern(target[(dot + 1)..])));
                        fp.Append($" same {attr}={target}");
                    }
                }
            }
            if (absent && i == 0)
            {
                Error(sm, sp + ".absent", "the first step cannot be absent");
            }
            if (absent && steps.Count > 0 && steps[^1].Absent)
            {
                Error(sm, sp + ".absent", "two absent steps in a row: merge them with 'kind: [a, b]' or 'any:'");
            }
            if (!names.TryAdd(name, i))
            {
                Error(sm, sp + ".name", $"duplicate step name '{name}'");
            }
            steps.Add(new SequenceStep
            {
                Name = name, Kinds = kinds, Where = where, Same = same.ToArray(), Absent = absent,
                WithinTicks = (stepWithin ?? TimeSpan.Zero).Ticks,
            });
        }
        return new Rule
        {
            Id = id, Category = category, Type = RuleType.Sequence, Source = source, Fingerprint = "",
            Kinds = steps.SelectMany(s => s.Kinds).Distinct(StringComparer.Ordinal).ToArray(),
            WithinTicks = (within ?? TimeSpan.Zero).Ticks, Steps = steps.ToArray(),
        };
    }

    // ---- conditions: read into a Condition tree; ConditionCompiler turns it into IL ----

    private static readonly Func<StreamEvent, bool> Always = static _ => true;

    private (Condition Condition, Func<StreamEvent, bool> Predicate) WhereOf(YamlMappingNode map, string path, StringBuilder fp)
    {
        if (Child(map, "where") is not { } node)
        {
            return (Condition.True, Always);
        }
        var before = _errors.Count;
        var condition = Where(node, path + ".where", fp);
        // A condition with errors is never run (the load fails), so do not compile it.
        return (condition, _errors.Count > before ? Always : ConditionCompiler.Predicate(condition));
    }

    private Condition Where(YamlNode node, string path, StringBuilder fp)
    {
        if (node is not YamlMappingNode map)
        {
            Error(node, path, "must be a mapping of attribute: condition");
            return Condition.True;
        }
        var parts = new List<Condition>();
        fp.Append(" where{");
        foreach (var (k, v) in map.Children)
        {
            var key = Scalar(k, path);
            if (key is null)
            {
                continue;
            }
            fp.Append(key).Append(':');
            switch (key)
            {
                case "any":
                    if (v is not YamlSequenceNode alternatives || alternatives.Children.Count == 0)
                    {
                        Error(v, path + ".any", "must be a non-empty list of conditions");
                        break;
                    }
                    parts.Add(new AnyOf(alternatives.Children.Select((a, i) => Where(a, $"{path}.any[{i}]", fp)).ToArray()));
                    break;
                case "not":
                    parts.Add(new NotOf(Where(v, path + ".not", fp)));
                    break;
                default:
                    parts.Add(Attribute(AttributeNames.Intern(key), v, $"{path}.{key}", fp));
                    break;
            }
            fp.Append(';');
        }
        fp.Append('}');
        return parts.Count == 1 ? parts[0] : new AllOf(parts.ToArray());
    }

    /// <summary>
    /// `amount: 5000` (equals) or `amount: { gte: 5000, lt: 1e6 }`. A missing attribute fails every
    /// operator except `exists: false`.
    /// </summary>
    private Condition Attribute(string attr, YamlNode node, string path, StringBuilder fp)
    {
        if (node is YamlScalarNode)
        {
            fp.Append("eq ").Append(Scalar(node, path));
            return Equal(attr, AttributeOp.Eq, node, path);
        }
        if (node is not YamlMappingNode ops)
        {
            Error(node, path, "must be a value or a mapping of operators (eq, ne, gt, gte, lt, lte, in, not_in, in_list, not_in_list, prefix, suffix, contains, exists)");
            return Condition.True;
        }
        var parts = new List<Condition>();
        foreach (var (k, v) in ops.Children)
        {
            var op = Scalar(k, path);
            var opPath = $"{path}.{op}";
            fp.Append(op).Append(' ').Append(v is YamlScalarNode sv ? sv.Value : string.Join(",", (v as YamlSequenceNode)?.Children.Select(c => (c as YamlScalarNode)?.Value) ?? [])).Append(' ');
            switch (op)
            {
                case "eq":
                    parts.Add(Equal(attr, AttributeOp.Eq, v, opPath));
                    break;
                case "ne":
                    parts.Add(Equal(attr, AttributeOp.Ne, v, opPath));
                    break;
                case "gt" or "gte" or "lt" or "lte":
                    var n = Number(v, opPath) ?? 0;
                    var cmp = op switch { "gt" => AttributeOp.Gt, "gte" => AttributeOp.Gte, "lt" => AttributeOp.Lt, _ => AttributeOp.Lte };
                    parts.Add(new AttributeTest(attr, cmp) { Number = n });
                    break;
                case "in" or "not_in":
                    var set = Texts(v, opPath).ToFrozenSet(StringComparer.OrdinalIgnoreCase);
                    parts.Add(new AttributeTest(attr, op == "in" ? AttributeOp.In : AttributeOp.NotIn) { Set = set });
                    break;
                case "in_list" or "not_in_list":
                    var listName = Scalar(v, opPath);
                    var list = listName is null ? null : watchlists.Find(listName);
                    if (list is null)
                    {
                        Error(v, opPath, $"unknown watchlist '{listName}' (known: {string.Join(", ", watchlists.Names.Order(StringComparer.Ordinal))})");
                        break;
                    }
                    parts.Add(new AttributeTest(attr, op == "in_list" ? AttributeOp.InList : AttributeOp.NotInList) { List = list });
                    break;
                case "prefix" or "suffix" or "contains":
                    var texts = Texts(v, opPath);
                    parts.Add(new AttributeTest(attr, op switch { "prefix" => AttributeOp.Prefix, "suffix" => AttributeOp.Suffix, _ => AttributeOp.Contains })
                    {
                        Texts = texts,
                    });
                    break;
                case "exists":
                    parts.Add(new AttributeTest(attr, AttributeOp.Exists) { Want = Bool(v, opPath) });
                    break;
                default:
                    Error(k, opPath, $"unknown operator '{op}' (use eq, ne, gt, gte, lt, lte, in, not_in, in_list, not_in_list, prefix, suffix, contains, exists)");
                    break;
            }
        }
        return parts.Count == 1 ? parts[0] : new AllOf(parts.ToArray());
    }

    private AttributeTest Equal(string attr, AttributeOp op, YamlNode node, string path)
    {
        var text = Scalar(node, path) ?? "";
        var number = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : double.NaN;
        return new AttributeTest(attr, op) { Text = text, Number = number };
    }

    // ---- small readers that record errors with line and field ----

    private string[] Kinds(YamlMappingNode map, string path)
    {
        if (Child(map, "kind") is not { } node)
        {
            Error(map, path + ".kind", "required (an event kind or a list of kinds)");
            return [];
        }
        var kinds = Texts(node, path + ".kind").Select(k => EventKinds.Intern(k).Kind).ToArray();
        if (kinds.Length == 0)
        {
            Error(node, path + ".kind", "at least one kind is needed");
        }
        return kinds;
    }

    private string[] Texts(YamlNode node, string path)
    {
        if (node is YamlScalarNode)
        {
            return Scalar(node, path) is { } s ? [s] : [];
        }
        if (node is YamlSequenceNode seq)
        {
            return seq.Children.Select((c, i) => Scalar(c, $"{path}[{i}]")).OfType<string>().ToArray();
        }
        Error(node, path, "must be a value or a list of values");
        return [];
    }

    private string? Scalar(YamlNode node, string path)
    {
        if (node is YamlScalarNode { Value: { } v })
        {
            return v;
        }
        Error(node, path, "must be a single value");
        return null;
    }

    private double? Number(YamlNode node, string path)
    {
        var text = Scalar(node, path);
        if (text is not null && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && double.IsFinite(n))
        {
            return n;
        }
        if (text is not null)
        {
            Error(node, path, $"must be a number, got '{text}'");
        }
        return null;
    }

    private bool Bool(YamlNode node, string path)
    {
        var text = Scalar(node, path);
        if (bool.TryParse(text, out var b))
        {
            return b;
        }
        Error(node, path, $"must be true or false, got '{text}'");
        return false;
    }

    /// <summary>"90s", "30m", "2h", "7d" (also "500ms").</summary>
    private TimeSpan? Duration(YamlNode node, string path)
    {
        var text = Scalar(node, path);
        if (text is null)
        {
            return null;
        }
        var t = text.Trim();
        var unitStart = t.Length;
        while (unitStart > 0 && char.IsAsciiLetter(t[unitStart - 1]))
        {
            unitStart--;
        }
        if (unitStart > 0 && double.TryParse(t.AsSpan(0, unitStart), NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            TimeSpan? d = t[unitStart..] switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                "d" => TimeSpan.FromDays(n),
                _ => null,
            };
            if (d is { } ok)
            {
                return ok;
            }
        }
        Error(node, path, $"must be a positive duration like 90s, 30m, 2h or 7d, got '{text}'");
        return null;
    }

    private string RequiredText(YamlMappingNode map, string key, string path)
    {
        if (Child(map, key) is { } node && Scalar(node, $"{path}.{key}") is { Length: > 0 } s)
        {
            return s;
        }
        if (Child(map, key) is null)
        {
            Error(map, $"{path}.{key}", "required");
        }
        return "";
    }

    private TimeSpan? RequiredMissing(YamlMappingNode map, string path, string key)
    {
        Error(map, $"{path}.{key}", "required");
        return null;
    }

    private double? RequiredMissingNumber(YamlMappingNode map, string path, string key)
    {
        Error(map, $"{path}.{key}", "required");
        return null;
    }

    private void CheckKeys(YamlMappingNode map, string path, string[] allowed)
    {
        foreach (var key in map.Children.Keys)
        {
            var k = (key as YamlScalarNode)?.Value;
            if (k is null || !allowed.Contains(k))
            {
                var field = path.Length == 0 ? k ?? "?" : $"{path}.{k}";
                Error(key, field, $"unknown field '{k}' (allowed: {string.Join(", ", allowed)})");
            }
        }
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private void Error(YamlNode node, string field, string message) =>
        _errors.Add(new RuleError(_file, (int)node.Start.Line, field, message));
}
