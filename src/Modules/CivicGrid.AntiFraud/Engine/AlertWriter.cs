using System.Globalization;
using System.Text.Json;
using CivicGrid.AntiFraud.Data;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Population.Contracts;
using CivicGrid.Streams;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CivicGrid.AntiFraud.Engine;

/// <summary>One event of an alert's evidence as stored and shown.</summary>
internal sealed record EvidenceItem(string Id, string Kind, DateTimeOffset Time, Dictionary<string, string> Attributes);

/// <summary>
/// Starts the engine with the host and stores its alerts: routed to a station, deduplicated per subject and rule within
/// the rule's cooldown (as the engine does, again here so a restart without snapshot does not double an alert), saved in
/// batches with their audit line, then announced to open boards.
/// </summary>
internal sealed class AlertWriter(AntiFraudEngine engine, IDbContextFactory<AntiFraudDbContext> dbs, IServiceScopeFactory scopes,
    StationDirectory stations, AlertNotifier notifier, TimeProvider time, ILogger<AlertWriter> log) : BackgroundService
{
    private const int MaxBatch = 500;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        engine.Streams.Start();
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var reader = engine.Pending;
        var batch = new List<Alert>(MaxBatch);
        try
        {
            while (await reader.WaitToReadAsync(stoppingToken))
            {
                while (batch.Count < MaxBatch && reader.TryRead(out var alert)) batch.Add(alert);
                // Keep the batch until it is stored: a database hiccup delays alerts, it does not lose them.
                for (var attempt = 1; ; attempt++)
                {
                    try
                    {
                        await StoreAsync(batch, stoppingToken);
                        break;
                    }
                    catch (Exception e) when (e is DbUpdateException or InvalidOperationException or System.Data.Common.DbException && !stoppingToken.IsCancellationRequested)
                    {
                        log.LogError(e, "Storing {Count} anti-fraud alerts failed (attempt {Attempt}); retrying", batch.Count, attempt);
                        await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(5000, 100 * attempt)), time, stoppingToken);
                    }
                }
                batch.Clear();
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        // Writes the snapshot of open windows, so a restart does not forget the call that preceded the transfer.
        try
        {
            await engine.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            log.LogError(e, "The anti-fraud snapshot could not be written to {Path}; open windows are lost at this restart", engine.SnapshotPath);
        }
    }

    internal async Task StoreAsync(IReadOnlyList<Alert> alerts, CancellationToken ct)
    {
        if (alerts.Count == 0) return;
        await using var db = await dbs.CreateDbContextAsync(ct);
        using var scope = scopes.CreateScope();
        var residences = scope.ServiceProvider.GetRequiredService<ResidenceDirectory>();
        var now = time.GetUtcNow().UtcDateTime;
        var cooldowns = engine.Streams.Rules.Rules.ToDictionary(r => r.Id, r => r.Cooldown ?? engine.Streams.Options.DefaultCooldown);
        DateTime Since(Alert a) => a.Time.UtcDateTime - cooldowns.GetValueOrDefault(a.RuleId, engine.Streams.Options.DefaultCooldown);

        // One query each for the whole batch, not one per alert: the alerts already stored for these subjects within the
        // longest cooldown involved, and where these subjects live.
        var subjects = alerts.Select(a => a.Subject).Distinct(StringComparer.Ordinal).ToList();
        var earliest = alerts.Min(Since);
        var stored = await db.Alerts.AsNoTracking()
            .Where(x => subjects.Contains(x.Subject) && x.EventTime > earliest)
            .Select(x => new { x.Subject, x.RuleId, x.EventTime })
            .ToListAsync(ct);
        var homes = await residences.FindManyAsync(subjects, ct);

        var added = new List<FraudAlert>();
        foreach (var a in alerts)
        {
            var eventTime = a.Time.UtcDateTime;
            var since = Since(a);
            if (added.Any(x => x.Subject == a.Subject && x.RuleId == a.RuleId && x.EventTime > since)
                || stored.Any(x => x.Subject == a.Subject && x.RuleId == a.RuleId && x.EventTime > since))
            {
                continue;
            }
            var residence = homes.GetValueOrDefault(a.Subject);
            var station = await stations.ForResidenceAsync(residence?.RegionPath, ct);
            var row = new FraudAlert
            {
                Subject = a.Subject, RuleId = a.RuleId, Category = a.Category, Description = a.Description,
                Response = ResponseName(a.Response), Score = Math.Round(a.Score, 1), EventTime = eventTime,
                RaisedAt = a.RaisedAt.UtcDateTime, StoredAt = now,
                RegionPath = residence?.RegionPath ?? station.Path, StationRegionId = station.RegionId, StationName = station.Name,
                ResidentId = residence?.ResidentId, AddressId = residence?.AddressId,
                Evidence = JsonSerializer.Serialize(a.Evidence.Select(ToEvidence).ToList(), EvidenceJson),
            };
            db.Alerts.Add(row);
            added.Add(row);
        }
        if (added.Count == 0) return;
        // The alerts and their audit lines commit together; the audit lines need the alerts' ids.
        await db.SaveAuditedAsync(Actor.System, now, async ct =>
        {
            await db.SaveChangesAsync(ct);
            return added.Select(row => new AuditLine("antifraud.alert.raise", $"alert:{row.Id}",
                string.Create(CultureInfo.InvariantCulture, $"{row.RuleId} score {row.Score} → station {row.StationRegionId}"))).ToList();
        }, ct);
        foreach (var row in added)
            Kernel.Operations.PlatformMetrics.AlertStoreLatency.Record((now - row.RaisedAt).TotalMilliseconds, Kernel.Operations.PlatformMetrics.Tag("rule", row.RuleId));
        notifier.Notify(added.Select(r => r.RegionPath).Distinct().ToList());
    }

    public static string ResponseName(ResponseLevel level) => level switch
    {
        ResponseLevel.Visit => "visit",
        ResponseLevel.Call96110 => "call_96110",
        ResponseLevel.Sms12381 => "sms_12381",
        _ => level.ToString().ToLowerInvariant(),
    };

    public static readonly JsonSerializerOptions EvidenceJson = new(JsonSerializerDefaults.Web)
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>
    /// Counterparty numbers stay (they are the fraudster's, and the officer needs them), but an 11-digit mainland mobile
    /// may be a neighbour's or a relative's: it is stored masked.
    /// </summary>
    internal static EvidenceItem ToEvidence(StreamEvent e) => new(e.Id, e.Kind, e.Time,
        e.Attributes.ToDictionary(a => a.Name, a => a.Name == "number" && MobileNumber.IsValid(a.Text) ? Mask.Phone(a.Text) : a.Text));
}
