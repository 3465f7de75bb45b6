using CivicGrid.Kernel;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Measures;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Addresses;
using CivicGrid.Places.Features.Doorplates;
using CivicGrid.Places.Features.Grids;
using CivicGrid.Places.Features.Regions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Places;

/// <summary>Places: the region tree, grids, addresses and smart doorplates.</summary>
public static class PlacesModule
{
    public static IServiceCollection AddPlaces(this IServiceCollection services, DatabaseOptions database)
    {
        services.AddModuleDbContext<PlacesDbContext, PlacesSqliteDbContext, PlacesPostgresDbContext>(database, "places");
        services.AddSingleton<GridLookup>();
        services.AddSingleton<Contracts.RegionDirectory>();
        services.AddSingleton<Contracts.AddressDirectory>();
        services.AddSingleton<Contracts.GridLocator>();
        services.AddSingleton<Contracts.PlacesDemo>();
        services.AddMeasureSource<Contracts.PlacesMeasures>();
        services.AddSingleton(new NavEntry(10, "辖区与网格", "Regions & grids", "regions", "map"));
        return services;
    }

    public static IEndpointRouteBuilder MapPlaces(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        api.MapRegionApi();
        api.MapAddressApi();
        app.MapDoorplates();
        return app;
    }
}
