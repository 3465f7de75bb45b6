using CivicGrid.Kernel.Data;
using CivicGrid.Population.Data;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population;

/// <summary>Population: residents of every address (the 钉管家 register). Landlords, declarations and imports come next.</summary>
public static class PopulationModule
{
    public static IServiceCollection AddPopulation(this IServiceCollection services, DatabaseOptions database)
    {
        services.AddModuleDbContext<PopulationDbContext, PopulationSqliteDbContext, PopulationPostgresDbContext>(database, "population");
        return services;
    }
}
