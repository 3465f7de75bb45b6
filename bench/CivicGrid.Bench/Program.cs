using System.Reflection;
using CivicGrid.Bench;

// Usage: dotnet run -c Release --project bench/CivicGrid.Bench -- <suite> [--quick]
// Each suite prints "RESULT <suite>.<figure> <value> <unit>" lines at the end.
// "platform-node NAME" is not a suite: it is one cluster node that the platform suite starts as a process of its own.
if (args.Length > 1 && args[0] == "platform-node")
{
    await CivicGrid.Bench.Platform.PlatformNode.RunAsync(args[1..]);
    return 0;
}
var suites = typeof(BenchSuite).Assembly.GetTypes()
    .Where(t => !t.IsAbstract && typeof(BenchSuite).IsAssignableFrom(t))
    .Select(t => (BenchSuite)Activator.CreateInstance(t)!)
    .ToDictionary(s => s.Name, StringComparer.OrdinalIgnoreCase);

if (args.Length == 0 || !suites.TryGetValue(args[0], out var suite))
{
    Console.Error.WriteLine($"usage: CivicGrid.Bench <{string.Join('|', suites.Keys.Order())}> [--quick]");
    return 2;
}

await suite.RunAsync(args.Skip(1).ToArray());
return 0;

namespace CivicGrid.Bench
{
    /// <summary>One benchmark suite; found by reflection, selected by its name on the command line.</summary>
    public abstract class BenchSuite
    {
        public abstract string Name { get; }

        public abstract Task RunAsync(string[] args);

        protected static bool Quick(string[] args) => args.Contains("--quick");

        protected void Result(string figure, double value, string unit) =>
            Console.WriteLine(FormattableString.Invariant($"RESULT {Name}.{figure} {value:0.###} {unit}"));
    }
}
