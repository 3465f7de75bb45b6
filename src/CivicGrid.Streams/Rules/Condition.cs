using System.Collections.Frozen;
using System.Linq.Expressions;
using System.Reflection;

namespace CivicGrid.Streams;

/// <summary>
/// A rule's `where`, as read from YAML: a small tree that <see cref="ConditionCompiler"/> turns into IL.
/// Kept after compilation so that all the rules of one event kind can be compiled together.
/// </summary>
internal abstract record Condition
{
    public static Condition True { get; } = new AllOf([]);

    /// <summary>Every attribute name the condition reads (interned).</summary>
    public abstract IEnumerable<string> Attributes();
}

internal sealed record AllOf(Condition[] Parts) : Condition
{
    public override IEnumerable<string> Attributes() => Parts.SelectMany(p => p.Attributes());
}

internal sealed record AnyOf(Condition[] Parts) : Condition
{
    public override IEnumerable<string> Attributes() => Parts.SelectMany(p => p.Attributes());
}

internal sealed record NotOf(Condition Inner) : Condition
{
    public override IEnumerable<string> Attributes() => Inner.Attributes();
}

internal enum AttributeOp
{
    Eq, Ne, Gt, Gte, Lt, Lte, In, NotIn, InList, NotInList, Prefix, Suffix, Contains, Exists,
}

/// <summary>
/// One test on one attribute. Operand by operator: Eq/Ne text (+ <see cref="Number"/> when it parses),
/// comparisons <see cref="Number"/>, In/NotIn <see cref="Set"/>, lists <see cref="List"/>,
/// Prefix/Suffix/Contains <see cref="Texts"/>, Exists <see cref="Want"/>.
/// </summary>
internal sealed record AttributeTest(string Attribute, AttributeOp Op) : Condition
{
    public string Text { get; init; } = "";
    public double Number { get; init; } = double.NaN;
    public FrozenSet<string>? Set { get; init; }
    public Watchlist? List { get; init; }
    public string[] Texts { get; init; } = [];
    public bool Want { get; init; }

    public override IEnumerable<string> Attributes() => [Attribute];
}

/// <summary>
/// Compiles conditions into one delegate with expression trees: the attributes a set of conditions
/// reads are located once per event (one pass over the event's few fields), then every test is inline
/// IL on the located field: no closure chains, no repeated lookups, no allocation.
/// Semantics (README): text comparisons ignore case; a missing attribute fails every operator except
/// `exists: false`; a numeric comparison on a non-number is false (NaN).
/// </summary>
internal static class ConditionCompiler
{
    private static readonly FieldInfo FieldsOfEvent = typeof(StreamEvent).GetField("_attributes", BindingFlags.Instance | BindingFlags.NonPublic)!;
    private static readonly PropertyInfo NameOf = typeof(EventField).GetProperty(nameof(EventField.Name))!;
    private static readonly PropertyInfo TextOf = typeof(EventField).GetProperty(nameof(EventField.Text))!;
    private static readonly PropertyInfo NumberOf = typeof(EventField).GetProperty(nameof(EventField.Number))!;
    private static readonly MethodInfo StringEquals = typeof(string).GetMethod(nameof(string.Equals), [typeof(string), typeof(string)])!;
    private static readonly MethodInfo StringEqualsIgnoreCase = typeof(string).GetMethod(nameof(string.Equals), [typeof(string), typeof(string), typeof(StringComparison)])!;
    private static readonly MethodInfo StartsWith = typeof(string).GetMethod(nameof(string.StartsWith), [typeof(string), typeof(StringComparison)])!;
    private static readonly MethodInfo EndsWith = typeof(string).GetMethod(nameof(string.EndsWith), [typeof(string), typeof(StringComparison)])!;
    private static readonly MethodInfo ContainsText = typeof(string).GetMethod(nameof(string.Contains), [typeof(string), typeof(StringComparison)])!;
    private static readonly MethodInfo SetContains = typeof(FrozenSet<string>).GetMethod(nameof(FrozenSet<string>.Contains), [typeof(string)])!;
    private static readonly MethodInfo ListContains = typeof(Watchlist).GetMethod(nameof(Watchlist.Contains), [typeof(string)])!;
    private static readonly ConstantExpression IgnoreCase = Expression.Constant(StringComparison.OrdinalIgnoreCase);
    private static readonly ConstantExpression Missing = Expression.Constant(-1);

    /// <summary>One condition as a predicate on an event (sequence steps, windows, tests).</summary>
    public static Func<StreamEvent, bool> Predicate(Condition condition)
    {
        if (condition is AllOf { Parts.Length: 0 })
        {
            return static _ => true;
        }
        var e = Expression.Parameter(typeof(StreamEvent), "e");
        var fields = Expression.Variable(typeof(EventField[]), "fields");
        var slots = Slots(condition.Attributes());
        var body = new List<Expression> { Expression.Assign(fields, Expression.Field(e, FieldsOfEvent)) };
        body.AddRange(Locate(fields, slots));
        body.Add(Test(condition, fields, slots));
        return Expression.Lambda<Func<StreamEvent, bool>>(
            Expression.Block([fields, .. slots.Values], body), e).Compile();
    }

