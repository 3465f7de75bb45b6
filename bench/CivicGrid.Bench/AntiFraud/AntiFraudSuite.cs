using System.Diagnostics;
using CivicGrid.AntiFraud;
using CivicGrid.AntiFraud.Simulation;
using CivicGrid.Streams;

namespace CivicGrid.Bench.AntiFraud;

/// <summary>
/// 反诈之眼 engine figures: stateless predicates against Microsoft RulesEngine and NRules on the same
/// events (like for like: RulePack.Match; and the full engine: StreamEngine.Process, see StatelessAsync),
/// the full rule pack (throughput and per-event latency on one core), memory per idle subject, and
/// precision/recall of the pack on the simulator's labelled stream.
/// </summary>
public sealed class AntiFraudSuite : BenchSuite
{
    public override string Name => "antifraud";

    public override async Task RunAsync(string[] args)
    {
        var quick = Quick(args);
        if (args.Contains("--e2e-only"))
        {
            // Just the platform figure (the engine figures above need no host): `antifraud --quick --e2e-only`. The full
            // suite runs this in a child process with the platform's GC settings (EndToEndInChildAsync).
            foreach (var (figure, value, unit) in await EndToEndBench.RunAsync(quick))
            {
                Result(figure, value, unit);
            }
            return;
        }
        var (pack, lists) = AntiFraudPack.Load();
        BenchLists.Lists = lists;

        var run = Simulator.Generate(new SimulationOptions { People = quick ? 4_000 : 20_000, Hours = 24, ScenariosPerType = quick ? 20 : 50, Seed = 42 });
        Console.WriteLine($"simulated {run.Events.Count:N0} events, {run.Scenarios.Count} fraud scenarios");

        await StatelessAsync(run, lists, quick);
        if (args.Contains("--stateless-only"))
        {
            return; // `antifraud --quick --stateless-only`: the peer comparison alone
        }
        Pack(run, pack);
        Accuracy(run, pack);
        IdleSubjects(pack, quick ? 200_000 : 1_000_000);
        await EndToEndInChildAsync(quick);
    }

