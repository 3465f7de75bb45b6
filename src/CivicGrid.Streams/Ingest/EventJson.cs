using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace CivicGrid.Streams;

/// <summary>
/// The wire form of an event, one JSON object (one NDJSON line, one NATS message):
/// <c>{"id":"e1","subject":"bi:7f3a…","kind":"call","time":"2025-03-01T09:00:00+08:00","attributes":{"number":"+85212345678","direction":"in","duration":900}}</c>
/// </summary>
public static class EventJson
{
    /// <summary>Parses one event. Returns null with a reason when the JSON is malformed or a field is missing.</summary>
    public static StreamEvent? Parse(ReadOnlySequence<byte> json, out Rejection? rejection)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4 });
        try
        {
            return Read(ref reader, out rejection);
        }
        catch (JsonException ex)
        {
            rejection = new Rejection(RejectionCodes.Malformed, "json: " + FirstLine(ex.Message));
            return null;
        }
    }

    public static StreamEvent? Parse(ReadOnlySpan<byte> json, out Rejection? rejection)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 4 });
        try
        {
            return Read(ref reader, out rejection);
        }
        catch (JsonException ex)
        {
            rejection = new Rejection(RejectionCodes.Malformed, "json: " + FirstLine(ex.Message));
            return null;
        }
    }

    private static StreamEvent? Read(ref Utf8JsonReader reader, out Rejection? rejection)
    {
        rejection = null;
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            rejection = new Rejection(RejectionCodes.Malformed, "json: expected an object");
            return null;
        }
        string? id = null, subject = null, kind = null;
        DateTimeOffset? time = null;
        var attributes = new List<EventField>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.GetString();
            reader.Read();
            switch (property)
            {
                case "id":
                    id = Text(ref reader, "id", ref rejection);
                    break;
                case "subject":
                    subject = Text(ref reader, "subject", ref rejection);
                    break;
                case "kind":
                    kind = Text(ref reader, "kind", ref rejection);
                    break;
                case "time":
                    if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var t))
                    {
                        time = t;
                    }
                    else
                    {
                        rejection ??= new Rejection(RejectionCodes.BadTime, "time: must be an ISO 8601 date-time with offset");
                    }
                    break;
                case "attributes":
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        rejection ??= new Rejection(RejectionCodes.Malformed, "attributes: must be an object");
                        reader.Skip();
                        break;
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var name = AttributeNames.Intern(reader.GetString()!);
                        reader.Read();
                        switch (reader.TokenType)
                        {
                            case JsonTokenType.String:
                                attributes.Add(EventField.Of(name, reader.GetString()!));
                                break;
                            case JsonTokenType.Number:
                                var raw = Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan);
                                attributes.Add(new EventField(name, raw, reader.TryGetDouble(out var d) && double.IsFinite(d) ? d : double.NaN));
                                break;
                            case JsonTokenType.True or JsonTokenType.False:
                                attributes.Add(EventField.Of(name, reader.GetBoolean() ? "true" : "false"));
                                break;
                            case JsonTokenType.Null:
                                break;
                            default:
                                rejection ??= new Rejection(RejectionCodes.Malformed, $"attributes.{name}: must be a string, number or boolean");
                                reader.Skip();
                                break;
                        }
                    }
                    break;
                default:
                    reader.Skip(); // unknown fields are ignored, so producers can add fields first
                    break;
            }
        }
        if (rejection is not null)
        {
            return null;
        }
        foreach (var (value, field) in new[] { (id, "id"), (subject, "subject"), (kind, "kind") })
        {
            if (string.IsNullOrEmpty(value))
            {
                rejection = new Rejection(RejectionCodes.MissingField, field + ": required");
                return null;
            }
        }
        if (time is null)
        {
            rejection = new Rejection(RejectionCodes.MissingField, "time: required");
            return null;
        }
        return new StreamEvent(id!, subject!, kind!, time.Value, attributes.ToArray());
    }

    private static string? Text(ref Utf8JsonReader reader, string field, ref Rejection? rejection)
    {
        if (reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }
        rejection ??= new Rejection(RejectionCodes.Malformed, field + ": must be a string");
        reader.Skip();
        return null;
    }

    /// <summary>Writes the wire form (UTF-8 JSON, no trailing newline).</summary>
    public static byte[] Serialize(StreamEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("id", e.Id);
            w.WriteString("subject", e.Subject);
            w.WriteString("kind", e.Kind);
            w.WriteString("time", e.Time);
            w.WriteStartObject("attributes");
            foreach (var a in e.Attributes)
            {
                if (a.IsNumber && a.Text == a.Number.ToString(CultureInfo.InvariantCulture))
                {
                    w.WriteNumber(a.Name, a.Number);
                }
                else
                {
                    w.WriteString(a.Name, a.Text);
                }
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();
}
