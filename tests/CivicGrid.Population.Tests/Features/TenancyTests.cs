using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Declarations;
using CivicGrid.Population.Features.Landlords;
using CivicGrid.Population.Features.Tenancies;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

public partial class TenancyTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() } };

    private static string Id(int n) => CitizenId.Create("330109", new DateOnly(1985, 3, 1).AddDays(n * 11), 201 + n % 700);

    private Address AddressInGrid(string gridName, int skip) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = places.Regions.AsNoTracking().First(r => r.Name == gridName);
        return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(skip).First();
    });

    private Task<(HttpClient Client, long LandlordId, long PropertyId)> LandlordAsync(string phone, string idNumber, Address rental) =>
        LandlordSession.SignInAsync(factory, phone, idNumber, rental);

    private string Today(int days = 0) => Tenancies.Today(factory.Time.GetUtcNow().UtcDateTime).AddDays(days).ToString("yyyy-MM-dd");

    private Task<List<Resident>> ResidencesOf(string idNumber) => factory.WithScopeAsync(sp =>
        sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking().Where(r => r.IdMasked == Mask.IdNumber(idNumber)).OrderBy(r => r.Id).ToListAsync());

    [Fact]
    public async Task MoveIn_ValidTenant_CreatesTenancyAndVerifiedFloatingResidentClosingTheOldResidence()
    {
        var (client, _, propertyId) = await LandlordAsync("13600000001", Id(900), AddressInGrid("众联村第2网格", 0));
        var old = AddressInGrid("众联村第3网格", 0);
        var tenant = Id(1);
        // The tenant lived elsewhere before: that residence ends the day before the move-in.
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var protector = sp.GetRequiredService<PersonalDataProtector>();
            db.Residents.Add(new Resident
            {
                Name = "钱一", IdNumber = protector.Encrypt(tenant), IdIndex = protector.BlindIndex("id", tenant), IdMasked = Mask.IdNumber(tenant),
                AddressId = old.Id, RegionPath = old.RegionPath, BirthDate = CitizenId.BirthDate(tenant), Since = new DateOnly(2020, 1, 1),
            });
            return await db.SaveChangesAsync();
        });

        var response = await client.PostAsJsonAsync("/api/v1/landlord/tenancies",
            new { propertyId, name = "钱一", idNumber = tenant, phone = "13700001111", moveIn = Today(-1), leaseEnd = Today(180) });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dto = (await response.Content.ReadFromJsonAsync<TenancyDto>(Json))!;
        Assert.Equal(Mask.IdNumber(tenant), dto.TenantIdMasked);
        Assert.Equal("137****1111", dto.TenantPhoneMasked);
        Assert.Equal(TenancySource.Landlord, dto.Source);
        Assert.DoesNotContain(tenant, await response.Content.ReadAsStringAsync());

        var residences = await ResidencesOf(tenant);
        Assert.Equal(2, residences.Count);
        Assert.Equal(DateOnly.Parse(Today(-2)), residences[0].Until);
        var here = residences[1];
        Assert.Equal((ResidenceKind.Floating, true, (DateOnly?)DateOnly.Parse(Today(-1)), (DateOnly?)null), (here.Kind, here.Verified, here.Since, here.Until));
        Assert.Equal(dto.AddressId, here.AddressId);
    }

    [Fact]
    public async Task MoveIn_InvalidFields_Answer400NamingEachFieldInBothLanguagesAndWriteNothing()
    {
        var (client, landlordId, propertyId) = await LandlordAsync("13600000002", Id(901), AddressInGrid("众联村第2网格", 1));
        var response = await client.PostAsJsonAsync("/api/v1/landlord/tenancies",
            new { propertyId, name = "", idNumber = "11010519491231002Y", phone = "12345", moveIn = Today(-1), leaseEnd = Today(-5) });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        foreach (var field in new[] { "name", "idNumber", "phone", "leaseEnd" }) Assert.True(errors.TryGetProperty(field, out _), field);
        Assert.Contains("租期", errors.GetProperty("leaseEnd")[0].GetString());
        Assert.Contains("leaseEnd", errors.GetProperty("leaseEnd")[0].GetString());
        Assert.DoesNotContain("11010519491231002Y", problem.GetRawText());
        var count = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Tenancies.CountAsync(t => t.LandlordId == landlordId));
        Assert.Equal(0, count);

        var missing = await client.PostAsJsonAsync("/api/v1/landlord/tenancies", new { propertyId, name = "孙二", idNumber = Id(2) });
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        Assert.Contains("入住日期", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task MoveIn_SamePersonTwiceAtTheSameProperty_IsMergedNotDuplicated()
    {
        var (client, landlordId, propertyId) = await LandlordAsync("13600000003", Id(902), AddressInGrid("众联村第2网格", 2));
        var tenant = Id(3);
        var first = await client.PostAsJsonAsync("/api/v1/landlord/tenancies", new { propertyId, name = "李三", idNumber = tenant, moveIn = Today(-3) });
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var second = await client.PostAsJsonAsync("/api/v1/landlord/tenancies",
            new { propertyId, name = "李三", idNumber = tenant.ToLowerInvariant(), phone = "13700003333", moveIn = Today(-2) });
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        var rows = await client.GetFromJsonAsync<List<TenancyDto>>("/api/v1/landlord/tenancies?open=true", Json);
        var row = Assert.Single(rows!);
        Assert.Equal("137****3333", row.TenantPhoneMasked);
        Assert.Single(await ResidencesOf(tenant), r => r.Until == null);
    }

    [Fact]
    public async Task Landlord_OtherLandlordsPropertyAndTenancy_Answer404AndAreNotListed()
    {
        var (alice, _, aliceProperty) = await LandlordAsync("13600000004", Id(903), AddressInGrid("众联村第2网格", 3));
        var (bob, _, _) = await LandlordAsync("13600000005", Id(904), AddressInGrid("众联村第2网格", 4));
        var created = await alice.PostAsJsonAsync("/api/v1/landlord/tenancies", new { propertyId = aliceProperty, name = "周四", idNumber = Id(4), moveIn = Today(-1) });
        var tenancy = (await created.Content.ReadFromJsonAsync<TenancyDto>(Json))!;

        var intoAlices = await bob.PostAsJsonAsync("/api/v1/landlord/tenancies", new { propertyId = aliceProperty, name = "吴五", idNumber = Id(5), moveIn = Today(-1) });
        Assert.Equal(HttpStatusCode.NotFound, intoAlices.StatusCode);
        var moveOut = await bob.PostAsJsonAsync($"/api/v1/landlord/tenancies/{tenancy.Id}/move-out", new { moveOut = Today() });
        Assert.Equal(HttpStatusCode.NotFound, moveOut.StatusCode);
        Assert.Empty((await bob.GetFromJsonAsync<List<TenancyDto>>("/api/v1/landlord/tenancies", Json))!);
        Assert.Null((await ResidencesOf(Id(5))).FirstOrDefault());
        var stillOpen = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Tenancies.AnyAsync(t => t.Id == tenancy.Id && t.MoveOut == null));
        Assert.True(stillOpen);
    }

    [Fact]
    public async Task LandlordApi_AnonymousOrStaffCookie_Answers401()
    {
        var anonymous = factory.CreateClient(new() { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/v1/landlord/tenancies")).StatusCode);
        var staff = await factory.SignInAsync("admin");
        Assert.Equal(HttpStatusCode.Unauthorized, (await staff.GetAsync("/api/v1/landlord/tenancies")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await staff.PostAsJsonAsync("/api/v1/landlord/tenancies/1/move-out", new { moveOut = Today() })).StatusCode);
    }

    [Fact]
    public async Task MoveOut_ClosesTheResidence_OnceOnly_AndNeverBeforeTheMoveIn()
    {
        var (client, _, propertyId) = await LandlordAsync("13600000006", Id(905), AddressInGrid("众联村第2网格", 5));
        var tenant = Id(6);
        var created = await client.PostAsJsonAsync("/api/v1/landlord/tenancies", new { propertyId, name = "郑六", idNumber = tenant, moveIn = Today(-10) });
        var tenancy = (await created.Content.ReadFromJsonAsync<TenancyDto>(Json))!;

        var early = await client.PostAsJsonAsync($"/api/v1/landlord/tenancies/{tenancy.Id}/move-out", new { moveOut = Today(-11) });
        Assert.Equal(HttpStatusCode.BadRequest, early.StatusCode);
        Assert.Contains("moveOut", await early.Content.ReadAsStringAsync());
        var future = await client.PostAsJsonAsync($"/api/v1/landlord/tenancies/{tenancy.Id}/move-out", new { moveOut = Today(2) });
        Assert.Equal(HttpStatusCode.BadRequest, future.StatusCode);

        var done = await client.PostAsJsonAsync($"/api/v1/landlord/tenancies/{tenancy.Id}/move-out", new { moveOut = Today(-1) });
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        var residence = Assert.Single(await ResidencesOf(tenant));
        Assert.Equal(DateOnly.Parse(Today(-2)), residence.Until);
        var again = await client.PostAsJsonAsync($"/api/v1/landlord/tenancies/{tenancy.Id}/move-out", new { moveOut = Today() });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task ConfirmDeclaration_ByLandlord_RecordsTheTenancyOnce_AndALaterReportMergesIntoIt()
    {
        var rental = AddressInGrid("众联村第2网格", 6);
        var (client, landlordId, propertyId) = await LandlordAsync("13600000007", Id(906), rental);
        var tenant = Id(7);
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var protector = sp.GetRequiredService<PersonalDataProtector>();
            var now = factory.Time.GetUtcNow().UtcDateTime;
            var submitted = await Declarations.SubmitAsync(db, protector, rental.Info(),
                new DeclarationForm { Name = "冯七", IdNumber = tenant, MoveInDate = DateOnly.Parse(Today(-4)), Relation = Relation.Tenant }, null, now, default);
            var landlord = await db.Landlords.FirstAsync(l => l.Id == landlordId);
            var d = await Landlords.PendingAtProperties(db, landlordId).FirstAsync(x => x.Id == submitted.Declaration!.Id);
            return await Tenancies.ConfirmDeclarationAsync(db, protector, landlordId, d, Landlords.LandlordActor(landlord, null), now, default);
        });
        var rows = (await client.GetFromJsonAsync<List<TenancyDto>>("/api/v1/landlord/tenancies", Json))!;
        var row = Assert.Single(rows);
        Assert.Equal((TenancySource.Declaration, propertyId, DateOnly.Parse(Today(-4))), (row.Source, row.PropertyId, row.MoveIn));

        var report = await client.PostAsJsonAsync("/api/v1/landlord/tenancies", new { propertyId, name = "冯七", idNumber = tenant, moveIn = Today(-4) });
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        Assert.Single((await client.GetFromJsonAsync<List<TenancyDto>>("/api/v1/landlord/tenancies", Json))!);
        Assert.Single(await ResidencesOf(tenant));

        var page = await client.GetStringAsync("/landlord");
        Assert.Contains("在租租客", page);
        Assert.Contains("冯七", page);
        Assert.Contains(Mask.IdNumber(tenant), page);
        Assert.DoesNotContain(tenant, page);
    }

    [Fact]
    public async Task LandlordPage_MoveInAndMoveOutForms_ReportOnThePhonePage()
    {
        var (client, landlordId, propertyId) = await LandlordAsync("13600000008", Id(907), AddressInGrid("众联村第2网格", 7));
        async Task<string> PostAsync(params (string Key, string Value)[] fields)
        {
            var token = AntiforgeryField().Match(await client.GetStringAsync("/landlord")).Groups[1].Value;
            var form = fields.ToDictionary(f => f.Key, f => f.Value);
            form["__RequestVerificationToken"] = token;
            var response = await client.PostAsync("/landlord", new FormUrlEncodedContent(form));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return await response.Content.ReadAsStringAsync();
        }
        var tenant = Id(8);
        var bad = await PostAsync(("_handler", "move-in"), ("MoveInInput.PropertyId", propertyId.ToString()), ("MoveInInput.Name", "褚八"),
            ("MoveInInput.IdNumber", "11010519491231002Y"), ("MoveInInput.MoveIn", Today(-1)));
        Assert.Contains("role=\"alert\"", bad);
        Assert.Contains("身份证号", bad);
        Assert.Equal(0, await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Tenancies.CountAsync(t => t.LandlordId == landlordId)));

        var good = await PostAsync(("_handler", "move-in"), ("MoveInInput.PropertyId", propertyId.ToString()), ("MoveInInput.Name", "褚八"),
            ("MoveInInput.IdNumber", tenant), ("MoveInInput.Phone", "13700008888"), ("MoveInInput.MoveIn", Today(-1)), ("MoveInInput.LeaseEnd", ""));
        Assert.Contains("已登记入住", good);
        Assert.Contains("褚八", good);
        Assert.DoesNotContain(tenant, good);
        var id = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Tenancies.Where(t => t.LandlordId == landlordId).Select(t => t.Id).SingleAsync());

        var moved = await PostAsync(("_handler", $"move-out-{id}"), ("MoveOutDate", Today()));
        Assert.Contains("已登记退租", moved);
        var moveOut = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Tenancies.Where(t => t.Id == id).Select(t => t.MoveOut).SingleAsync());
        Assert.Equal(DateOnly.Parse(Today()), moveOut);
    }

    [Fact]
    public async Task LandlordLateReports_OwnOnly_OnThePhonePageAndTheApi()
    {
        var (client, _, propertyId) = await LandlordAsync("13600000009", Id(908), AddressInGrid("众联村第2网格", 8));
        var (other, _, _) = await LandlordAsync("13600000010", Id(909), AddressInGrid("众联村第2网格", 9));
        var created = await client.PostAsJsonAsync("/api/v1/landlord/tenancies", new { propertyId, name = "卫九", idNumber = Id(9), moveIn = Today(-40), leaseEnd = Today(-20) });
        var tenancy = (await created.Content.ReadFromJsonAsync<TenancyDto>(Json))!;

        var late = await client.GetFromJsonAsync<List<JsonElement>>("/api/v1/landlord/tenancies/late");
        var item = Assert.Single(late!);
        Assert.Equal(tenancy.Id, item.GetProperty("targetId").GetInt64());
        Assert.Empty((await other.GetFromJsonAsync<List<JsonElement>>("/api/v1/landlord/tenancies/late"))!);
        var page = await client.GetStringAsync("/landlord");
        Assert.Contains("逾期未登记", page);
        Assert.Contains("退租未登记", page);
        Assert.DoesNotContain("逾期未登记", await other.GetStringAsync("/landlord"));
    }
}
