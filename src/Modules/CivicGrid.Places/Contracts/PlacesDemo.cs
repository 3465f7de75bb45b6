using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Demo;
using CivicGrid.Places.Features.Grids;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Places.Contracts;

/// <summary>What the demo generator made.</summary>
/// <param name="Seed">The random seed, for other modules that populate the addresses the same way every run.</param>
/// <param name="SeededAddresses">Every address made, for other modules to populate.</param>
public sealed record DemoPlaces(int Towns, int Villages, int Grids, int Addresses, int Seed, IReadOnlyList<SeededAddress> SeededAddresses);

/// <summary>The seeding entry point of Places for the host's <c>seed</c> verb and tests: the synthetic Xiaoshan district.</summary>
public sealed class PlacesDemo
{
    private readonly IDbContextFactory<PlacesDbContext> factory;
    private readonly PersonalDataProtector protector;
    private readonly GridLookup lookup;

    // Made by the module's registration: its dependencies are the module's own internals.
    internal PlacesDemo(IDbContextFactory<PlacesDbContext> factory, PersonalDataProtector protector, GridLookup lookup)
    {
        this.factory = factory;
        this.protector = protector;
        this.lookup = lookup;
    }

    /// <summary>
    /// Creates the district, its 22 towns, 539 villages, their grids and addresses with doorplates in an empty database.
    /// <paramref name="scale"/> is "demo" (one town with addresses) or "district" (~200,000 addresses).
    /// </summary>
    public async Task<DemoPlaces> SeedAsync(string scale, DateTime now, CancellationToken ct)
    {
        var options = new DemoDistrict.Options(scale);
        await using var db = await factory.CreateDbContextAsync(ct);
        db.ChangeTracker.AutoDetectChangesEnabled = true;
        var result = await DemoDistrict.SeedAsync(db, protector, XiaoshanTowns.Load(), options, now, ct);
        lookup.Invalidate();
        return new DemoPlaces(result.Towns, result.Villages, result.Grids, result.Addresses, options.Seed, result.SeededAddresses);
    }
}
