using CivicGrid.Kernel.Measures;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Contracts;
using CivicGrid.Places.Data;
using CivicGrid.Population.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Declarations;
using CivicGrid.Population.Features.Figures;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Contracts;

public class MeasureTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static readonly DateOnly Day = new(2026, 11, 28);

    private Task<RegionInfo> RegionAsync(string name) => factory.WithScopeAsync(async sp =>
        (await sp.GetRequiredService<RegionDirectory>().WithNamesAsync([name], default)).Single());

    [Fact]
    public void Catalog_ListsEveryModulesMeasures_WithChineseNamesAndUniqueCodes()
    {
        var catalog = factory.Services.GetRequiredService<MeasureCatalog>();
        var codes = catalog.Definitions.Select(d => d.Code).ToList();
        Assert.Contains(PlacesMeasures.Addresses, codes);
        Assert.Contains(PopulationMeasures.Residents, codes);
        Assert.Contains(PopulationMeasures.Visits, codes);
        Assert.Equal(codes.Count, codes.Distinct().Count());
        Assert.All(catalog.Definitions, d => Assert.Contains(d.Name, c => c >= '\u4e00' && c <= '\u9fff'));
        Assert.Equal(MeasureKind.Flow, catalog.Find(PopulationMeasures.DeclarationsSubmitted)!.Kind);
    }

    [Fact]
    public async Task Stocks_AreTheFiguresPagesNumbersAndPlacesCounts()
    {
        var village = await RegionAsync("众联村");
        var catalog = factory.Services.GetRequiredService<MeasureCatalog>();
        var values = (await catalog.ReadAsync(village.Scope, MeasurePeriod.Day(Day), null, default)).ToDictionary(v => v.Code, v => v.Value);
        var (figures, addresses, grids) = await factory.WithScopeAsync(async sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var f = await RegisterFigures.ComputeAsync(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<RegionDirectory>(), village, default);
            var a = await places.Addresses.CountAsync(x => x.RegionPath.StartsWith(village.RegionPath));
            var g = await places.Regions.CountAsync(x => x.ParentId == village.Id && x.Level == CivicGrid.Kernel.Regions.RegionLevel.Grid);
            return (f.Totals, a, g);
        });
        Assert.True(figures.Residents > 0, "the demo village has residents");
        Assert.Equal(figures.Residents, values[PopulationMeasures.Residents]);
        Assert.Equal(figures.Floating, values[PopulationMeasures.Floating]);
        Assert.Equal(figures.Declared, values[PopulationMeasures.Declared]);
        Assert.Equal(addresses, values[PlacesMeasures.Addresses]);
        Assert.Equal(grids, values[PlacesMeasures.Grids]);
        Assert.Equal(0, values[PlacesMeasures.Villages]);
        // The residents-only fast path gives the same number as the full figures.
        var alone = await catalog.ReadAsync(village.Scope, MeasurePeriod.Day(Day), [PopulationMeasures.Residents], default);
        Assert.Equal(figures.Residents, Assert.Single(alone).Value);
        Assert.Equal($"/population/figures?region={village.Id}", alone[0].ListLink);
    }

    [Fact]
    public async Task Flow_CountsChinaDays_A2330UtcDeclarationIsTheNextDay()
    {
        var grid = await RegionAsync("众联村第2网格");
        var catalog = factory.Services.GetRequiredService<MeasureCatalog>();
        async Task<decimal> OnAsync(DateOnly day) =>
            (await catalog.ReadAsync(grid.Scope, MeasurePeriod.Day(day), [PopulationMeasures.DeclarationsSubmitted], default)).Single().Value;
        var (before28, before29) = (await OnAsync(Day), await OnAsync(Day.AddDays(1)));

        await factory.WithScopeAsync(async sp =>
        {
            var address = (await sp.GetRequiredService<AddressDirectory>().InScopeAsync(grid.Scope, null, 1, default)).Items.Single();
            var result = await Declarations.SubmitAsync(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<PersonalDataProtector>(), address,
                new DeclarationForm { Name = "夜申报", IdNumber = CitizenId.Create("330109", new DateOnly(1990, 5, 5), 311), MoveInDate = Day, Relation = Relation.Tenant },
                null, new DateTime(2026, 11, 28, 23, 30, 0, DateTimeKind.Utc), default);
            Assert.NotNull(result.Declaration);
            return 0;
        });

        Assert.Equal(before28, await OnAsync(Day));
        Assert.Equal(before29 + 1, await OnAsync(Day.AddDays(1)));
        var both = (await catalog.ReadAsync(grid.Scope, new MeasurePeriod(Day, Day.AddDays(1)), [PopulationMeasures.DeclarationsSubmitted], default)).Single();
        Assert.Equal(before28 + before29 + 1, both.Value);
    }

    [Fact]
    public async Task Period_EndingBeforeItStarts_IsRefused()
    {
        var catalog = factory.Services.GetRequiredService<MeasureCatalog>();
        var district = await RegionAsync("萧山区");
        await Assert.ThrowsAsync<ArgumentException>(() => catalog.ReadAsync(district.Scope, new MeasurePeriod(Day, Day.AddDays(-1)), null, default));
    }
}
