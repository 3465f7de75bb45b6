using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Demo;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Contracts;

/// <summary>What the demo put in the register.</summary>
/// <param name="Individuals">Individual landlords made.</param>
/// <param name="Enterprises">Enterprise landlords made.</param>
/// <param name="Residents">Resident records made.</param>
public sealed record DemoPopulation(int Individuals, int Enterprises, int Residents);

/// <summary>The seeding entry point of Population for the host's <c>seed</c> verb and tests: landlords and residents at the demo's addresses.</summary>
public sealed class PopulationDemo(IDbContextFactory<PopulationDbContext> factory, PersonalDataProtector protector)
{
    /// <summary>
    /// Fills the register for the addresses Places made (<see cref="DemoPlaces.SeededAddresses"/>), with the same seed, so
    /// every run makes the same people. Landlords (and their rentals) only when <paramref name="landlords"/> is set.
    /// </summary>
    public async Task<DemoPopulation> SeedAsync(DemoPlaces places, bool landlords, DateTime now, IProgress<int>? progress, CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var rentals = landlords
            ? await DemoLandlords.SeedAsync(db, protector, places.SeededAddresses, places.Seed, now, ct)
            : new DemoLandlords.Result(0, 0, new Dictionary<long, DemoLandlords.Rental>());
        var residents = await DemoResidents.SeedAsync(db, protector, places.SeededAddresses, places.Seed, ct, progress, rentals.ByAddress, now);
        return new DemoPopulation(rentals.Individuals, rentals.Enterprises, residents);
    }
}
