using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Contracts;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Places.Tests.Contracts;

public class RegionDirectoryTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private Region RegionNamed(string name, RegionLevel level) =>
        factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == name && r.Level == level));

    private static RegionScope ScopeOf(Region region) => new(region.Id, region.RegionPath, region.Level);

    [Fact]
    public async Task FindInScopeAsync_RegionInsideScope_ReturnsIt()
    {
        var town = RegionNamed("河上镇", RegionLevel.Town);
        var village = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking()
            .First(r => r.ParentId == town.Id && r.Level == RegionLevel.Village));
        var found = await factory.WithScopeAsync(sp => sp.GetRequiredService<RegionDirectory>().FindInScopeAsync(village.Id, ScopeOf(town), default));
        Assert.Equal(new RegionInfo(village.Id, village.Name, village.Code, RegionLevel.Village, village.RegionPath, town.Id), found);
        Assert.Equal(new RegionScope(village.Id, village.RegionPath, RegionLevel.Village), found!.Scope);
    }

    [Fact]
    public async Task FindInScopeAsync_RegionOutsideScope_ReturnsNull()
    {
        var town = RegionNamed("河上镇", RegionLevel.Town);
        var elsewhere = RegionNamed("光明村", RegionLevel.Village);
        var district = RegionNamed("萧山区", RegionLevel.District);
        var (outside, ancestor, unknown, unscoped) = await factory.WithScopeAsync(async sp =>
        {
            var regions = sp.GetRequiredService<RegionDirectory>();
            return (await regions.FindInScopeAsync(elsewhere.Id, ScopeOf(town), default),
                await regions.FindInScopeAsync(district.Id, ScopeOf(town), default),
                await regions.FindInScopeAsync(int.MaxValue, ScopeOf(district), default),
                await regions.FindAsync(elsewhere.Id, default));
        });
        Assert.Null(outside);
        Assert.Null(ancestor);
        Assert.Null(unknown);
        Assert.Equal(elsewhere.Id, unscoped?.Id);
    }

    [Fact]
    public async Task AtLevelAsync_Towns_ReturnsTheDistrictsTownsById()
    {
        var towns = await factory.WithScopeAsync(sp => sp.GetRequiredService<RegionDirectory>().AtLevelAsync(RegionLevel.Town, default));
        Assert.Equal(22, towns.Count);
        Assert.All(towns, t => Assert.Equal(RegionLevel.Town, t.Level));
        Assert.Equal(towns.Select(t => t.Id).Order(), towns.Select(t => t.Id));
    }
}
