using System.Buffers;
using System.IO.Pipelines;

namespace CivicGrid.Streams;

/// <summary>One line of an NDJSON batch that was not accepted.</summary>
public readonly record struct LineRejection(long Line, string Code, string Message);

/// <summary>What became of an NDJSON batch: counts, and the reasons per rejected line (the first <see cref="NdjsonIngest.MaxReportedRejections"/>).</summary>
public sealed record IngestReport(long Accepted, long Duplicates, long Rejected, IReadOnlyList<LineRejection> Rejections);

/// <summary>
/// Reads newline-delimited JSON events (see <see cref="EventJson"/>) and hands each to the engine.
/// A bad line is counted with its reason and skipped; it never stops the batch.
/// </summary>
public static class NdjsonIngest
{
    public const int MaxLineBytes = 64 * 1024;
    public const int MaxReportedRejections = 1000;

    /// <summary>Reads a whole stream (an HTTP request body, a file).</summary>
    public static async Task<IngestReport> ReadAsync(Stream stream, StreamEngine engine, CancellationToken cancellationToken = default)
    {
        var pipe = PipeReader.Create(stream, new StreamPipeReaderOptions(leaveOpen: true));
        var batch = new Batch(engine);
        try
        {
            while (true)
            {
                var result = await pipe.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                var consumed = batch.ReadLines(buffer, isFinal: result.IsCompleted);
                pipe.AdvanceTo(consumed, buffer.End);
                if (result.IsCompleted)
                {
                    break;
                }
            }
        }
        finally
        {
            await pipe.CompleteAsync();
        }
        return batch.Report();
    }

    /// <summary>Reads a batch already in memory.</summary>
    public static IngestReport Read(ReadOnlySequence<byte> data, StreamEngine engine)
    {
        var batch = new Batch(engine);
        batch.ReadLines(data, isFinal: true);
        return batch.Report();
    }

    private sealed class Batch(StreamEngine engine)
    {
        private readonly List<LineRejection> _rejections = [];
        private long _line, _accepted, _duplicates, _rejected;
        private bool _skippingLongLine;

        /// <summary>Handles every complete line; returns where the unread rest begins.</summary>
        public SequencePosition ReadLines(ReadOnlySequence<byte> buffer, bool isFinal)
        {
            var reader = new SequenceReader<byte>(buffer);
            while (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                if (_skippingLongLine)
                {
                    _skippingLongLine = false; // the end of the over-long line
                    continue;
                }
                Line(line);
            }
            var rest = reader.UnreadSequence;
            if (isFinal && !rest.IsEmpty && !_skippingLongLine)
            {
                Line(rest);
                return buffer.End;
            }
            if (rest.Length > MaxLineBytes && !_skippingLongLine)
            {
                _line++;
                Reject(RejectionCodes.TooLong, $"line longer than {MaxLineBytes} bytes");
                _skippingLongLine = true;
                return buffer.End;
            }
            return _skippingLongLine ? buffer.End : reader.Position;
        }

        private void Line(ReadOnlySequence<byte> line)
        {
            _line++;
            if (line.Length > MaxLineBytes)
            {
                Reject(RejectionCodes.TooLong, $"line longer than {MaxLineBytes} bytes");
                return;
            }
            if (IsBlank(line))
            {
                return;
            }
            var e = EventJson.Parse(line, out var rejection);
            if (e is null)
            {
                engine.CountRejection(rejection!.Code);
                Reject(rejection.Code, rejection.Message);
                return;
            }
            var outcome = engine.Process(e);
            switch (outcome.Status)
            {
                case EventStatus.Accepted:
                    _accepted++;
                    break;
                case EventStatus.Duplicate:
                    _duplicates++;
                    break;
                default:
                    Reject(outcome.Rejection!.Code, outcome.Rejection.Message);
                    break;
            }
        }

        private void Reject(string code, string message)
        {
            _rejected++;
            if (_rejections.Count < MaxReportedRejections)
            {
                _rejections.Add(new LineRejection(_line, code, message));
            }
        }

        private static bool IsBlank(ReadOnlySequence<byte> line)
        {
            foreach (var segment in line)
            {
                foreach (var b in segment.Span)
                {
                    if (b is not ((byte)' ' or (byte)'\r' or (byte)'\t'))
                    {
                        return false;
                    }
                }
            }
            return true;
        }

        public IngestReport Report() => new(_accepted, _duplicates, _rejected, _rejections);
    }
}
