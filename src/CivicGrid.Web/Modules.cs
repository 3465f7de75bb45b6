using System.Reflection;

namespace CivicGrid.Web;

/// <summary>Assemblies whose Razor pages the router serves, beside the host's own.</summary>
public static class Modules
{
    public static readonly Assembly[] Assemblies =
    [
        typeof(CivicGrid.Places.PlacesModule).Assembly,
        typeof(CivicGrid.Population.PopulationModule).Assembly,
        typeof(CivicGrid.AntiFraud.AntiFraudModule).Assembly,
    ];
}
