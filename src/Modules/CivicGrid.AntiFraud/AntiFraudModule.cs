using CivicGrid.Kernel.Data;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.AntiFraud;

/// <summary>Anti-fraud early warning (反诈之眼): the engine host, alerts, routing to police stations, the alert board.</summary>
public static class AntiFraudModule
{
    public static IServiceCollection AddAntiFraud(this IServiceCollection services, DatabaseOptions database, IConfiguration configuration)
    {
        _ = database;
        _ = configuration;
        return services;
    }

    public static IEndpointRouteBuilder MapAntiFraud(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        _ = api;
        return app;
    }
}
