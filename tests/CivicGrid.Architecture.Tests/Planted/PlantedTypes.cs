namespace CivicGrid.Architecture.Tests.Planted;

/// <summary>A planted violation: a type outside Places that uses Places' own DbContext.</summary>
internal sealed class UsesPlacesInternals(CivicGrid.Places.Data.PlacesDbContext db)
{
    public int Count() => db.Regions.Count();
}

/// <summary>The allowed way: Places' contract.</summary>
internal sealed class UsesPlacesContracts(CivicGrid.Places.Contracts.RegionDirectory regions)
{
    public Task<bool> EmptyAsync() => regions.IsEmptyAsync(default);
}
