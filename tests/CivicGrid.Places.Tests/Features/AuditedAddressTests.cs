using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Audit;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Addresses;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Places.Tests.Features;

/// <summary>An address and its audit line commit together: when the database refuses the line, no address is left.</summary>
public class AuditedAddressTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private const string Action = "places.address.create";

    private Task<bool> AnyAsync(string street) =>
        factory.WithScopeAsync(sp => sp.GetRequiredService<PlacesDbContext>().Addresses.AnyAsync(a => a.Street == street));

    [Fact]
    public async Task CreateAddress_AuditLineRefused_Answers503AndLeavesNoAddress()
    {
        var grid = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == "众联村第2网格"));
        var body = new { street = "审计回滚路 7 号", lon = (grid.MinLon + grid.MaxLon) / 2, lat = (grid.MinLat + grid.MaxLat) / 2 };
        var cadre = await factory.SignInAsync("cadre");
        await factory.WithScopeAsync(async sp => { await AuditFailures.RejectAsync(sp.GetRequiredService<PlacesDbContext>(), Action); return 0; });
        try
        {
            var refused = await cadre.PostAsJsonAsync("/api/v1/addresses", body);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains("nothing of this request was written", await refused.Content.ReadAsStringAsync());
            Assert.False(await AnyAsync(body.street));
        }
        finally
        {
            await factory.WithScopeAsync(async sp => { await AuditFailures.AllowAsync(sp.GetRequiredService<PlacesDbContext>()); return 0; });
        }

        // The same request goes through once the audit line can be stored, and the line names the new address.
        var created = await cadre.PostAsJsonAsync("/api/v1/addresses", body);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var address = await created.Content.ReadFromJsonAsync<AddressDto>();
        var target = $"address:{address!.Id}";
        Assert.True(await factory.WithScopeAsync(sp => sp.GetRequiredService<PlacesDbContext>().Set<AuditEntry>()
            .AnyAsync(a => a.Action == Action && a.Target == target && a.UserName == "cadre")));
    }
}
