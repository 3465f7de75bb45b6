using System.Threading.RateLimiting;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Measures;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features;
using CivicGrid.Population.Features.Declarations;
using CivicGrid.Population.Features.Residents;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population;

/// <summary>Population: residents of every address (the 钉管家 register), residence self-declaration from doorplates.</summary>
public static class PopulationModule
{
    /// <summary>Rate-limit policy of the public pages (declaration form and status look-up): per client address.</summary>
    public const string PublicFormsLimit = "population-public";

    public static IServiceCollection AddPopulation(this IServiceCollection services, DatabaseOptions database)
    {
        services.AddModuleDbContext<PopulationDbContext, PopulationSqliteDbContext, PopulationPostgresDbContext>(database, "population");
        services.AddOptions<PopulationOptions>().BindConfiguration(PopulationOptions.Section);
        // The contracts' constructors are internal (they take the module's own types), so they are made here.
        services.AddScoped(sp => new Contracts.ResidenceDirectory(sp.GetRequiredService<PopulationDbContext>()));
        services.AddScoped(sp => new Contracts.ResidentCard(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<Kernel.PersonalData.PersonalDataProtector>()));
        services.AddSingleton(sp => new Contracts.PopulationDemo(sp.GetRequiredService<IDbContextFactory<PopulationDbContext>>(),
            sp.GetRequiredService<Kernel.PersonalData.PersonalDataProtector>()));
        services.AddSingleton(sp => new Contracts.RegisterImports(sp.GetRequiredService<IDbContextFactory<PopulationDbContext>>(),
            sp.GetRequiredService<Places.Contracts.AddressDirectory>(), sp.GetRequiredService<Kernel.PersonalData.PersonalDataProtector>()));
        services.AddMeasureSource(sp => new Contracts.PopulationMeasures(sp.GetRequiredService<IDbContextFactory<PopulationDbContext>>(),
            sp.GetRequiredService<Places.Contracts.RegionDirectory>()));
        services.AddSingleton<Features.Import.Importer>();
        services.AddSingleton<Features.Import.ImportWorker>();
        services.AddHostedService(sp => sp.GetRequiredService<Features.Import.ImportWorker>());
        services.AddPlatformJob<Features.Import.ImportLeaseSweep>(Features.Import.ImportLeaseSweep.JobKey, "导入任务接管检查", "Import lease sweep",
            Kernel.Jobs.JobSchedule.Every(TimeSpan.FromMinutes(1)));
        services.AddRateLimiter(o =>
        {
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.AddPolicy(PublicFormsLimit, http => RateLimitPartition.GetFixedWindowLimiter(
                http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                _ => new FixedWindowRateLimiterOptions { PermitLimit = 30, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 }));
        });
        services.AddSingleton(new DoorplateAction(10, "居住申报", "Declare residence", token => $"/d/{token}/declare"));
        services.AddSingleton(new DoorplateAction(20, "房东登记出租房", "Landlords: register this rental", token => $"/landlord/login?token={token}"));
        services.AddPopulationMessages();
        services.AddSingleton(new Kernel.SignIn.CodePurpose(Features.Landlords.Landlords.CodePurpose, "房东登录", "Landlord sign-in"));
        // Landlords have their own cookie; staff policies never accept it and the landlord policy accepts nothing else.
        services.AddAuthentication().AddCookie(Features.Landlords.Landlords.Scheme, o => Features.Landlords.Landlords.Configure(o));
        services.AddAuthorizationBuilder().AddPolicy(Features.Landlords.Landlords.Policy, p => p
            .AddAuthenticationSchemes(Features.Landlords.Landlords.Scheme)
            .RequireAuthenticatedUser()
            .RequireClaim(Features.Landlords.Landlords.LandlordIdClaim));
        Features.Tenancies.TenancyApi.AddTenancies(services);
        services.AddSingleton(new AddressPanel(10, typeof(Pages.AddressResidents)));
        services.AddSingleton(new NavEntry(20, "人口查询", "Residents", "residents", "people",
            Roles.DistrictAdmin, Roles.TownOfficer, Roles.VillageCadre, Roles.GridWorker));
        services.AddSingleton(new NavEntry(21, "居住申报核实", "Declarations", "declarations", "home",
            Roles.DistrictAdmin, Roles.TownOfficer, Roles.VillageCadre, Roles.GridWorker));
        services.AddSingleton(new NavEntry(21, "房东认领核实", "Landlord claims", "rentals/claims", "home",
            Roles.DistrictAdmin, Roles.TownOfficer, Roles.VillageCadre, Roles.GridWorker));
        services.AddSingleton(new NavEntry(22, "批量导入", "Imports", "imports", "upload", Roles.DistrictAdmin, Roles.TownOfficer, Roles.VillageCadre));
        services.AddPopulationFieldWork();
        return services;
    }

    public static IEndpointRouteBuilder MapPopulation(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        api.MapDeclarationApi();
        api.MapResidentApi();
        Features.Tenancies.TenancyApi.MapTenancyApi(api);
        Features.Import.ImportApi.MapImportApi(api);
        Features.Landlords.Claims.MapClaimsApi(api);
        api.MapPopulationFieldWork();
        app.MapPost("/landlord/logout", async (HttpContext http) =>
        {
            await Microsoft.AspNetCore.Authentication.AuthenticationHttpContextExtensions.SignOutAsync(http, Features.Landlords.Landlords.Scheme);
            return Results.LocalRedirect("/landlord/login");
        }).RequireAuthorization(Features.Landlords.Landlords.Policy).ExcludeFromDescription();
        return app;
    }
}
