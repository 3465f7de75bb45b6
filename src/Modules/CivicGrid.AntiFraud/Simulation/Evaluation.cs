using System.Globalization;
using System.Text;
using CivicGrid.Streams;

namespace CivicGrid.AntiFraud.Simulation;

/// <summary>Precision and recall for one fraud type, by resident (several alerts for one victim count once).</summary>
internal sealed record TypeResult(
    string Type,
    int Scenarios,
    int Detected,
    int AlertedSubjects,
    int CorrectSubjects,
    /// <summary>Median time from the decisive event (money leaving) to the first alert; negative = warned before.</summary>
    TimeSpan? MedianLatency,
    int WarnedBeforeMoneyLeft)
{
    public double Recall => Scenarios == 0 ? 0 : (double)Detected / Scenarios;
    public double Precision => AlertedSubjects == 0 ? 0 : (double)CorrectSubjects / AlertedSubjects;
}

internal sealed record EvaluationReport(IReadOnlyList<TypeResult> PerType, int Events, int Alerts, int AlertedSubjects, int CorrectSubjects, int Scenarios, int Detected, TimeSpan? MedianLatency, TimeSpan? P90Latency)
{
    public double Precision => AlertedSubjects == 0 ? 0 : (double)CorrectSubjects / AlertedSubjects;
    public double Recall => Scenarios == 0 ? 0 : (double)Detected / Scenarios;

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"type",-12} scenarios detected recall precision median_latency warned_before");
        foreach (var t in PerType)
        {
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{t.Type,-12} {t.Scenarios,9} {t.Detected,8} {t.Recall,6:P0} {t.Precision,9:P0} {Format(t.MedianLatency),14} {t.WarnedBeforeMoneyLeft,13}");
        }
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"all: {Events} events, {Alerts} alerts on {AlertedSubjects} residents, precision {Precision:P1}, recall {Recall:P1}, latency median {Format(MedianLatency)} p90 {Format(P90Latency)}");
        return sb.ToString();
    }

    private static string Format(TimeSpan? t) => t is { } v ? (v < TimeSpan.Zero ? "-" : "") + v.Duration().ToString(@"hh\:mm\:ss", CultureInfo.InvariantCulture) : "n/a";
}

/// <summary>Runs the rule pack over a labelled simulated stream and scores it against the ground truth.</summary>
internal static class Evaluation
{
    /// <summary>How long after a scenario's last event an alert still counts as catching it.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromHours(1);

    public static EvaluationReport Run(SimulationRun run, RulePack rules)
    {
        var clock = new ManualClock(run.Options.Start);
        var alerts = new List<Alert>();
        var engine = new StreamEngine(rules, new EngineOptions
        {
            Time = clock,
            Shards = 1,
            OnAlert = alerts.Add,
            AllowedLateness = TimeSpan.Zero,
        });
        var nextTick = run.Options.Start + TimeSpan.FromMinutes(1);
        foreach (var e in run.Events)
        {
            while (e.Time >= nextTick)
            {
                clock.Now = nextTick;
                engine.Tick();
                nextTick += TimeSpan.FromMinutes(1);
            }
            clock.Now = e.Time;
            engine.Process(e);
        }
        clock.Now = run.Options.Start + TimeSpan.FromHours(run.Options.Hours + 48);
        engine.Tick(); // decide the negations still open at the end
        return Score(run, alerts);
    }

    internal static EvaluationReport Score(SimulationRun run, IReadOnlyList<Alert> alerts)
    {
        var bySubject = run.Scenarios.GroupBy(s => s.Subject).ToDictionary(g => g.Key, g => g.ToList());
        FraudScenario? ScenarioOf(Alert a) =>
            bySubject.TryGetValue(a.Subject, out var list)
                ? list.FirstOrDefault(s => a.Time >= s.Start && a.Time <= s.End + Grace)
                : null;

        var perType = new List<TypeResult>();
        var latencies = new List<TimeSpan>();
        foreach (var type in FraudTypes.All)
        {
            var scenarios = run.Scenarios.Where(s => s.Type == type).ToList();
            var typeLatencies = new List<TimeSpan>();
            var detected = 0;
            var before = 0;
            foreach (var s in scenarios)
            {
                var first = alerts.Where(a => a.Subject == s.Subject && a.Time >= s.Start && a.Time <= s.End + Grace).MinBy(a => a.Time);
                if (first is null)
                {
                    continue;
                }
                detected++;
                var latency = first.Time - s.DecisiveTime;
                typeLatencies.Add(latency);
                if (latency < TimeSpan.Zero)
                {
                    before++;
                }
            }
            latencies.AddRange(typeLatencies);
            var alerted = alerts.Where(a => a.Category == type).Select(a => a.Subject).ToHashSet();
            var correct = alerts.Where(a => a.Category == type && ScenarioOf(a)?.Type == type).Select(a => a.Subject).ToHashSet();
            perType.Add(new TypeResult(type, scenarios.Count, detected, alerted.Count, correct.Count, Median(typeLatencies), before));
        }
        var alertedSubjects = alerts.Select(a => a.Subject).ToHashSet();
        var correctSubjects = alerts.Where(a => ScenarioOf(a) is not null).Select(a => a.Subject).ToHashSet();
        latencies.Sort();
        return new EvaluationReport(perType, run.Events.Count, alerts.Count, alertedSubjects.Count, correctSubjects.Count,
            run.Scenarios.Count, perType.Sum(t => t.Detected), Median(latencies),
            latencies.Count == 0 ? null : latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(latencies.Count * 0.9) - 1)]);
    }

    private static TimeSpan? Median(List<TimeSpan> values)
    {
        if (values.Count == 0)
        {
            return null;
        }
        values.Sort();
        return values[values.Count / 2];
    }

    /// <summary>Simulated time, moved by the evaluation loop (no timers: the loop calls Tick itself).</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now.ToUniversalTime();
    }
}