    /// <summary>
    /// The end-to-end figure runs in a child process with the platform's own GC settings (CivicGrid.Web is an ASP.NET
    /// Core app: server GC, concurrent), not this process's (workstation, non-concurrent, chosen for the engine figures
    /// above), and without the garbage the figures above leave behind. The child prints its RESULT lines itself.
    /// </summary>
    private static async Task EndToEndInChildAsync(bool quick)
    {
        var self = Environment.ProcessPath!;
        var start = new ProcessStartInfo(self) { UseShellExecute = false };
        if (Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(AntiFraudSuite).Assembly.Location); // run as `dotnet CivicGrid.Bench.dll`
        }
        foreach (var arg in (string[])["antifraud", "--e2e-only", .. quick ? ["--quick"] : Array.Empty<string>()])
        {
            start.ArgumentList.Add(arg);
        }
        start.Environment["DOTNET_gcServer"] = "1";
        start.Environment["DOTNET_gcConcurrent"] = "1";
        await Console.Out.FlushAsync();
        using var child = Process.Start(start)!;
        await child.WaitForExitAsync();
        if (child.ExitCode != 0)
        {
            throw new InvalidOperationException($"the end-to-end run exited with {child.ExitCode}");
        }
    }

    private async Task StatelessAsync(SimulationRun run, Watchlists lists, bool quick)
    {
        // The same events for all three engines: the first `sample` events of the simulated day (every
        // event kind, everyday traffic and fraud alike), as our events and as typed facts for the peers.
        var sample = Math.Min(run.Events.Count, quick ? 20_000 : 50_000);
        var events = run.Events.Take(sample).ToArray();
        // Each fact with its own copies of the texts, allocated together, as a parser would make them.
        static string? Copy(string? text) => text is null ? null : new string(text);
        var facts = events.Select((e, i) => new BenchFact
        {
            Index = i, Kind = e.Kind, Number = Copy(e.Text("number")), Direction = Copy(e.Text("direction")), Duration = e.Number("duration"),
            Amount = e.Number("amount"), Account = Copy(e.Text("account")), App = Copy(e.Text("app")), Domain = Copy(e.Text("domain")),
        }).ToArray();
        var rules = RulePack.Parse(StatelessRules.Yaml(), lists, "bench-stateless.yaml");

        // 1. Same matches? Each engine records (event index, rule id) on the same events.
        var ours = new HashSet<(int, string)>();
        var index = new Dictionary<string, int>();
        for (var i = 0; i < sample; i++)
        {
            index[events[i].Id] = i;
        }
        var engine = NewEngine(rules, m => ours.Add((index[m.Evidence[0].Id], m.Rule.Id)));
        Measure(engine, events, ticks: false);

        var re = StatelessRules.RulesEngine();
        var theirs = new HashSet<(int, string)>();
        for (var i = 0; i < sample; i++)
        {
            foreach (var result in await re.ExecuteAllRulesAsync("bench", new RulesEngine.Models.RuleParameter("fact", facts[i])))
            {
                if (result.IsSuccess)
                {
                    theirs.Add((i, result.Rule.RuleName));
                }
                else if (!string.IsNullOrEmpty(result.ExceptionMessage))
                {
                    throw new InvalidOperationException(result.ExceptionMessage);
                }
            }
        }

        var nrulesMatches = new HashSet<(int, string)>();
        var factory = StatelessRules.NRules((i, id) => nrulesMatches.Add((i, id)));
        RunNRules(factory, facts);

        // The stateless matcher (RulePack.Match, the engine's own evaluation without state) on the same events.
        var matcher = new HashSet<(int, string)>();
        for (var i = 0; i < sample; i++)
        {
            foreach (var rule in rules.Match(events[i]))
            {
                matcher.Add((i, rule.Id));
            }
        }

        var identical = ours.SetEquals(theirs) && ours.SetEquals(nrulesMatches) && ours.SetEquals(matcher) && ours.Count > 0;
        Console.WriteLine($"stateless: {StatelessRules.Count} rules, {ours.Count} matches (ours: engine) / {matcher.Count} (ours: RulePack.Match) / {theirs.Count} (RulesEngine) / {nrulesMatches.Count} (NRules) on {sample} events");
        Result("matches_identical", identical ? 1 : 0, "bool");

        // 2. Throughput, one thread each, interleaved rounds, best lap per engine (each engine gets the same
        // number of laps). Time is the thread's CPU time (wall time where the OS does not give it): this
        // machine is shared with other builds, and wall time would measure the scheduler. What each figure
        // measures, per event of the same sample:
        // - stateless_events_per_s and speedup_vs_* (like for like): the work the peers do. Ours calls
        //   RulePack.Match (find the kind's compiled function, evaluate the 20 rules' conditions, enumerate
        //   the rules that hold) and invokes an action per match; RulesEngine runs ExecuteAllRulesAsync
        //   (all 20 rules, each starting with its kind test); NRules inserts a batch, fires (its action per
        //   match) and retracts. All three see every event of the sample, in order, every lap; nothing is
        //   filtered or cached outside the timed region; ours reads events and the peers read facts that
        //   were both copied from the simulator's events in order before timing, as a parser makes them. Ours repeats the sample MatcherPasses times per lap
        //   (a pass is well under a millisecond) and counts every pass.
        // - stateless_engine_events_per_s and speedup_vs_*_full_engine: ours through StreamEngine.Process,
        //   as in production: schema validation, dedup by event id (a 1M-id window), the same evaluation,
        //   and for each match the subject's state, cooldown and score (OnMatch not set). The peers' figures
        //   are the same laps as above.
        var matched = 0L;
        var countingFactory = StatelessRules.NRules((_, _) => matched++);
        var ourMatched = 0L;
        Action<int, string> ourAction = (_, _) => ourMatched++;
        var ourBest = Lap.None;
        var engineBest = Lap.None;
        var reBest = Lap.None;
        var nrBest = Lap.None;
        var rounds = quick ? 4 : 6;
        const int LapsPerRound = 3;
        const int MatcherPasses = 20;
        // The engine runs as it does in production: one long-lived engine (dedup window, subjects and
        // cooldowns warm). Each lap gets the same events under new ids, made before timing; the same ids
        // again would be duplicates, which is less work. Each copy is allocated in order with its own
        // attribute texts, as parsed events are (the peers' facts are made the same way above).
        var laps = Enumerable.Range(0, rounds * LapsPerRound)
            .Select(lap => events.Select(e => new StreamEvent($"{e.Id}#{lap}", e.Subject, e.Kind, e.Time,
                e.Fields.Select(f => f with { Text = new string(f.Text) }).ToArray())).ToArray())
            .ToArray();
        // The matcher reads the same events, made like the peers' facts: copies allocated in order, each
        // with its own attribute texts (the simulator's own objects are scattered over its whole run).
        var parsed = events.Select(e => new StreamEvent(e.Id, e.Subject, e.Kind, e.Time,
            e.Fields.Select(f => f with { Text = new string(f.Text) }).ToArray())).ToArray();
        var bed = NewEngine(rules, null);
        for (var round = 0; round < rounds; round++)
        {
            for (var rep = 0; rep < LapsPerRound; rep++)
            {
                var lap = Lap.Start();
                for (var pass = 0; pass < MatcherPasses; pass++)
                {
                    for (var i = 0; i < parsed.Length; i++)
                    {
                        foreach (var rule in rules.Match(parsed[i]))
                        {
                            ourAction(i, rule.Id);
                        }
                    }
                }
                ourBest = Lap.Best(ourBest, lap.Stop(sample * MatcherPasses));

                var engineLap = Lap.Start();
                Measure(bed, laps[round * LapsPerRound + rep], ticks: false);
                engineBest = Lap.Best(engineBest, engineLap.Stop(sample));

                var reLap = Lap.Start();
                for (var i = 0; i < sample; i++)
                {
                    await re.ExecuteAllRulesAsync("bench", new RulesEngine.Models.RuleParameter("fact", facts[i]));
                }
                reBest = Lap.Best(reBest, reLap.Stop(sample));

                var nrLap = Lap.Start();
                RunNRules(countingFactory, facts);
                nrBest = Lap.Best(nrBest, nrLap.Stop(sample));
            }
        }
        var stats = bed.Engine.Stats();
        var totalLaps = (long)rounds * LapsPerRound;
        if (stats.Accepted != totalLaps * sample || stats.Matches != totalLaps * ours.Count
            || matched != totalLaps * ours.Count || ourMatched != totalLaps * MatcherPasses * ours.Count)
        {
            throw new InvalidOperationException($"timed runs did different work: accepted {stats.Accepted}, matches {stats.Matches} (engine), "
                + $"{ourMatched} (RulePack.Match), {matched} (NRules); expected {ours.Count} matches per pass");
        }
        Console.WriteLine($"events/s (thread CPU time; wall time in brackets): ours {ourBest} (RulePack.Match), {engineBest} (StreamEngine.Process), RulesEngine {reBest}, NRules {nrBest}");
        Result("stateless_events_per_s", ourBest.Rate, "events/s");
        Result("speedup_vs_rulesengine", ourBest.Rate / reBest.Rate, "x");
        Result("speedup_vs_nrules", ourBest.Rate / nrBest.Rate, "x");
        Result("stateless_engine_events_per_s", engineBest.Rate, "events/s");
        Result("speedup_vs_rulesengine_full_engine", engineBest.Rate / reBest.Rate, "x");
        Result("speedup_vs_nrules_full_engine", engineBest.Rate / nrBest.Rate, "x");
    }

    private static void RunNRules(NRules.ISessionFactory factory, BenchFact[] facts)
    {
        // Insert a batch, fire, retract: NRules' intended use, and its fastest.
        var session = factory.CreateSession();
        const int Batch = 1000;
        for (var start = 0; start < facts.Length; start += Batch)
        {
            var batch = facts[start..Math.Min(start + Batch, facts.Length)];
            session.InsertAll(batch);
            session.Fire();
            session.RetractAll(batch);
        }
    }

    private void Pack(SimulationRun run, RulePack pack)
    {
        var events = run.Events;
        Measure(NewEngine(pack, null), events, latencies: null); // warm up
        var latencies = new long[events.Count];
        var bed = NewEngine(pack, null);
        var seconds = Measure(bed, events, latencies);
        Array.Sort(latencies);
        double Us(double q) => latencies[(int)Math.Min(latencies.Length - 1, q * latencies.Length)] * 1e6 / Stopwatch.Frequency;
        Console.WriteLine($"pack: {pack.Rules.Count} rules, {bed.Engine.Stats().Matches} matches, {bed.Engine.Stats().Alerts} alerts, {bed.Engine.Stats().Subjects} subjects tracked");
        Result("pack_events_per_s_per_core", events.Count / seconds, "events/s");
        Result("pack_p50_us", Us(0.5), "us");
        Result("pack_p99_us", Us(0.99), "us");
        Result("pack_p999_us", Us(0.999), "us");
    }

    private void Accuracy(SimulationRun run, RulePack pack)
    {
        var report = Evaluation.Run(run, pack);
        Console.Write(report);
        Result("precision", report.Precision, "ratio");
        Result("recall", report.Recall, "ratio");
        if (report.MedianLatency is { } median)
        {
            Result("decisive_to_alert_median_s", median.TotalSeconds, "s");
        }
    }

    /// <summary>
    /// Memory the engine keeps per tracked idle subject: N residents each received a call from a flagged
    /// number (a score, a cooldown, an open sequence), then a day passed: windows and partial matches
    /// expired, the score has not yet decayed away. Includes the dedup window of the N event ids.
    /// </summary>
    private void IdleSubjects(RulePack pack, int subjects)
    {
        var start = new DateTimeOffset(2025, 3, 3, 8, 0, 0, TimeSpan.FromHours(8));
        var clock = new BenchClock { Now = start };
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var engine = new StreamEngine(pack, new EngineOptions { Time = clock, Shards = 1, SweepBatch = int.MaxValue, MaxSubjects = subjects * 2 });
        for (var i = 0; i < subjects; i++)
        {
            engine.Process(StreamEvent.Create($"idle-{i}", $"bi:{(ulong)i * 0x9E3779B97F4A7C15UL:x16}{i:x8}", "call", clock.Now,
                ("number", "17012340001"), ("direction", "in"), ("duration", 60)));
        }
        var open = GC.GetTotalMemory(forceFullCollection: true);
        clock.Now = start + TimeSpan.FromHours(25);
        engine.Tick();
        var idle = GC.GetTotalMemory(forceFullCollection: true);
        var tracked = engine.Stats().Subjects;
        Console.WriteLine($"{tracked:N0} subjects tracked after a day idle (of {subjects:N0})");
        Result("bytes_per_open_subject", (double)(open - before) / subjects, "bytes");
        Result("bytes_per_idle_subject", (double)(idle - before) / Math.Max(1, tracked), "bytes");
        GC.KeepAlive(engine);
    }

    private static double Measure(Bed bed, IReadOnlyList<StreamEvent> events, long[]? latencies = null, bool ticks = true)
    {
        var nextTick = events[0].Time + TimeSpan.FromMinutes(1);
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (ticks && e.Time >= nextTick)
            {
                bed.Clock.Now = nextTick;
                bed.Engine.Tick();
                nextTick += TimeSpan.FromMinutes(1);
            }
            bed.Clock.Now = e.Time;
            if (latencies is null)
            {
                bed.Engine.Process(e);
            }
            else
            {
                var t0 = Stopwatch.GetTimestamp();
                bed.Engine.Process(e);
                latencies[i] = Stopwatch.GetTimestamp() - t0;
            }
        }
        return watch.Elapsed.TotalSeconds;
    }

    private sealed record Bed(StreamEngine Engine, BenchClock Clock);

    private static Bed NewEngine(RulePack rules, Action<RuleMatch>? onMatch)
    {
        var clock = new BenchClock();
        return new Bed(new StreamEngine(rules, new EngineOptions { Time = clock, Shards = 1, OnMatch = onMatch }), clock);
    }

    /// <summary>Replays event time: "now" is the time of the event being processed.</summary>
    private sealed class BenchClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now.ToUniversalTime();
    }
}
