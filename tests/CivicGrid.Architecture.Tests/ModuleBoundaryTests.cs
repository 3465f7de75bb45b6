namespace CivicGrid.Architecture.Tests;

public class ModuleBoundaryTests
{
    [Fact]
    public void Modules_AreFoundFromTheHost()
    {
        var names = Boundaries.Modules().Select(Boundaries.Root).ToList();
        Assert.Contains("CivicGrid.Places", names);
        Assert.Contains("CivicGrid.Population", names);
        Assert.Contains("CivicGrid.AntiFraud", names);
        Assert.DoesNotContain("CivicGrid.Kernel", names);
    }

    public static TheoryData<string> ModuleNames()
    {
        var data = new TheoryData<string>();
        foreach (var m in Boundaries.Modules()) data.Add(Boundaries.Root(m));
        return data;
    }

    [Theory]
    [MemberData(nameof(ModuleNames))]
    public void Module_UsesOtherModulesOnlyThroughContracts(string module)
    {
        var assembly = Boundaries.Modules().Single(m => Boundaries.Root(m) == module);
        var violations = Boundaries.Violations(assembly, isHost: false);
        Assert.True(violations.Count == 0, $"{module} reaches into other modules:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void WebHost_UsesModulesOnlyThroughEntryAndContracts()
    {
        var violations = Boundaries.Violations(Boundaries.Host, isHost: true);
        Assert.True(violations.Count == 0, "The web host reaches into modules:\n" + string.Join("\n", violations));
    }

    [Fact]
    public void PlantedViolation_IsFound()
    {
        // This assembly holds one type that uses Places' DbContext and one that uses only its contracts: the rule must
        // name the first and not the second, or it would pass anything.
        var violations = Boundaries.Violations(typeof(Planted.UsesPlacesInternals).Assembly, isHost: false);
        Assert.Contains(violations, v => v.StartsWith(typeof(Planted.UsesPlacesInternals).FullName + " uses internals of CivicGrid.Places", StringComparison.Ordinal));
        Assert.DoesNotContain(violations, v => v.StartsWith(typeof(Planted.UsesPlacesContracts).FullName!, StringComparison.Ordinal));
    }

    [Fact]
    public void Contracts_OfEveryModule_AreNotEmptyOnceUsed()
    {
        // Places and Population publish contracts that others use; a module whose Contracts folder vanished would make
        // every caller a violation, so this only guards the helper that tells contracts apart.
        foreach (var m in Boundaries.Modules().Where(m => Boundaries.Root(m) is "CivicGrid.Places" or "CivicGrid.Population"))
            Assert.Contains(m.GetTypes(), t => Boundaries.InContracts(m, t.Namespace));
    }
}
