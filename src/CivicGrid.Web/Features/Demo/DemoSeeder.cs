using System.Diagnostics;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Demo;
using CivicGrid.Places.Features.Grids;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Demo;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Web.Features.Demo;

/// <summary>Seeds the synthetic demo district: places first, then the people living at its addresses.</summary>
/// <remarks>Configuration <c>CivicGrid:Demo:Landlords</c> (default true) seeds landlords, their rental properties and the tenancies
/// of floating residents; tests of the rental slices turn it off to start from no landlords.</remarks>
public sealed class DemoSeeder(IServiceScopeFactory scopes, PersonalDataProtector protector, TimeProvider time, GridLookup lookup, IConfiguration config)
{
    public async Task<bool> IsEmptyAsync(CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        return !await scope.ServiceProvider.GetRequiredService<PlacesDbContext>().Regions.AnyAsync(ct);
    }

    public sealed record Summary(int Towns, int Villages, int Grids, int Addresses, int Residents, TimeSpan Elapsed);

    public async Task<Summary> SeedAsync(string scale, CancellationToken ct, TextWriter? progress = null)
    {
        var clock = Stopwatch.StartNew();
        using var scope = scopes.CreateScope();
        var places = scope.ServiceProvider.GetRequiredService<PlacesDbContext>();
        var population = scope.ServiceProvider.GetRequiredService<PopulationDbContext>();
        var options = new DemoDistrict.Options(scale);
        places.ChangeTracker.AutoDetectChangesEnabled = true;
        var result = await DemoDistrict.SeedAsync(places, protector, XiaoshanTowns.Load(), options, time.GetUtcNow().UtcDateTime, ct);
        progress?.WriteLine($"places: {result.Towns} towns, {result.Villages} villages, {result.Grids} grids, {result.Addresses} addresses ({clock.Elapsed.TotalSeconds:0.0} s)");
        var now = time.GetUtcNow().UtcDateTime;
        var landlords = config.GetValue("CivicGrid:Demo:Landlords", true)
            ? await DemoLandlords.SeedAsync(population, protector, result.SeededAddresses, options.Seed, now, ct)
            : new DemoLandlords.Result(0, 0, new Dictionary<long, DemoLandlords.Rental>());
        progress?.WriteLine($"landlords: {landlords.Individuals:N0} individual, {landlords.Enterprises:N0} enterprise ({clock.Elapsed.TotalSeconds:0.0} s)");
        var residents = await DemoResidents.SeedAsync(population, protector, result.SeededAddresses, options.Seed, ct,
            new Progress<int>(n => progress?.WriteLine($"residents: {n:N0} ({clock.Elapsed.TotalSeconds:0.0} s)")), landlords.ByAddress, now);
        lookup.Invalidate();
        progress?.WriteLine($"residents: {residents} ({clock.Elapsed.TotalSeconds:0.0} s)");
        return new Summary(result.Towns, result.Villages, result.Grids, result.Addresses, residents, clock.Elapsed);
    }
}
