using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Declarations;
using CivicGrid.Population.Features.Visits;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

public class VisitTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static int people;

    private Address AddressInGrid(string gridName, int skip) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = places.Regions.AsNoTracking().First(r => r.Name == gridName);
        return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(skip).First();
    });

    private static string NewId() => CitizenId.Create("341222", new DateOnly(1991, 2, 1).AddDays(Interlocked.Increment(ref people)), 201);

    private Task<Declaration> DeclareAsync(Address address, string name) => factory.WithScopeAsync(async sp =>
    {
        var result = await Declarations.SubmitAsync(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<PersonalDataProtector>(), address.Info(),
            new DeclarationForm { Name = name, IdNumber = NewId(), Phone = "13800138000", MoveInDate = new DateOnly(2026, 11, 1), Relation = Relation.Tenant },
            null, factory.Time.GetUtcNow().UtcDateTime, default);
        return result.Declaration!;
    });

    private Task<Tenancy> TenancyAsync(Address address, string name) => factory.WithScopeAsync(async sp =>
    {
        var db = sp.GetRequiredService<PopulationDbContext>();
        var protector = sp.GetRequiredService<PersonalDataProtector>();
        var id = NewId();
        var t = new Tenancy
        {
            RentalPropertyId = 1, LandlordId = 1, AddressId = address.Id, RegionPath = address.RegionPath, TenantName = name,
            TenantIdNumber = protector.Encrypt(id), TenantIdIndex = protector.BlindIndex("id", id), TenantIdMasked = Mask.IdNumber(id),
            MoveIn = new DateOnly(2026, 11, 1), MoveInReportedAt = factory.Time.GetUtcNow().UtcDateTime,
        };
        db.Tenancies.Add(t);
        await db.SaveChangesAsync();
        return t;
    });

    private static async Task<DueList> DueAsync(HttpClient client) => (await client.GetFromJsonAsync<DueList>("/api/v1/visits/due"))!;

    [Fact]
    public async Task Due_OlderThanVisitDueDays_IsOverdue_AtTheBoundaryNot()
    {
        var declaration = await DeclareAsync(AddressInGrid("众联村第1网格", 3), "逾期甲");
        var tenancy = await TenancyAsync(AddressInGrid("众联村第1网格", 4), "逾期乙");
        var grid = await factory.SignInAsync("grid");

        var fresh = await DueAsync(grid);
        Assert.False(fresh.Items.Single(i => i.Target == VisitTarget.Declaration && i.TargetId == declaration.Id).Overdue);
        Assert.Contains(fresh.Items, i => i.Target == VisitTarget.Tenancy && i.TargetId == tenancy.Id);

        // Exactly VisitDueDays (7) days old: still due, not overdue.
        // The staff cookie expires on the platform's clock: sign in again after moving it.
        factory.Time.Advance(TimeSpan.FromDays(7));
        grid = await factory.SignInAsync("grid");
        var boundary = await DueAsync(grid);
        Assert.False(boundary.Items.Single(i => i.Target == VisitTarget.Declaration && i.TargetId == declaration.Id).Overdue);
        Assert.False(boundary.Items.Single(i => i.Target == VisitTarget.Tenancy && i.TargetId == tenancy.Id).Overdue);

        factory.Time.Advance(TimeSpan.FromSeconds(1));
        grid = await factory.SignInAsync("grid");
        var late = await DueAsync(grid);
        var item = late.Items.Single(i => i.Target == VisitTarget.Declaration && i.TargetId == declaration.Id);
        Assert.True(item.Overdue);
        Assert.Equal(7, item.WaitingDays);
        Assert.True(late.Items.Single(i => i.Target == VisitTarget.Tenancy && i.TargetId == tenancy.Id).Overdue);
        Assert.Equal(boundary.Overdue + 2, late.Overdue);
        // Oldest first.
        Assert.Equal(late.Items.OrderBy(i => i.Since).Select(i => (i.Target, i.TargetId)), late.Items.Select(i => (i.Target, i.TargetId)));

        var page = await grid.GetStringAsync("/visits");
        Assert.Contains("逾期甲", page);
        Assert.Contains("逾期", page);
    }

    [Fact]
    public async Task Due_And_Record_AreScopedToTheWorkersGrid()
    {
        var otherGrid = AddressInGrid("众联村第2网格", 3);
        var declaration = await DeclareAsync(otherGrid, "邻格丙");
        var grid = await factory.SignInAsync("grid");
        Assert.DoesNotContain(await DueAsync(grid) is var d ? d.Items : [], i => i.Target == VisitTarget.Declaration && i.TargetId == declaration.Id);
        var refused = await grid.PostAsJsonAsync("/api/v1/visits", new { addressId = otherGrid.Id, target = "Declaration", targetId = declaration.Id, outcome = "Confirmed" });
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
        var cadre = await factory.SignInAsync("cadre");
        Assert.Contains((await DueAsync(cadre)).Items, i => i.Target == VisitTarget.Declaration && i.TargetId == declaration.Id);
        var still = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Declarations.AsNoTracking().FirstAsync(x => x.Id == declaration.Id));
        Assert.Equal(DeclarationStatus.Pending, still.Status);
        Assert.False(await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Visits.AnyAsync(v => v.AddressId == otherGrid.Id)));
    }

    [Fact]
    public async Task Record_Confirmed_ConfirmsTheDeclarationAndChecksTheTenancy_NotHomeChangesNothing()
    {
        var address = AddressInGrid("众联村第1网格", 5);
        var declaration = await DeclareAsync(address, "走访丁");
        var tenancy = await TenancyAsync(address, "走访戊");
        var grid = await factory.SignInAsync("grid");

        var notHome = await grid.PostAsJsonAsync("/api/v1/visits", new { addressId = address.Id, target = "Declaration", targetId = declaration.Id, outcome = "NotHome" });
        Assert.Equal(HttpStatusCode.Created, notHome.StatusCode);
        var confirmed = await grid.PostAsJsonAsync("/api/v1/visits", new { addressId = address.Id, target = "declaration", targetId = declaration.Id, outcome = "Confirmed", note = "本人在家" });
        Assert.Equal(HttpStatusCode.Created, confirmed.StatusCode);
        var tenancyVisit = await grid.PostAsJsonAsync("/api/v1/visits", new { addressId = address.Id, target = "Tenancy", targetId = tenancy.Id, outcome = "Confirmed" });
        Assert.Equal(HttpStatusCode.Created, tenancyVisit.StatusCode);

        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var d = await db.Declarations.AsNoTracking().FirstAsync(x => x.Id == declaration.Id);
            Assert.Equal(DeclarationStatus.Confirmed, d.Status);
            Assert.Equal("grid", d.DecidedBy);
            var resident = await db.Residents.AsNoTracking().FirstAsync(r => r.Id == d.ResidentId);
            Assert.True(resident.Verified && resident.Declared);
            Assert.Equal(address.Id, resident.AddressId);
            Assert.NotNull((await db.Tenancies.AsNoTracking().FirstAsync(t => t.Id == tenancy.Id)).CheckedAt);
            Assert.Equal(3, await db.Visits.CountAsync(v => v.AddressId == address.Id));
            return 0;
        });
        var due = await DueAsync(grid);
        Assert.DoesNotContain(due.Items, i => i.TargetId == declaration.Id && i.Target == VisitTarget.Declaration);
        Assert.DoesNotContain(due.Items, i => i.TargetId == tenancy.Id && i.Target == VisitTarget.Tenancy);
        var history = await grid.GetFromJsonAsync<List<VisitDto>>("/api/v1/visits");
        Assert.Contains(history!, v => v.TargetId == declaration.Id && v.Outcome == VisitOutcome.Confirmed && v.Note == "本人在家");
    }

    [Theory]
    [InlineData("Maybe", null, "outcome")]
    [InlineData("2", null, "outcome")]
    [InlineData("Advised", 501, "note")]
    [InlineData("Discrepancy", 0, "note")]
    public async Task Record_BadInput_Returns400NamingTheField_WritesNothing(string outcome, int? noteLength, string field)
    {
        var address = AddressInGrid("众联村第1网格", 6);
        var grid = await factory.SignInAsync("grid");
        var response = await grid.PostAsJsonAsync("/api/v1/visits", new { addressId = address.Id, outcome, note = noteLength is { } n ? new string('记', n) : null });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains($"\"{field}\"", body);
        Assert.Contains(" / ", body);
        Assert.Matches("[\u4e00-\u9fff]", body);
        Assert.False(await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Visits.AnyAsync(v => v.AddressId == address.Id)));
    }

    [Fact]
    public async Task History_ForeignRegion_Returns404()
    {
        var foreign = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == "光明村"));
        var cadre = await factory.SignInAsync("cadre");
        Assert.Equal(HttpStatusCode.NotFound, (await cadre.GetAsync($"/api/v1/visits?region={foreign.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await cadre.GetAsync($"/api/v1/visits/due?region={foreign.Id}")).StatusCode);
    }
}
