using CivicGrid.AntiFraud.Engine;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Streams;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace CivicGrid.AntiFraud.Features.Ingest;

public sealed record IngestResult(long Accepted, long Duplicates, long Rejected, IReadOnlyList<LineRejection> Rejections);

/// <summary>
/// POST /api/v1/antifraud/events: a data partner's batch of events, one JSON object per line (application/x-ndjson).
/// Each line is accepted, a duplicate (same event id, processed once) or rejected with its line number and reason; a bad
/// line never stops the batch. Needs the permission <see cref="Permissions.IngestEvents"/>, and, since the events feed the
/// whole district, a district-level account.
/// </summary>
public static class IngestApi
{
    public const string NdjsonType = "application/x-ndjson";

    public static RouteGroupBuilder MapIngestApi(this RouteGroupBuilder group)
    {
        // No Accepts(...) metadata on purpose: routing would answer a wrong Content-Type with a bare 415; the handler
        // answers 400 with a bilingual problem naming the body, as everywhere on the platform.
        group.MapPost("/events", PostEvents)
            .WithName("IngestEvents").WithSummary("接入预警事件（NDJSON，每行一个事件） / NDJSON batch of events (Content-Type: application/x-ndjson), one JSON event per line")
            .RequireAuthorization(p => p.RequireAssertion(c => Permissions.Has(c.User, Permissions.IngestEvents)));
        return group;
    }

    public static async Task<Results<Ok<IngestResult>, ProblemHttpResult, ValidationProblem>> PostEvents(
        HttpRequest request, HttpContext http, AntiFraudEngine engine, ILoggerFactory logs, CancellationToken ct)
    {
        // The feed covers the whole district: a town account, even one allowed to ingest, may not inject it.
        if (Acting.From(http).RequiredScope.Level != RegionLevel.District)
            return Problems.Forbidden("事件数据须由区级数据对接账号提交", "Events must be sent by a district-level data partner account");
        var type = request.ContentType?.Split(';')[0].Trim();
        if (type is not (NdjsonType or "application/jsonl" or "application/x-jsonlines"))
            return Problems.Field("body", $"请求体须为 NDJSON（Content-Type: {NdjsonType}），每行一个 JSON 事件",
                $"the body must be NDJSON (Content-Type: {NdjsonType}), one JSON event per line");
        var report = await NdjsonIngest.ReadAsync(request.Body, engine.Streams, ct);
        if (report.Accepted + report.Duplicates + report.Rejected == 0)
            return Problems.Field("body", "请求体为空", "the body is empty");
        // Not NDJSON at all (a JSON array, a form, binary): every line failed to parse as a JSON object.
        if (report.Accepted + report.Duplicates == 0 && report.Rejections.Count == report.Rejected
            && report.Rejections.All(r => r.Code is RejectionCodes.Malformed or RejectionCodes.TooLong))
        {
            return Problems.Field("body", $"请求体不是 NDJSON：{report.Rejected} 行都不是 JSON 事件对象，第 {report.Rejections[0].Line} 行：{report.Rejections[0].Message}",
                $"the body is not NDJSON: none of {report.Rejected} lines is a JSON event object; line {report.Rejections[0].Line}: {report.Rejections[0].Message}");
        }
        if (report.Rejected > 0)
        {
            logs.CreateLogger(typeof(IngestApi)).LogInformation("Ingest batch: {Accepted} accepted, {Duplicates} duplicates, {Rejected} rejected",
                report.Accepted, report.Duplicates, report.Rejected);
        }
        return TypedResults.Ok(new IngestResult(report.Accepted, report.Duplicates, report.Rejected, report.Rejections));
    }
}
