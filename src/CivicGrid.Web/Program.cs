using CivicGrid.AntiFraud;
using CivicGrid.Kernel.Calendar;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.SignIn;
using CivicGrid.Places;
using CivicGrid.Population;
using CivicGrid.Web;
using CivicGrid.Web.Components;
using CivicGrid.Web.Features.Accounts;
using CivicGrid.Web.Features.Audit;
using CivicGrid.Web.Features.Demo;
using CivicGrid.Web.Features.Jobs;
using CivicGrid.Web.Features.Messaging;
using CivicGrid.Web.Features.Operations;
using CivicGrid.Web.Features.Units;

// Command-line verbs run on the same executable: `seed --scale demo|district`, `import residents FILE`, `backup --to FILE`,
// `restore --from FILE [--force]`, `simulate ...`.
if (args.Length > 0 && args[0] == "seed")
{
    return await SeedCommand.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "import")
{
    return await ImportCommand.RunAsync(args[1..]);
}
if (args.Length > 0 && args[0] == "backup")
{
    return await BackupCommand.BackupAsync(args[1..], Console.Out, Console.Error);
}
if (args.Length > 0 && args[0] == "restore")
{
    return await BackupCommand.RestoreAsync(args[1..], Console.Out, Console.Error);
}
if (args.Length > 0 && args[0] == "simulate")
{
    return await AntiFraudModule.RunSimulateCommandAsync(args[1..]);
}

var builder = WebApplication.CreateBuilder(args);
var database = builder.AddPlatform();
builder.Services.AddAccounts();
builder.Services.AddUnits();
builder.Services.AddCalendar(builder.Configuration);
builder.Services.AddFiles(builder.Configuration);
builder.Services.AddAuditLog(builder.Configuration);
builder.Services.AddJobsPage();
builder.Services.AddMessagingPages();
builder.Services.AddPlaces(database);
builder.Services.AddPopulation(database);
builder.Services.AddAntiFraud(database, builder.Configuration);

var app = builder.Build();
app.UsePlatform();
var api = app.MapGroup("/api/v1");
app.MapAccounts(api);
app.MapUnits(api);
app.MapAuditLog(api);
app.MapJobs(api);
app.MapMessaging(api);
api.MapSignInApi();
api.MapCalendarApi();
api.MapFilesApi();
app.MapPlaces(api);
app.MapPopulation(api);
app.MapAntiFraud(api);
app.MapRazorComponents<App>()
    .AddInteractiveServerRenderMode()
    .AddAdditionalAssemblies(Modules.Assemblies);

await app.PrepareDatabaseAsync();
await app.RunAsync();
return 0;

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
