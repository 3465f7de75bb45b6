using CivicGrid.Kernel.Data;
using CivicGrid.Places;
using CivicGrid.Population;
using CivicGrid.Web.Features.Accounts;

namespace CivicGrid.Web.Features.Demo;

/// <summary>
/// `dotnet run --project src/CivicGrid.Web -- seed --scale demo|district [--reset]`: creates the database and the
/// synthetic district. --reset deletes an existing SQLite file first; otherwise the database must be empty.
/// </summary>
public static class SeedCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var scale = Option(args, "--scale") ?? "demo";
        if (scale is not ("demo" or "district"))
        {
            await Console.Error.WriteLineAsync("--scale 须为 demo 或 district / --scale must be demo or district");
            return 2;
        }
        await using var app = BuildToolHost(args);
        var database = app.Services.GetRequiredService<DatabaseOptions>();

        if (args.Contains("--reset") && !database.IsPostgres)
        {
            var file = new Microsoft.Data.Sqlite.SqliteConnectionStringBuilder(database.ConnectionString).DataSource;
            foreach (var f in new[] { file, file + "-wal", file + "-shm" }.Where(File.Exists)) File.Delete(f);
        }
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        await app.Services.MigrateAllAsync(cts.Token);
        var seeder = app.Services.GetRequiredService<DemoSeeder>();
        if (!await seeder.IsEmptyAsync(cts.Token))
        {
            await Console.Error.WriteLineAsync("数据库已有数据，请加 --reset 重建 / The database is not empty: add --reset to recreate it");
            return 1;
        }
        var summary = await seeder.SeedAsync(scale, cts.Token, Console.Out);
        await DemoAccounts.EnsureAsync(app.Services, cts.Token);
        Console.WriteLine($"seeded {scale}: {summary.Towns} towns, {summary.Villages} villages, {summary.Grids} grids, " +
            $"{summary.Addresses} addresses, {summary.Residents} residents in {summary.Elapsed.TotalSeconds:0.0} s");
        return 0;
    }

    /// <summary>
    /// The host the command-line verbs run on: the platform's services without the web pipeline. Settings come as
    /// `--Section:Key=value` arguments, like the web host's.
    /// </summary>
    internal static WebApplication BuildToolHost(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args.Where(a => a.StartsWith("--", StringComparison.Ordinal) && a.Contains('=')).ToArray());
        var database = builder.AddPlatform();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddAccounts();
        builder.Services.AddPlaces(database);
        builder.Services.AddPopulation(database);
        return builder.Build();
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : args.FirstOrDefault(a => a.StartsWith(name + "=", StringComparison.Ordinal))?[(name.Length + 1)..];
    }
}
