using System.Diagnostics;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Files;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Contracts;

namespace CivicGrid.Web.Features.Demo;

/// <summary>
/// `dotnet run --project src/CivicGrid.Web -- import residents|landlords|properties|tenancies FILE [--region-id N]`: the same import as the web page,
/// in the foreground with progress on the console. On errors nothing is written and FILE.errors.xlsx is saved beside it.
/// </summary>
public static class ImportCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        if (args.Length < 2 || !RegisterImports.Kinds.Contains(args[0]))
        {
            await Console.Error.WriteLineAsync("用法 / usage: import residents|landlords|properties|tenancies <file.xlsx|file.csv> [--region-id N]");
            return 2;
        }
        var file = args[1];
        if (!File.Exists(file))
        {
            await Console.Error.WriteLineAsync($"文件不存在 / file not found: {file}");
            return 2;
        }
        await using var app = SeedCommand.BuildToolHost(args);
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };
        await app.Services.MigrateAllAsync(cts.Token);

        var regions = app.Services.GetRequiredService<RegionDirectory>();
        var i = Array.IndexOf(args, "--region-id");
        var region = i > 0 && i + 1 < args.Length && int.TryParse(args[i + 1], out var regionId)
            ? await regions.FindAsync(regionId, cts.Token)
            : await regions.RootAsync(cts.Token);
        if (region is null)
        {
            await Console.Error.WriteLineAsync("区域不存在 / region not found");
            return 2;
        }
        var clock = Stopwatch.StartNew();
        List<string[]> sheet;
        try
        {
            await using var stream = File.OpenRead(file);
            sheet = TabularFile.Read(stream, file);
        }
        catch (InvalidDataException e)
        {
            await Console.Error.WriteLineAsync(e.Message);
            return 1;
        }
        var total = Math.Max(1, sheet.Count - 1);
        Console.WriteLine($"read {sheet.Count - 1:N0} rows in {clock.Elapsed.TotalSeconds:0.0} s");
        var progress = new Progress<int>(n => Console.Write($"\r{Math.Min(100, n * 50 / total),3}%  {n:N0}"));
        var summary = await app.Services.GetRequiredService<RegisterImports>().RunAsync(args[0], sheet, Acting.Cli("import", region.Scope),
            app.Services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime, progress, cts.Token);
        Console.WriteLine();
        if (!summary.Succeeded)
        {
            var report = Path.ChangeExtension(file, ".errors.xlsx");
            await File.WriteAllBytesAsync(report, summary.ErrorReport!, cts.Token);
            Console.WriteLine($"{summary.Errors:N0} 处错误，未导入任何数据 / errors: nothing was imported. Report: {report}");
            return 1;
        }
        Console.WriteLine($"imported {summary.Rows:N0} rows: {summary.Inserted:N0} new, {summary.Updated:N0} updated, {summary.Unchanged:N0} unchanged in {clock.Elapsed.TotalSeconds:0.0} s");
        return 0;
    }
}
