using System.Net;
using System.Net.Http.Json;
using CivicGrid.Places.Data;
using CivicGrid.Places.Features.Addresses;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Places.Tests.Features;

public class DoorplateTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private Address FirstAddress() =>
        factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Addresses.AsNoTracking().OrderBy(a => a.Id).First());

    [Fact]
    public async Task DoorplatePage_Anonymous_ShowsAddressGridAndMaskedWorker()
    {
        var address = FirstAddress();
        var html = await factory.CreateClient().GetStringAsync($"/d/{address.DoorplateToken}");
        Assert.Contains(address.Street, html);
        Assert.Contains("所属网格", html);
        Assert.Matches(@"1\d{2}\*\*\*\*\d{4}", html);
    }

    [Fact]
    public async Task QrSvg_KnownToken_ReturnsSvgEncodingTheDoorplateUrl()
    {
        var address = FirstAddress();
        var response = await factory.CreateClient().GetAsync($"/d/{address.DoorplateToken}/qr.svg");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("image/svg+xml", response.Content.Headers.ContentType?.MediaType);
        Assert.StartsWith("<svg", (await response.Content.ReadAsStringAsync()).TrimStart(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, (await factory.CreateClient().GetAsync("/d/AAAAAAAAAAAAAAAAAAAA/qr.svg")).StatusCode);
    }

    [Fact]
    public async Task Rotate_OldLabel_IsRetiredAndNewOneWorks()
    {
        var address = FirstAddress();
        var cadre = await factory.SignInAsync("cadre");
        var response = await cadre.PostAsync($"/api/v1/addresses/{address.Id}/doorplate/rotate", null);
        response.EnsureSuccessStatusCode();
        var rotated = await response.Content.ReadFromJsonAsync<AddressDto>();
        Assert.NotEqual(address.DoorplateToken, rotated!.DoorplateToken);

        var anonymous = factory.CreateClient();
        var old = await anonymous.GetAsync($"/d/{address.DoorplateToken}");
        Assert.Equal(HttpStatusCode.Gone, old.StatusCode);
        Assert.Contains("已停用", await old.Content.ReadAsStringAsync());
        var fresh = await anonymous.GetAsync($"/d/{rotated.DoorplateToken}");
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }

    [Fact]
    public async Task Rotate_ManyAtOnce_EachSucceedsOrConflicts_NeverFails()
    {
        var address = factory.WithScope(sp =>
        {
            var places = sp.GetRequiredService<PlacesDbContext>();
            var grid = places.Regions.AsNoTracking().First(r => r.Name == "众联村第3网格");
            return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(1).First();
        });
        var clients = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => factory.SignInAsync("cadre")));
        var responses = await Task.WhenAll(clients.Select(c => c.PostAsync($"/api/v1/addresses/{address.Id}/doorplate/rotate", null)));
        var statuses = responses.Select(r => (int)r.StatusCode).ToList();
        Assert.All(statuses, s => Assert.True(s is 200 or 409, $"a rotation answered {s}"));
        var won = statuses.Count(s => s == 200);
        Assert.True(won >= 1);
        // Every rotation that answered 200 retired one token and wrote one audit line; the others wrote nothing.
        var (retired, audited, current) = await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PlacesDbContext>();
            return (await db.RetiredDoorplates.CountAsync(r => r.AddressId == address.Id),
                await db.Set<CivicGrid.Kernel.Audit.AuditEntry>().CountAsync(a => a.Action == "places.doorplate.rotate" && a.Target == $"address:{address.Id}"),
                (await db.Addresses.AsNoTracking().SingleAsync(a => a.Id == address.Id)).DoorplateToken);
        });
        Assert.Equal((won, won), (retired, audited));
        var tokens = new List<string>();
        foreach (var r in responses.Where(r => r.IsSuccessStatusCode)) tokens.Add((await r.Content.ReadFromJsonAsync<AddressDto>())!.DoorplateToken);
        Assert.Contains(current, tokens);
        var conflict = responses.FirstOrDefault(r => (int)r.StatusCode == 409);
        if (conflict is not null) Assert.Contains("doorplate", await conflict.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CreateAddress_OutsideEveryGrid_Returns400NamingLon()
    {
        var cadre = await factory.SignInAsync("cadre");
        var response = await cadre.PostAsJsonAsync("/api/v1/addresses", new { street = "海上 1 号", lon = 121.9, lat = 29.0 });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"lon\"", body);
        Assert.Contains("outside every grid", body);
    }

    [Fact]
    public async Task CreateAddress_InsideOwnGrid_IsStoredWithADoorplate()
    {
        var grid = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == "众联村第2网格"));
        var cadre = await factory.SignInAsync("cadre");
        var response = await cadre.PostAsJsonAsync("/api/v1/addresses",
            new { street = "众联路 18 号", building = "3幢", room = "101室", lon = (grid.MinLon + grid.MaxLon) / 2, lat = (grid.MinLat + grid.MaxLat) / 2, kind = 1 });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.Content.ReadFromJsonAsync<AddressDto>();
        Assert.Equal(grid.Id, created!.GridId);
        Assert.Equal(20, created.DoorplateToken.Length);
        var page = await factory.CreateClient().GetStringAsync($"/d/{created.DoorplateToken}");
        Assert.Contains("众联路 18 号", page);
    }
}
