using System.Data.Common;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Residents;
using CivicGrid.Population.Features.Tenancies;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

/// <summary>
/// Holds every population transaction at its start until <see cref="Arm"/>'s number of them have arrived, so that two requests
/// are both past their "is there an open tenancy already?" read before either writes: the double-post race, made certain.
/// </summary>
public sealed class TransactionBarrier : DbTransactionInterceptor
{
    private TaskCompletionSource? released;
    private int expected;
    private int arrived;

    public void Arm(int count)
    {
        (expected, arrived) = (count, 0);
        released = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Disarm()
    {
        released?.TrySetResult();
        released = null;
    }

    public int Arrived => Volatile.Read(ref arrived);

    public override async ValueTask<InterceptionResult<DbTransaction>> TransactionStartingAsync(DbConnection connection, TransactionStartingEventData eventData,
        InterceptionResult<DbTransaction> result, CancellationToken cancellationToken = default)
    {
        if (released is { } gate)
        {
            if (Interlocked.Increment(ref arrived) >= expected) gate.TrySetResult();
            // Waits for the other request (a state, not a time); the bound only keeps a broken test from hanging.
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        return result;
    }
}

public sealed class RacePlatformFactory : PlatformFactory
{
    public TransactionBarrier Barrier { get; } = new();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.ConfigureServices(s =>
        {
            s.ConfigureDbContext<PopulationSqliteDbContext>(o => o.AddInterceptors(Barrier));
            s.ConfigureDbContext<PopulationPostgresDbContext>(o => o.AddInterceptors(Barrier));
        });
    }
}

/// <summary>What keeps tenancies whole: the double-post race, the open-tenancy index, malformed bodies.</summary>
public class TenancyIntegrityTests(RacePlatformFactory factory) : IClassFixture<RacePlatformFactory>
{
    private static string Id(int n) => CitizenId.Create("330109", new DateOnly(1986, 5, 1).AddDays(n * 13), 301 + n % 600);

