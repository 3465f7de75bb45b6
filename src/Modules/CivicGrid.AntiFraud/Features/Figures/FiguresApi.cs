using CivicGrid.AntiFraud.Data;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.AntiFraud.Features.Figures;

/// <summary>The seed's two numbers and what explains them, for one area.</summary>
/// <param name="DissuadedPeople">Distinct residents with at least one "dissuaded" outcome.</param>
/// <param name="MedianMinutesToFirstContact">Median time from the alert being raised to the first officer contact, over contacted alerts.</param>
public sealed record Figures(int Alerts, int OpenAlerts, int DissuadedPeople, long AmountProtected, double? MedianMinutesToFirstContact,
    IReadOnlyList<RuleFigures> PerRule);

/// <summary>False alarms of a rule out of its alerts with a recorded outcome: the feedback the rule authors need.</summary>
public sealed record RuleFigures(string RuleId, string Category, int Alerts, int Decided, int FalseAlarms)
{
    public double? FalseAlarmRate => Decided == 0 ? null : Math.Round((double)FalseAlarms / Decided, 3);
}

public sealed record StationFigures(int StationRegionId, string StationName, Figures Figures);

public sealed record AreaFigures(int RegionId, string RegionName, RegionLevel Level, Figures Total, IReadOnlyList<StationFigures> Stations);

/// <summary>GET /api/v1/antifraud/regions/{id}/figures: figures of a district, town (= its station) or smaller area, with one row per station.</summary>
public static class FiguresApi
{
    public static RouteGroupBuilder MapFiguresApi(this RouteGroupBuilder group)
    {
        group.MapGet("/regions/{id:int}/figures", Get).WithName("GetAntiFraudFigures").WithSummary("反诈统计：预警、劝阻、止损 / Anti-fraud figures: alerts, dissuasions, money saved").RequireAuthorization(p => p.RequireRole(AntiFraudModule.AlertRoles));
        return group;
    }

    public static async Task<Results<Ok<AreaFigures>, ProblemHttpResult>> Get(int id, HttpContext http, AntiFraudDbContext db, RegionDirectory regions, CancellationToken ct)
    {
        var region = await regions.FindInScopeAsync(id, Acting.From(http).RequiredScope, ct);
        if (region is null) return Problems.RegionNotFound();
        var figures = await ComputeAsync(db, region.Scope, ct);
        return TypedResults.Ok(figures with { RegionName = region.Name });
    }

    /// <summary>
    /// Counts and sums are grouped by the database (per station and rule); only the contacted alerts' two times come back,
    /// for the median, which has no portable SQL form. Contacts are bounded by officers' work (thousands a year), while
    /// alerts are not, so nothing here grows with the alert history.
    /// </summary>
    public static async Task<AreaFigures> ComputeAsync(AntiFraudDbContext db, RegionScope scope, CancellationToken ct)
    {
        var alerts = db.Alerts.AsNoTracking().InScope(scope);
        var groups = await alerts.GroupBy(a => new { a.StationRegionId, a.StationName, a.RuleId, a.Category })
            .Select(g => new Group(g.Key.StationRegionId, g.Key.StationName, g.Key.RuleId, g.Key.Category, g.Count(), g.Count(a => a.Open),
                g.Count(a => a.Outcome != null && a.Outcome != "unreachable"), g.Count(a => a.Outcome == "false_alarm"), g.Sum(a => a.AmountProtected)))
            .ToListAsync(ct);
        var contacts = await alerts.Where(a => a.FirstContactAt != null)
            .Select(a => new Contact(a.StationRegionId, a.RaisedAt, a.FirstContactAt!.Value)).ToListAsync(ct);
        var dissuaded = await db.Dissuasions.AsNoTracking().InScope(scope).Where(d => d.Outcome == "dissuaded")
            .Join(db.Alerts, d => d.AlertId, a => a.Id, (d, a) => new Person(a.StationRegionId, a.Subject)).Distinct().ToListAsync(ct);
        var stations = groups.GroupBy(g => (g.StationRegionId, g.StationName))
            .Select(s => new StationFigures(s.Key.StationRegionId, s.Key.StationName, Of(s.ToList(),
                contacts.Where(c => c.StationRegionId == s.Key.StationRegionId).ToList(),
                dissuaded.Where(d => d.StationRegionId == s.Key.StationRegionId).Select(d => d.Subject).Distinct().Count())))
            .OrderByDescending(s => s.Figures.Alerts).ToList();
        return new AreaFigures(scope.RegionId, "", scope.Level, Of(groups, contacts, dissuaded.Select(d => d.Subject).Distinct().Count()), stations);
    }

    private sealed record Group(int StationRegionId, string StationName, string RuleId, string Category, int Alerts, int Open, int Decided, int FalseAlarms, long Amount);

    private sealed record Contact(int StationRegionId, DateTime RaisedAt, DateTime FirstContactAt);

    private sealed record Person(int StationRegionId, string Subject);

    private static Figures Of(List<Group> groups, List<Contact> contacts, int dissuadedPeople)
    {
        var minutes = contacts.Select(c => (c.FirstContactAt - c.RaisedAt).TotalMinutes).Order().ToList();
        double? median = minutes.Count == 0 ? null
            : Math.Round(minutes.Count % 2 == 1 ? minutes[minutes.Count / 2] : (minutes[minutes.Count / 2 - 1] + minutes[minutes.Count / 2]) / 2, 1);
        var perRule = groups.GroupBy(g => (g.RuleId, g.Category))
            .Select(r => new RuleFigures(r.Key.RuleId, r.Key.Category, r.Sum(g => g.Alerts), r.Sum(g => g.Decided), r.Sum(g => g.FalseAlarms)))
            .OrderByDescending(r => r.Alerts).ThenBy(r => r.RuleId).ToList();
        return new Figures(groups.Sum(g => g.Alerts), groups.Sum(g => g.Open), dissuadedPeople, groups.Sum(g => g.Amount), median, perRule);
    }
}
