using System.Buffers;
using System.Text;

namespace CivicGrid.Streams.Tests.Ingest;

public class NdjsonIngestTests
{
    private const string Rules = "rules:\n  - { id: big, category: t, weight: 100, match: { kind: transfer_out, where: { amount: { gte: 5000 } } } }\n";

    [Fact]
    public async Task ReadAsync_MixedBatch_CountsAcceptedAndRejectsPerLine()
    {
        var t = new TestBed(Rules);
        var now = t.Time.GetUtcNow().ToString("O");
        var body = string.Join('\n',
            $$$"""{"id":"n1","subject":"bi:a","kind":"transfer_out","time":"{{{now}}}","attributes":{"amount":8000,"account":"622200"}}""",
            """{"id":"n2","subject":"bi:a",""",
            $$$"""{"id":"n3","subject":"bi:a","kind":"warp","time":"{{{now}}}"}""",
            "",
            $$$"""{"id":"n4","subject":"bi:a","kind":"transfer_out","time":"{{{now}}}","attributes":{"account":"622200"}}""",
            $$$"""{"id":"n1","subject":"bi:a","kind":"transfer_out","time":"{{{now}}}","attributes":{"amount":8000,"account":"622200"}}""",
            $$$"""{"id":"n5","subject":"bi:a","kind":"transfer_out","time":"not a time","attributes":{"amount":1,"account":"x"}}""",
            $$$"""{"id":"n6","subject":"bi:b","kind":"transfer_out","time":"{{{now}}}","attributes":{"amount":9e15,"account":"x"}}""") + "\n";

        var report = await NdjsonIngest.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), t.Engine);

        Assert.Equal(1, report.Accepted);
        Assert.Equal(1, report.Duplicates);
        Assert.Equal(5, report.Rejected);
        Assert.Equal(
            [(2L, RejectionCodes.Malformed), (3, RejectionCodes.UnknownKind), (5, RejectionCodes.MissingField), (7, RejectionCodes.BadTime), (8, RejectionCodes.AbsurdValue)],
            report.Rejections.Select(r => (r.Line, r.Code)));
        Assert.Contains("attributes.amount", report.Rejections[2].Message);
        Assert.Single(t.Alerts);
    }

    [Fact]
    public void Read_SequenceSplitAcrossSegmentsWithoutFinalNewline_ReadsAllLines()
    {
        var t = new TestBed(Rules);
        var now = t.Time.GetUtcNow().ToString("O");
        var lines = Enumerable.Range(1, 50).Select(i =>
            $$$"""{"id":"s{{{i}}}","subject":"bi:{{{i}}}","kind":"call","time":"{{{now}}}","attributes":{"number":"95","direction":"in","duration":3}}""");
        var bytes = Encoding.UTF8.GetBytes(string.Join("\r\n", lines));

        var report = NdjsonIngest.Read(Segments.Split(bytes, 7), t.Engine);

        Assert.Equal(50, report.Accepted);
        Assert.Equal(0, report.Rejected);
    }

    [Fact]
    public async Task ReadAsync_OverlongLine_RejectedAndNextLineRead()
    {
        var t = new TestBed(Rules);
        var now = t.Time.GetUtcNow().ToString("O");
        var body = new string('x', NdjsonIngest.MaxLineBytes * 3) + "\n" +
            $$$"""{"id":"ok","subject":"bi:a","kind":"call","time":"{{{now}}}","attributes":{"number":"1","direction":"in"}}""" + "\n";

        var report = await NdjsonIngest.ReadAsync(new MemoryStream(Encoding.UTF8.GetBytes(body)), t.Engine);

        Assert.Equal(1, report.Accepted);
        Assert.Equal(RejectionCodes.TooLong, Assert.Single(report.Rejections).Code);
    }

    [Fact]
    public void Serialize_ThenParse_RoundTrips()
    {
        var e = StreamEvent.Create("r1", "bi:a", "transfer_out", DateTimeOffset.Parse("2025-03-01T09:00:00+08:00"), ("amount", 1234.5), ("account", "62220001"));

        var back = EventJson.Parse(EventJson.Serialize(e), out var rejection);

        Assert.Null(rejection);
        Assert.Equal(e.Time, back!.Time);
        Assert.Equal(1234.5, back.Number("amount"));
        Assert.Equal("62220001", back.Text("account"));
    }

    private sealed class Segments : ReadOnlySequenceSegment<byte>
    {
        private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public static ReadOnlySequence<byte> Split(byte[] data, int size)
        {
            var first = new Segments(data.AsMemory(0, Math.Min(size, data.Length)), 0);
            var last = first;
            for (var i = size; i < data.Length; i += size)
            {
                var next = new Segments(data.AsMemory(i, Math.Min(size, data.Length - i)), i);
                last.Next = next;
                last = next;
            }
            return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
        }
    }
}