    private Address AddressInGrid(string gridName, int skip) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = places.Regions.AsNoTracking().First(r => r.Name == gridName);
        return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(skip).First();
    });

    private string Today(int days = 0) => Tenancies.Today(factory.Time.GetUtcNow().UtcDateTime).AddDays(days).ToString("yyyy-MM-dd");

    [Fact]
    public async Task MoveIn_TwoPostsAtTheSameInstant_OneTenancy_TheOtherAnswers409NamingTheField_AndWritesNothing()
    {
        var (client, landlordId, propertyId) = await LandlordSession.SignInAsync(factory, "13600000101", Id(900), AddressInGrid("众联村第2网格", 20));
        var tenant = Id(1);
        var body = new { propertyId, name = "双击", idNumber = tenant, phone = "13700000101", moveIn = Today(-1), leaseEnd = Today(180) };
        var residentsBefore = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Residents.CountAsync());

        factory.Barrier.Arm(2);
        HttpResponseMessage[] answers;
        try
        {
            answers = await Task.WhenAll(client.PostAsJsonAsync("/api/v1/landlord/tenancies", body), client.PostAsJsonAsync("/api/v1/landlord/tenancies", body));
        }
        finally
        {
            factory.Barrier.Disarm();
        }
        // Both reached their transaction before either wrote: the race happened.
        Assert.True(factory.Barrier.Arrived >= 2);

        var codes = answers.Select(a => a.StatusCode).Order().ToList();
        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.Conflict], codes);
        var loser = answers.Single(a => a.StatusCode == HttpStatusCode.Conflict);
        var problem = await loser.Content.ReadFromJsonAsync<JsonElement>();
        var message = problem.GetProperty("errors").GetProperty("idNumber")[0].GetString()!;
        Assert.Contains("已有在租登记", message);
        Assert.Contains("open tenancy", message);
        Assert.DoesNotContain(tenant, problem.GetRawText());

        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var tenancy = Assert.Single(await db.Tenancies.AsNoTracking().Where(t => t.LandlordId == landlordId).ToListAsync());
            Assert.Null(tenancy.MoveOut);
            // Nothing of the losing request stayed: one residence, one move-in audit line.
            Assert.Single(await db.Residents.AsNoTracking().Where(r => r.IdMasked == Mask.IdNumber(tenant)).ToListAsync());
            Assert.Equal(residentsBefore + 1, await db.Residents.CountAsync());
            Assert.Single(await db.Set<AuditEntry>().AsNoTracking().Where(a => a.Action == "population.tenancy.move_in" && a.UserName == $"landlord:{landlordId}").ToListAsync());
            return 0;
        });

        // Once it is known, the same report again is a merge, as before.
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/api/v1/landlord/tenancies", body)).StatusCode);
    }

    [Fact]
    public async Task OpenTenancyIndex_RefusesASecondOpenTenancy_ButAllowsOneAfterTheMoveOut()
    {
        var (_, _, propertyId) = await LandlordSession.SignInAsync(factory, "13600000102", Id(901), AddressInGrid("众联村第2网格", 21));
        var tenant = Id(2);
        var now = factory.Time.GetUtcNow().UtcDateTime;
        Tenancy Make(PopulationDbContext db, PersonalDataProtector protector, DateOnly moveIn)
        {
            var property = db.RentalProperties.AsNoTracking().First(p => p.Id == propertyId);
            return Tenancies.New(property, new PersonRecord("索引", protector.Encrypt(tenant), protector.BlindIndex("id", tenant),
                Mask.IdNumber(tenant), null, null, null), moveIn, null, TenancySource.Import, null, now);
        }

        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var protector = sp.GetRequiredService<PersonalDataProtector>();
            var first = Make(db, protector, new DateOnly(2025, 1, 1));
            db.Tenancies.Add(first);
            await db.SaveChangesAsync();
            db.Tenancies.Add(Make(db, protector, new DateOnly(2025, 6, 1)));
            await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
            db.ChangeTracker.Clear();

            // Moved out, the same tenant may move in again: the index covers open tenancies only.
            await db.Tenancies.Where(t => t.Id == first.Id).ExecuteUpdateAsync(u => u.SetProperty(t => t.MoveOut, new DateOnly(2025, 5, 31)));
            db.Tenancies.Add(Make(db, protector, new DateOnly(2025, 6, 1)));
            return await db.SaveChangesAsync();
        });
        Assert.Equal(2, await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Tenancies.CountAsync(t => t.RentalPropertyId == propertyId)));
    }

    [Fact]
    public async Task MoveIn_MalformedJson_Answers400NamingTheFieldInBothLanguages_AndWritesNothing()
    {
        var (client, landlordId, propertyId) = await LandlordSession.SignInAsync(factory, "13600000103", Id(902), AddressInGrid("众联村第2网格", 22));
        var wrongType = await client.PostAsync("/api/v1/landlord/tenancies", new StringContent(
            $"{{\"propertyId\":{propertyId},\"name\":\"错型\",\"idNumber\":\"{Id(10)}\",\"moveIn\":5}}", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        var problem = await wrongType.Content.ReadFromJsonAsync<JsonElement>();
        var message = problem.GetProperty("errors").GetProperty("moveIn")[0].GetString()!;
        Assert.Contains("类型或格式不对", message);
        Assert.Contains("moveIn has a value of the wrong type or format", message);
        Assert.DoesNotContain(Id(10), problem.GetRawText());

        var notJson = await client.PostAsync("/api/v1/landlord/tenancies", new StringContent("propertyId=1&moveIn=today", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        Assert.Contains("not valid JSON", (await notJson.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors").GetProperty("body")[0].GetString());
        Assert.Equal(0, await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Tenancies.CountAsync(t => t.LandlordId == landlordId)));
    }
}
