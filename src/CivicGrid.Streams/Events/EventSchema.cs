namespace CivicGrid.Streams;

/// <summary>
/// What a valid event looks like: the known kinds with the attributes each one requires, the numeric
/// attributes with their sane range, and how far event time may stray from the clock.
/// </summary>
public sealed class EventSchema
{
    private readonly Dictionary<string, string[]> _kinds = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (double Min, double Max)> _numeric = new(StringComparer.Ordinal);
    private (string Name, (double Min, double Max) Range)[]? _numericFrozen;
    private string[]?[]? _kindIndex;

    /// <summary>The kinds of the anti-fraud feed (call, sms, app_install, url_visit, transfers, IM contacts).</summary>
    public static EventSchema Default { get; } = new EventSchema()
        .Kind("call", "number", "direction")
        .Kind("sms", "number", "direction")
        .Kind("app_install", "app")
        .Kind("url_visit", "domain")
        .Kind("transfer_out", "amount", "account")
        .Kind("transfer_in", "amount", "account")
        .Kind("im_contact", "contact")
        // A transfer above 100 million yuan from a resident's account is not a real event: reject it.
        .Numeric("amount", 0, 100_000_000)
        .Numeric("duration", 0, 7 * 24 * 3600);

    public TimeSpan MaxAge { get; init; } = TimeSpan.FromDays(30);
    public TimeSpan MaxFutureSkew { get; init; } = TimeSpan.FromMinutes(5);
    public int MaxIdLength { get; init; } = 128;
    public int MaxAttributes { get; init; } = 32;
    public int MaxValueLength { get; init; } = 512;

    public IReadOnlyCollection<string> Kinds => _kinds.Keys;

    public EventSchema Kind(string kind, params string[] requiredAttributes)
    {
        _kinds[EventKinds.Intern(kind).Kind] = requiredAttributes;
        _kindIndex = null;
        return this;
    }

    public EventSchema Numeric(string attribute, double min, double max)
    {
        _numeric[attribute] = (min, max);
        _numericFrozen = null;
        return this;
    }

    public bool IsKnownKind(string kind) => _kinds.ContainsKey(kind);


    /// <summary>Null when the event is acceptable, else why it is not.</summary>
    public Rejection? Validate(StreamEvent e, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(e.Id) || e.Id.Length > MaxIdLength)
        {
            return new Rejection(RejectionCodes.MissingField, "id: missing or longer than " + MaxIdLength);
        }
        if (string.IsNullOrWhiteSpace(e.Subject) || e.Subject.Length > MaxIdLength)
        {
            return new Rejection(RejectionCodes.MissingField, "subject: missing or longer than " + MaxIdLength);
        }
        if (LooksLikePlainIdentity(e.Subject))
        {
            return new Rejection(RejectionCodes.PlainIdentity, "subject: looks like a plain ID or phone number; send its blind-index key");
        }
        var kinds = _kindIndex ??= EventKinds.Index(_kinds);
        var required = EventKinds.Find(kinds, e.KindId);
        if (required is null && (e.KindId >= 0 || !_kinds.TryGetValue(e.Kind, out required)))
        {
            return new Rejection(RejectionCodes.UnknownKind, $"kind: unknown kind '{Truncate(e.Kind)}'");
        }
        var ticks = e.Ticks;
        var nowTicks = now.UtcTicks;
        if (ticks < nowTicks - MaxAge.Ticks || ticks > nowTicks + MaxFutureSkew.Ticks)
        {
            return new Rejection(RejectionCodes.BadTime, $"time: {e.Time:O} is outside [now - {MaxAge}, now + {MaxFutureSkew}]");
        }
        var fields = e.Fields; // the array itself: an interface enumerator would allocate per event
        if (fields.Length > MaxAttributes)
        {
            return new Rejection(RejectionCodes.Malformed, $"attributes: more than {MaxAttributes}");
        }
        foreach (var name in required)
        {
            if (!e.TryGet(name, out var a) || a.Text.Length == 0)
            {
                return new Rejection(RejectionCodes.MissingField, $"attributes.{name}: required for kind '{e.Kind}'");
            }
        }
        // A schema has a handful of numeric attributes: comparing names (interned, so usually by
        // reference) beats hashing each attribute name of each event.
        var numeric = _numericFrozen ??= _numeric.Select(n => (AttributeNames.Intern(n.Key), n.Value)).ToArray();
        foreach (var a in fields)
        {
            if (a.Text.Length > MaxValueLength)
            {
                return new Rejection(RejectionCodes.Malformed, $"attributes.{Truncate(a.Name)}: longer than {MaxValueLength}");
            }
            if (NumericRange(numeric, a.Name) is { } range)
            {
                if (!a.IsNumber)
                {
                    return new Rejection(RejectionCodes.Malformed, $"attributes.{a.Name}: '{Truncate(a.Text)}' is not a number");
                }
                if (a.Number < range.Min || a.Number > range.Max)
                {
                    return new Rejection(RejectionCodes.AbsurdValue, $"attributes.{a.Name}: {a.Number} is outside [{range.Min}, {range.Max}]");
                }
            }
        }
        return null;
    }

    private static (double Min, double Max)? NumericRange((string Name, (double Min, double Max) Range)[] numeric, string name)
    {
        foreach (var (n, range) in numeric)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                return range;
            }
        }
        return null;
    }

    // 11-digit mobile numbers and 15/18-character resident ID numbers must never be used as subjects.
    private static bool LooksLikePlainIdentity(string s)
    {
        if (s.Length is not (11 or 15 or 18))
        {
            return false;
        }
        for (var i = 0; i < s.Length; i++)
        {
            var c = s[i];
            var lastX = i == s.Length - 1 && (c == 'X' || c == 'x') && s.Length == 18;
            if (!char.IsAsciiDigit(c) && !lastX)
            {
                return false;
            }
        }
        return true;
    }

    private static string Truncate(string s) => s.Length <= 40 ? s : s[..40] + "…";
}

/// <summary>Why an event was not accepted. <see cref="Code"/> is stable (for counters), the message names the field.</summary>
public sealed record Rejection(string Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

public static class RejectionCodes
{
    public const string Malformed = "malformed";
    public const string MissingField = "missing_field";
    public const string UnknownKind = "unknown_kind";
    public const string BadTime = "bad_time";
    public const string AbsurdValue = "absurd_value";
    public const string PlainIdentity = "plain_identity";
    public const string Duplicate = "duplicate";
    public const string TooLong = "too_long";
}
