using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Files;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Visits;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

/// <summary>A grid worker's proof of a visit: photos uploaded to the platform's file store, attached to the visit they record.</summary>
public class VisitPhotoTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private Address AddressInGrid(string gridName, int skip) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var grid = places.Regions.AsNoTracking().First(r => r.Name == gridName);
        return places.Addresses.AsNoTracking().Where(a => a.GridId == grid.Id).OrderBy(a => a.Id).Skip(skip).First();
    });

    private static async Task<Guid> UploadAsync(HttpClient client, byte[] bytes, bool keepLocation = false)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");
        var form = new MultipartFormDataContent { { content, "file", "door.jpg" }, { new StringContent("photo"), "kind" },
            { new StringContent(keepLocation ? "true" : "false"), "keepLocation" } };
        var response = await client.PostAsync("/api/v1/files", form);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<FilesApi.FileDto>())!.Id;
    }

    private static async Task<string[]> FieldErrors(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToArray();

    [Fact]
    public async Task RecordVisit_WithPhotos_AttachedToTheVisit_SeenByWhoeverSeesTheVisit()
    {
        var address = AddressInGrid("众联村第1网格", 6);
        var grid = await factory.SignInAsync("grid");
        var first = await UploadAsync(grid, TestImages.JpegWithExif(600, 300, 6, 30.18, 120.26), keepLocation: true);
        var second = await UploadAsync(grid, TestImages.Jpeg(200, 100));

        var response = await grid.PostAsJsonAsync("/api/v1/visits", new { addressId = address.Id, outcome = "Advised", note = "张贴防诈宣传", photos = new[] { first, second } });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var visit = (await response.Content.ReadFromJsonAsync<VisitDto>())!;
        Assert.Equal([first, second], visit.Photos);

        var files = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().StoredFiles.AsNoTracking()
            .Where(f => f.Id == first || f.Id == second).ToListAsync());
        Assert.All(files, f =>
        {
            Assert.Equal(Visits.PhotoOwner, f.OwnerModule);
            Assert.Equal(visit.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), f.OwnerId);
            Assert.Equal(address.RegionPath, f.RegionPath);
        });

        // The visit's list shows its photos; the page shows their thumbnails.
        var history = (await grid.GetFromJsonAsync<List<VisitDto>>("/api/v1/visits"))!;
        Assert.Equal([first, second], history.Single(v => v.Id == visit.Id).Photos);
        Assert.Contains($"api/v1/files/{first}/thumbnail", await grid.GetStringAsync("/visits"));

        // Whoever may see the visit (the village's cadre, the district) may see its photos; police and mediators may not.
        foreach (var user in new[] { "grid", "cadre", "admin" })
        {
            var client = await factory.SignInAsync(user);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/files/{first}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/api/v1/files/{first}/thumbnail")).StatusCode);
        }
        foreach (var user in new[] { "police", "mediator" })
        {
            var client = await factory.SignInAsync(user);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync($"/api/v1/files/{first}")).StatusCode);
        }
    }

    [Fact]
    public async Task RecordVisit_PhotoUsedAlready_OrSomeoneElses_OrUnknown_Is400OnPhotos_NothingWritten()
    {
        var address = AddressInGrid("众联村第1网格", 7);
        var grid = await factory.SignInAsync("grid");
        var cadre = await factory.SignInAsync("cadre");
        var mine = await UploadAsync(grid, TestImages.Jpeg(120, 90));
        var theirs = await UploadAsync(cadre, TestImages.Jpeg(121, 90));
        var used = await grid.PostAsJsonAsync("/api/v1/visits", new { addressId = address.Id, outcome = "NotHome", photos = new[] { mine } });
        Assert.Equal(HttpStatusCode.Created, used.StatusCode);
        int Visits() => factory.WithScope(sp => sp.GetRequiredService<PopulationDbContext>().Visits.Count(v => v.AddressId == address.Id));
        var before = Visits();

        foreach (var photos in new[] { new[] { mine }, [theirs], [Guid.NewGuid()], Enumerable.Range(0, 10).Select(_ => Guid.NewGuid()).ToArray() })
        {
            var response = await grid.PostAsJsonAsync("/api/v1/visits", new { addressId = address.Id, outcome = "NotHome", photos });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("photos", await FieldErrors(response));
        }
        Assert.Equal(before, Visits());
        var stillTheirs = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().StoredFiles.AsNoTracking().SingleAsync(f => f.Id == theirs));
        Assert.Null(stillTheirs.OwnerId);
    }
}
