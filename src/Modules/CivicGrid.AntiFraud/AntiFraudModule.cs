using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Engine;
using CivicGrid.AntiFraud.Features.Alerts;
using CivicGrid.AntiFraud.Features.Figures;
using CivicGrid.AntiFraud.Features.Ingest;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Data;
using CivicGrid.Population.Contracts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CivicGrid.AntiFraud;

/// <summary>Anti-fraud early warning (反诈之眼): the engine host, alerts, routing to police stations, the alert board.</summary>
public static class AntiFraudModule
{
    /// <summary>The host's <c>simulate</c> verb: synthetic transaction and call events for the rule engine (see the README).</summary>
    public static Task<int> RunSimulateCommandAsync(string[] args) => Features.Simulate.SimulateCommand.RunAsync(args);

    public const string Name = "antifraud";

    /// <summary>Who works the alerts. Ingest is decided by the permission <c>ingest_events</c>, not by these roles.</summary>
    public static readonly string[] AlertRoles = [Roles.PoliceOfficer, Roles.DistrictAdmin];

    public static IServiceCollection AddAntiFraud(this IServiceCollection services, DatabaseOptions database, IConfiguration configuration)
    {
        var options = configuration.GetSection(AntiFraudOptions.Section).Get<AntiFraudOptions>() ?? new AntiFraudOptions();
        services.AddSingleton(options);
        services.AddModuleDbContext<AntiFraudDbContext, AntiFraudSqliteDbContext, AntiFraudPostgresDbContext>(database, Name);
        services.AddSingleton<AntiFraudEngine>();
        services.AddSingleton<AlertNotifier>();
        services.AddSingleton<StationDirectory>();
        // Population's contract for masked residents and audited unmask; registered here so Population need not know us.
        services.TryAddScoped<ResidentCard>();
        services.AddSingleton<AlertWriter>();
        services.AddSingleton<Features.Rules.RulePackAdmin>();
        services.AddHostedService(sp => sp.GetRequiredService<AlertWriter>());
        if (!string.IsNullOrEmpty(options.NatsUrl))
        {
            services.AddSingleton<JetStreamConsumer>();
            services.AddHostedService(sp => sp.GetRequiredService<JetStreamConsumer>());
        }
        services.AddSingleton(new NavEntry(40, "反诈预警", "Fraud alerts", "antifraud", "warning", AlertRoles));
        services.AddSingleton(new NavEntry(41, "预警规则与名单", "Rules & watchlists", "antifraud/rules", "policy", AlertRoles));
        return services;
    }

    public static IEndpointRouteBuilder MapAntiFraud(this IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        var group = api.MapGroup("/antifraud").WithTags("AntiFraud");
        group.MapIngestApi();
        group.MapAlertApi();
        group.MapFiguresApi();
        Features.Rules.RulesApi.MapRulesApi(group);
        return app;
    }
}
