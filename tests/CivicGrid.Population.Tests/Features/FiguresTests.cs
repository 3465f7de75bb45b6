using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Figures;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

public class FiguresTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private Region RegionNamed(string name, RegionLevel level) => factory.WithScope(sp =>
        sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == name && r.Level == level));

    [Fact]
    public async Task Figures_Village_MatchTheRegisterAndAddUpOverItsGrids()
    {
        var village = RegionNamed("众联村", RegionLevel.Village);
        var grids = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().Where(r => r.ParentId == village.Id).ToList());
        // One landlord renting out in two grids of the village, another (an enterprise) in one: distinct per area.
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var places = sp.GetRequiredService<PlacesDbContext>();
            var a1 = await places.Addresses.AsNoTracking().Where(a => a.GridId == grids[0].Id).OrderBy(a => a.Id).FirstAsync();
            var a2 = await places.Addresses.AsNoTracking().Where(a => a.GridId == grids[1].Id).OrderBy(a => a.Id).FirstAsync();
            var a3 = await places.Addresses.AsNoTracking().Where(a => a.GridId == grids[0].Id).OrderBy(a => a.Id).Skip(1).FirstAsync();
            var person = new Landlord { Kind = LandlordKind.Individual, Name = "房东甲", Phone = [1], PhoneIndex = "figures-1", PhoneMasked = "138****0001" };
            var company = new Landlord { Kind = LandlordKind.Enterprise, Name = "某公寓公司", CreditCode = "91330109MA2B00000X", Phone = [1], PhoneIndex = "figures-2", PhoneMasked = "138****0002" };
            db.Landlords.AddRange(person, company);
            await db.SaveChangesAsync();
            db.RentalProperties.AddRange(
                new RentalProperty { LandlordId = person.Id, AddressId = a1.Id, RegionPath = a1.RegionPath, Rooms = 2 },
                new RentalProperty { LandlordId = person.Id, AddressId = a2.Id, RegionPath = a2.RegionPath, Rooms = 2 },
                new RentalProperty { LandlordId = company.Id, AddressId = a3.Id, RegionPath = a3.RegionPath, Rooms = 20 });
            return await db.SaveChangesAsync();
        });

        var cadre = await factory.SignInAsync("cadre");
        var figures = await cadre.GetFromJsonAsync<RegionFigures>($"/api/v1/population/figures?region={village.Id}");

        var scope = new RegionScope(village.Id, village.RegionPath, village.Level);
        var expected = await factory.WithScopeAsync(async sp =>
        {
            var current = sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking().InScope(scope).Where(r => r.Until == null);
            return (await current.CountAsync(), await current.CountAsync(r => r.Kind == ResidenceKind.Floating), await current.CountAsync(r => r.Declared));
        });
        Assert.Equal(expected.Item1, figures!.Totals.Residents);
        Assert.True(figures.Totals.Residents > 0);
        Assert.Equal(expected.Item2, figures.Totals.Floating);
        Assert.Equal(expected.Item1, figures.Totals.Floating + figures.Totals.Household);
        Assert.Equal(expected.Item3, figures.Totals.Declared);
        Assert.Equal(1, figures.Totals.IndividualLandlords);
        Assert.Equal(1, figures.Totals.EnterpriseLandlords);
        Assert.Equal(3, figures.Totals.RentalProperties);

        Assert.Equal(grids.Count, figures.Children.Count);
        Assert.All(figures.Children, c => Assert.Equal(RegionLevel.Grid, c.Level));
        Assert.Equal(figures.Totals.Residents, figures.Children.Sum(c => c.Figures.Residents));
        Assert.Equal(figures.Totals.PendingDeclarations, figures.Children.Sum(c => c.Figures.PendingDeclarations));
        // The individual landlord counts once in the village and once in each of the two grids.
        Assert.Equal(2, figures.Children.Sum(c => c.Figures.IndividualLandlords));
        Assert.Equal(1, figures.Children.Single(c => c.RegionId == grids[0].Id).Figures.EnterpriseLandlords);
    }

    [Fact]
    public async Task Figures_Town_BreaksDownIntoVillages_DefaultIsTheCallersArea()
    {
        var town = await factory.SignInAsync("town");
        var own = await town.GetFromJsonAsync<RegionFigures>("/api/v1/population/figures");
        Assert.Equal(RegionLevel.Town, own!.Level);
        Assert.NotEmpty(own.Children);
        Assert.All(own.Children, c => Assert.Equal(RegionLevel.Village, c.Level));
        Assert.Equal(own.Totals.Residents, own.Children.Sum(c => c.Figures.Residents));
        Assert.Equal(own.Totals.Verified, own.Children.Sum(c => c.Figures.Verified));
    }

    [Fact]
    public async Task Figures_ForeignOrUnknownRegion_Returns404()
    {
        var foreign = RegionNamed("光明村", RegionLevel.Village);
        var cadre = await factory.SignInAsync("cadre");
        Assert.Equal(HttpStatusCode.NotFound, (await cadre.GetAsync($"/api/v1/population/figures?region={foreign.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await cadre.GetAsync("/api/v1/population/figures?region=99999999")).StatusCode);
        var mediator = await factory.SignInAsync("mediator");
        Assert.Equal(HttpStatusCode.Forbidden, (await mediator.GetAsync("/api/v1/population/figures")).StatusCode);
    }

    [Fact]
    public async Task FiguresPage_ShowsTheCardsAndLinksDownToChildren()
    {
        var cadre = await factory.SignInAsync("cadre");
        var html = await cadre.GetStringAsync("/population/figures");
        Assert.Contains("人口概况", html);
        Assert.Contains("figure-residents", html);
        Assert.Contains("众联村第1网格", html);
        Assert.Contains("population/figures?region=", html);
    }
}
