using System.Diagnostics;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Contracts;

namespace CivicGrid.Web.Features.Demo;

/// <summary>Seeds the synthetic demo district: places first, then the people living at its addresses.</summary>
/// <remarks>Configuration <c>CivicGrid:Demo:Landlords</c> (default true) seeds landlords, their rental properties and the tenancies
/// of floating residents; tests of the rental slices turn it off to start from no landlords.</remarks>
public sealed class DemoSeeder(RegionDirectory regions, PlacesDemo places, PopulationDemo population, TimeProvider time, IConfiguration config)
{
    public Task<bool> IsEmptyAsync(CancellationToken ct) => regions.IsEmptyAsync(ct);

    public sealed record Summary(int Towns, int Villages, int Grids, int Addresses, int Residents, TimeSpan Elapsed);

    public async Task<Summary> SeedAsync(string scale, CancellationToken ct, TextWriter? progress = null)
    {
        var clock = Stopwatch.StartNew();
        var result = await places.SeedAsync(scale, time.GetUtcNow().UtcDateTime, ct);
        progress?.WriteLine($"places: {result.Towns} towns, {result.Villages} villages, {result.Grids} grids, {result.Addresses} addresses ({clock.Elapsed.TotalSeconds:0.0} s)");
        var people = await population.SeedAsync(result, config.GetValue("CivicGrid:Demo:Landlords", true), time.GetUtcNow().UtcDateTime,
            new Progress<int>(n => progress?.WriteLine($"residents: {n:N0} ({clock.Elapsed.TotalSeconds:0.0} s)")), ct);
        progress?.WriteLine($"landlords: {people.Individuals:N0} individual, {people.Enterprises:N0} enterprise; residents: {people.Residents:N0} ({clock.Elapsed.TotalSeconds:0.0} s)");
        return new Summary(result.Towns, result.Villages, result.Grids, result.Addresses, people.Residents, clock.Elapsed);
    }
}
