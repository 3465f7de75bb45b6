using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Jobs;
using CivicGrid.Population.Features.Figures;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Features;

/// <summary>
/// Wiring of the figures, visits (必到必访), residence permits and list exports, kept out of PopulationModule so that
/// slices built in parallel add one line each there.
/// </summary>
internal static class FieldWork
{
    public static IServiceCollection AddPopulationFieldWork(this IServiceCollection services)
    {
        services.AddSingleton(new RegionPanel(10, typeof(Pages.Figures.RegionFiguresPanel)));
        services.AddSingleton(new NavEntry(23, "人口概况", "Population figures", "population/figures", "people",
            Roles.DistrictAdmin, Roles.TownOfficer, Roles.VillageCadre));
        services.AddSingleton(Visits.Visits.PhotoPolicy);
        services.AddSingleton(new NavEntry(24, "必到必访", "Visits", "visits", "home", Roles.VillageCadre, Roles.GridWorker));
        services.AddSingleton(new NavEntry(25, "居住证", "Residence permits", "permits", "policy",
            Roles.DistrictAdmin, Roles.TownOfficer, Roles.VillageCadre, Roles.GridWorker));
        services.AddPlatformJob<Permits.EndorsementReminders>(Permits.EndorsementReminders.JobKey, "居住证签注提醒与失效", "Permit endorsement reminders and lapses",
            JobSchedule.Every(TimeSpan.FromHours(1)));
        return services;
    }

    public static RouteGroupBuilder MapPopulationFieldWork(this RouteGroupBuilder api)
    {
        api.MapFiguresApi();
        Visits.Visits.MapVisitApi(api);
        Notices.Notices.MapNoticeApi(api);
        Permits.PermitApi.MapPermitApi(api);
        Export.ListExport.MapListExports(api);
        return api;
    }
}
