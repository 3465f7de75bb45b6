using CivicGrid.Kernel.Data;
using CivicGrid.Population.Data;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population;

/// <summary>Population: residents of every address (the 钉管家 register), landlords, declarations and imports.</summary>
public static class PopulationModule
{
    public static IServiceCollection AddPopulation(this IServiceCollection services, DatabaseOptions database)
    {
        services.AddModuleDbContext<PopulationDbContext, PopulationSqliteDbContext, PopulationPostgresDbContext>(database, "population");
        services.AddScoped<Contracts.ResidenceDirectory>();
        return services;
    }

    public static IEndpointRouteBuilder MapPopulation(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        _ = api;
        return app;
    }
}
