using System.Reflection;
using System.Runtime.CompilerServices;
using NetArchTest.Rules;

namespace CivicGrid.Architecture.Tests;

/// <summary>
/// The module rule of CONVENTIONS.md: a module, or the web host, uses another module only through that module's
/// <c>Contracts</c> namespace (and the Kernel). Modules are found, not listed: every <c>CivicGrid.*</c> assembly the web
/// host references other than the Kernel and Streams, so a module added by copying an existing one is checked as it is.
/// </summary>
public static class Boundaries
{
    private static readonly string[] Platform = ["CivicGrid.Kernel", "CivicGrid.Streams", "CivicGrid.Web"];

    public static Assembly Host => typeof(CivicGrid.Web.Features.Demo.DemoSeeder).Assembly;

    public static IReadOnlyList<Assembly> Modules() =>
        Host.GetReferencedAssemblies()
            .Where(n => n.Name is { } name && name.StartsWith("CivicGrid.", StringComparison.Ordinal) && !Platform.Contains(name))
            .Select(Assembly.Load)
            .OrderBy(a => a.GetName().Name, StringComparer.Ordinal)
            .ToList();

    /// <summary>The module's root namespace: its assembly name (CivicGrid.Places).</summary>
    public static string Root(Assembly module) => module.GetName().Name!;

    public static bool InContracts(Assembly module, string? ns) =>
        ns is not null && (ns == Root(module) + ".Contracts" || ns.StartsWith(Root(module) + ".Contracts.", StringComparison.Ordinal));

    /// <summary>The module's entry class (PlacesModule with AddPlaces/MapPlaces), which only the web host may call.</summary>
    public static bool IsEntry(Assembly module, Type type) => type.Namespace == Root(module) && type.Name.EndsWith("Module", StringComparison.Ordinal);

    /// <summary>Every type of the module that others may not use: all but its contracts (and the entry class, for the host).</summary>
    public static string[] Internals(Assembly module, bool forHost) =>
        module.GetTypes()
            .Where(t => !t.IsNested && !t.IsDefined(typeof(CompilerGeneratedAttribute), false) && !t.Name.StartsWith('<'))
            .Where(t => !InContracts(module, t.Namespace) && !(forHost && IsEntry(module, t)))
            .Select(t => t.FullName!)
            .ToArray();

    /// <summary>
    /// The types of <paramref name="subject"/> that depend on another module's internals, each with what it uses. Razor
    /// components are checked like any type: the rule is about dependencies, not visibility.
    /// </summary>
    public static List<string> Violations(Assembly subject, bool isHost)
    {
        var found = new List<string>();
        foreach (var other in Modules().Where(m => m != subject))
        {
            var internals = Internals(other, isHost);
            if (internals.Length == 0) continue;
            var result = Types.InAssembly(subject).Should().NotHaveDependencyOnAny(internals).GetResult();
            if (result.IsSuccessful) continue;
            found.AddRange(result.FailingTypes.Select(t => $"{t.FullName} uses internals of {Root(other)}"
                + (string.IsNullOrEmpty(t.Explanation) ? "" : $": {t.Explanation}")));
        }
        return found;
    }
}
