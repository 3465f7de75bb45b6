using CivicGrid.AntiFraud.Simulation;

namespace CivicGrid.AntiFraud.Tests.Simulation;

public class SimulatorTests
{
    private static readonly SimulationOptions Small = new() { People = 800, Hours = 24, ScenariosPerType = 8, Seed = 7 };

    [Fact]
    public void Generate_SameSeed_SameStream()
    {
        var a = Simulator.Generate(Small);
        var b = Simulator.Generate(Small);

        Assert.Equal(a.Events.Count, b.Events.Count);
        Assert.Equal(a.Events.Select(e => (e.Id, e.Subject, e.Kind, e.Time)), b.Events.Select(e => (e.Id, e.Subject, e.Kind, e.Time)));
        Assert.Equal(a.Scenarios, b.Scenarios);
    }

    [Fact]
    public void Generate_Options_ScenariosOfEveryTypeAndEventsInOrder()
    {
        var run = Simulator.Generate(Small);

        Assert.Equal(FraudTypes.All.Count * 8, run.Scenarios.Count);
        Assert.All(FraudTypes.All, t => Assert.Equal(8, run.Scenarios.Count(s => s.Type == t)));
        Assert.True(run.Events.Zip(run.Events.Skip(1)).All(p => p.First.Time <= p.Second.Time));
        Assert.InRange(run.Events.Count, 800 * 24 * 1.5 * 0.9, 800 * 24 * 1.5 * 1.1 + 1000);
        Assert.All(run.Scenarios, s => Assert.Contains(run.Events, e => e.Id == s.DecisiveEventId && e.Kind == "transfer_out"));
    }

    [Fact]
    public void Generate_AllEvents_PassTheEngineSchema()
    {
        var run = Simulator.Generate(Small);

        Assert.All(run.Events, e => Assert.Null(CivicGrid.Streams.EventSchema.Default.Validate(e, e.Time)));
    }

    [Fact]
    public void Evaluate_ShippedPack_CatchesMostFraudOfEveryTypeWithFewFalseAlarms()
    {
        var run = Simulator.Generate(Small with { People = 3000, ScenariosPerType = 15 });
        var (rules, _) = AntiFraudPack.Load();

        var report = Evaluation.Run(run, rules);

        Assert.All(report.PerType, t => Assert.True(t.Recall >= 0.5, $"{t.Type}: recall {t.Recall:P0}\n{report}"));
        Assert.True(report.Recall >= 0.8, report.ToString());
        Assert.True(report.Precision >= 0.85, report.ToString());
    }
}