    /// <summary>
    /// Up to 64 conditions as one function of an event's fields that returns a bit mask: bit i is set
    /// when conditions[i] holds (a null condition never holds: its rule is not decided here).
    /// </summary>
    public static Func<EventField[], ulong> Mask(IReadOnlyList<Condition?> conditions)
    {
        if (conditions.Count > 64)
        {
            throw new ArgumentOutOfRangeException(nameof(conditions), "at most 64 conditions per mask");
        }
        var fields = Expression.Parameter(typeof(EventField[]), "fields");
        var mask = Expression.Variable(typeof(ulong), "mask");
        var slots = Slots(conditions.Where(c => c is not null).SelectMany(c => c!.Attributes()));
        var body = new List<Expression>(Locate(fields, slots)) { Expression.Assign(mask, Expression.Constant(0UL)) };
        for (var i = 0; i < conditions.Count; i++)
        {
            if (conditions[i] is { } c)
            {
                body.Add(Expression.IfThen(Test(c, fields, slots), Expression.OrAssign(mask, Expression.Constant(1UL << i))));
            }
        }
        body.Add(mask);
        return Expression.Lambda<Func<EventField[], ulong>>(Expression.Block([mask, .. slots.Values], body), fields).Compile();
    }

    private static Dictionary<string, ParameterExpression> Slots(IEnumerable<string> attributes) =>
        attributes.Distinct(StringComparer.Ordinal).ToDictionary(a => a, a => Expression.Variable(typeof(int), "at_" + a), StringComparer.Ordinal);

    /// <summary>slot_a = -1 ...; for (k = 0; k &lt; fields.Length; k++) { name = fields[k].Name; if (name == "a") slot_a = k; else if ... }</summary>
    private static IEnumerable<Expression> Locate(ParameterExpression fields, Dictionary<string, ParameterExpression> slots)
    {
        foreach (var slot in slots.Values)
        {
            yield return Expression.Assign(slot, Missing);
        }
        if (slots.Count == 0)
        {
            yield break;
        }
        var k = Expression.Variable(typeof(int), "k");
        var name = Expression.Variable(typeof(string), "name");
        var end = Expression.Label("end");
        Expression chain = Expression.Empty();
        foreach (var (attribute, slot) in slots.Reverse())
        {
            // string.Equals checks the reference first: interned names answer without comparing text.
            chain = Expression.IfThenElse(Expression.Call(StringEquals, name, Expression.Constant(attribute)), Expression.Assign(slot, k), chain);
        }
        yield return Expression.Block([k, name],
            Expression.Assign(k, Expression.Constant(0)),
            Expression.Loop(
                Expression.IfThenElse(
                    Expression.LessThan(k, Expression.ArrayLength(fields)),
                    Expression.Block(
                        Expression.Assign(name, Expression.Property(Expression.ArrayIndex(fields, k), NameOf)),
                        chain,
                        Expression.PreIncrementAssign(k)),
                    Expression.Break(end)),
                end));
    }

    private static Expression Test(Condition c, ParameterExpression fields, Dictionary<string, ParameterExpression> slots) => c switch
    {
        AllOf all => all.Parts.Length == 0
            ? Expression.Constant(true)
            : all.Parts.Select(p => Test(p, fields, slots)).Aggregate(Expression.AndAlso),
        AnyOf any => any.Parts.Select(p => Test(p, fields, slots)).Aggregate(Expression.OrElse),
        NotOf not => Expression.Not(Test(not.Inner, fields, slots)),
        AttributeTest t => Attribute(t, fields, slots[t.Attribute]),
        _ => throw new NotSupportedException(c.GetType().Name),
    };

    private static Expression Attribute(AttributeTest t, ParameterExpression fields, ParameterExpression slot)
    {
        var present = Expression.GreaterThanOrEqual(slot, Expression.Constant(0));
        if (t.Op == AttributeOp.Exists)
        {
            return t.Want ? present : Expression.Not(present);
        }
        var field = Expression.ArrayIndex(fields, slot);
        var text = Expression.Property(field, TextOf);
        var number = Expression.Property(field, NumberOf);
        Expression Equal()
        {
            var textEqual = Expression.Call(StringEqualsIgnoreCase, text, Expression.Constant(t.Text), IgnoreCase);
            // `amount: 5000` also matches "5000.0": numbers compare as numbers when both sides are numeric.
            return double.IsNaN(t.Number)
                ? textEqual
                : Expression.Condition(Expression.Not(Expression.Call(typeof(double), nameof(double.IsNaN), null, number)),
                    Expression.Equal(number, Expression.Constant(t.Number)), textEqual);
        }
        Expression AnyText(MethodInfo method) =>
            t.Texts.Length == 0
                ? Expression.Constant(false)
                : t.Texts.Select(x => (Expression)Expression.Call(text, method, Expression.Constant(x), IgnoreCase)).Aggregate(Expression.OrElse);
        var test = t.Op switch
        {
            AttributeOp.Eq => Equal(),
            AttributeOp.Ne => Expression.Not(Equal()),
            AttributeOp.Gt => Expression.GreaterThan(number, Expression.Constant(t.Number)),
            AttributeOp.Gte => Expression.GreaterThanOrEqual(number, Expression.Constant(t.Number)),
            AttributeOp.Lt => Expression.LessThan(number, Expression.Constant(t.Number)),
            AttributeOp.Lte => Expression.LessThanOrEqual(number, Expression.Constant(t.Number)),
            AttributeOp.In => Expression.Call(Expression.Constant(t.Set), SetContains, text),
            AttributeOp.NotIn => Expression.Not(Expression.Call(Expression.Constant(t.Set), SetContains, text)),
            // The list object, not its contents, is compiled in: a reloaded list is seen by the next event.
            AttributeOp.InList => Expression.Call(Expression.Constant(t.List), ListContains, text),
            AttributeOp.NotInList => Expression.Not(Expression.Call(Expression.Constant(t.List), ListContains, text)),
            AttributeOp.Prefix => AnyText(StartsWith),
            AttributeOp.Suffix => AnyText(EndsWith),
            AttributeOp.Contains => AnyText(ContainsText),
            _ => throw new NotSupportedException(t.Op.ToString()),
        };
        return Expression.AndAlso(present, test);
    }
}
