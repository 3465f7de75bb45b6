using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Files;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;

namespace CivicGrid.Web.Tests.Features.Files;

public class FilesApiTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    public static MultipartFormDataContent Form(byte[] bytes, string name, string kind = "photo", bool? keepLocation = null)
    {
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(name.EndsWith(".pdf", StringComparison.Ordinal) ? "application/pdf" : "image/jpeg");
        var form = new MultipartFormDataContent { { content, "file", name }, { new StringContent(kind), "kind" } };
        if (keepLocation is { } keep) form.Add(new StringContent(keep ? "true" : "false"), "keepLocation");
        return form;
    }

    private Task<T> KernelAsync<T>(Func<KernelDbContext, Task<T>> use) => factory.WithScopeAsync(sp => use(sp.GetRequiredService<KernelDbContext>()));

    private static async Task<JsonElement> Problem(HttpResponseMessage response) => JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;

    [Fact]
    public async Task Upload_RotatedJpegWithGps_StoredUprightWithoutExif_GpsOnlyWithConsent()
    {
        var grid = await factory.SignInAsync("grid");
        var photo = TestImages.JpegWithExif(640, 480, 6, 30.1801, 120.2602);

        var withConsent = await grid.PostAsync("/api/v1/files", Form(photo, "IMG_0001.JPG", keepLocation: true));
        Assert.Equal(HttpStatusCode.Created, withConsent.StatusCode);
        var kept = (await withConsent.Content.ReadFromJsonAsync<FilesApi.FileDto>())!;
        Assert.Equal((480, 640), (kept.Width, kept.Height));
        Assert.True(kept.LocationKept);

        var bytes = await grid.GetByteArrayAsync(kept.Url);
        Assert.False(TestImages.HasExif(bytes));
        using (var image = SKBitmap.Decode(bytes)) Assert.Equal((480, 640), (image.Width, image.Height));
        var thumbnail = await grid.GetByteArrayAsync(kept.ThumbnailUrl);
        Assert.True(thumbnail.Length < bytes.Length);
        using (var thumb = SKBitmap.Decode(thumbnail)) Assert.Equal(320, Math.Max(thumb.Width, thumb.Height));

        var row = await KernelAsync(db => db.StoredFiles.AsNoTracking().SingleAsync(f => f.Id == kept.Id));
        Assert.Equal(30.1801, row.Latitude!.Value, 4);
        Assert.Equal(120.2602, row.Longitude!.Value, 4);
        Assert.Equal("grid", row.UploadedBy);
        Assert.Equal(FileStore.HashOf(bytes), row.Hash);
        Assert.True(await KernelAsync(db => db.AuditEntries.AnyAsync(a => a.Action == "file.upload" && a.Target == $"file:{kept.Id}")));

        // The same photo without consent: the position is not kept, the bytes are the same content, stored once.
        var without = await grid.PostAsync("/api/v1/files", Form(photo, "IMG_0001.JPG"));
        var plain = (await without.Content.ReadFromJsonAsync<FilesApi.FileDto>())!;
        Assert.False(plain.LocationKept);
        Assert.NotEqual(kept.Id, plain.Id);
        Assert.Equal(kept.Hash, plain.Hash);
        var second = await KernelAsync(db => db.StoredFiles.AsNoTracking().SingleAsync(f => f.Id == plain.Id));
        Assert.Null(second.Latitude);
        Assert.Null(second.Longitude);
        var chunks = await KernelAsync(db => db.FileChunks.CountAsync(c => c.Hash == kept.Hash));
        Assert.Equal(1, chunks);
        // The response never carries the position itself.
        Assert.DoesNotContain("30.18", await withConsent.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Upload_RenamedExecutable_Is400NamingFile_InBothLanguages()
    {
        var grid = await factory.SignInAsync("grid");
        byte[] exe = [(byte)'M', (byte)'Z', 0x90, 0, 3, 0, 0, 0, .. new byte[500]];
        var response = await grid.PostAsync("/api/v1/files", Form(exe, "photo.jpg"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = (await Problem(response)).GetProperty("errors").GetProperty("file")[0].GetString()!;
        Assert.Contains("可执行程序", message);
        Assert.Contains("executable", message);
        Assert.Equal(0, await KernelAsync(db => db.StoredFiles.CountAsync(f => f.FileName == "photo.jpg")));
    }

    [Fact]
    public async Task Upload_OneByteOverThePhotoLimit_Is413NamingFile()
    {
        var grid = await factory.SignInAsync("grid");
        var over = new byte[20 * 1024 * 1024 + 1];
        over[0] = 0xFF;
        over[1] = 0xD8;
        over[2] = 0xFF;
        var response = await grid.PostAsync("/api/v1/files", Form(over, "big.jpg"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var message = (await Problem(response)).GetProperty("errors").GetProperty("file")[0].GetString()!;
        Assert.Contains("照片不能超过 20 MB", message);
        Assert.Contains("at most 20 MB", message);
    }

    [Fact]
    public async Task Upload_PngBomb_Is400_BadKind_Is400()
    {
        var grid = await factory.SignInAsync("grid");
        var bomb = await grid.PostAsync("/api/v1/files", Form(TestImages.PngBomb(), "bomb.png"));
        Assert.Equal(HttpStatusCode.BadRequest, bomb.StatusCode);
        Assert.Contains("50000×50000", (await Problem(bomb)).GetProperty("errors").GetProperty("file")[0].GetString());
        var kind = await grid.PostAsync("/api/v1/files", Form(TestImages.Png(10, 10), "a.png", kind: "video"));
        Assert.Equal(HttpStatusCode.BadRequest, kind.StatusCode);
        Assert.True((await Problem(kind)).GetProperty("errors").TryGetProperty("kind", out _));
    }

    [Fact]
    public async Task Upload_Pdf_StoredAsItIs_DownloadedAsAttachment()
    {
        var cadre = await factory.SignInAsync("cadre");
        var pdf = "%PDF-1.7\n% 调解协议书\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"u8.ToArray();
        var response = await cadre.PostAsync("/api/v1/files", Form(pdf, "agreement.pdf", kind: "document"));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var dto = (await response.Content.ReadFromJsonAsync<FilesApi.FileDto>())!;
        Assert.Null(dto.ThumbnailUrl);
        var download = await cadre.GetAsync(dto.Url);
        Assert.Equal("application/pdf", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal(pdf, await download.Content.ReadAsByteArrayAsync());
        Assert.Equal("attachment", download.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal(HttpStatusCode.NotFound, (await cadre.GetAsync($"{dto.Url}/thumbnail")).StatusCode);
    }

    [Fact]
    public async Task Download_UnattachedFile_OnlyTheUploader_OthersGet404()
    {
        var grid = await factory.SignInAsync("grid");
        var dto = (await (await grid.PostAsync("/api/v1/files", Form(TestImages.Jpeg(50, 40), "x.jpg"))).Content.ReadFromJsonAsync<FilesApi.FileDto>())!;
        Assert.Equal(HttpStatusCode.OK, (await grid.GetAsync(dto.Url)).StatusCode);
        foreach (var other in new[] { "admin", "cadre", "police" })
        {
            var client = await factory.SignInAsync(other);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(dto.Url)).StatusCode);
            Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync(dto.ThumbnailUrl)).StatusCode);
        }
        var anonymous = factory.CreateClient(new() { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(dto.Url)).StatusCode);
    }

    [Fact]
    public async Task Download_OwnerWithoutPolicy_IsDenied_OutsideRegion_IsDenied()
    {
        var admin = await factory.SignInAsync("admin");
        var dto = (await (await admin.PostAsync("/api/v1/files", Form(TestImages.Jpeg(30, 30), "y.jpg"))).Content.ReadFromJsonAsync<FilesApi.FileDto>())!;
        // Attached to a module that registered no policy: nobody, not even the district admin, may fetch it.
        await KernelAsync(async db =>
        {
            var f = await db.StoredFiles.SingleAsync(x => x.Id == dto.Id);
            f.OwnerModule = "nobody.registered";
            f.OwnerId = "1";
            return await db.SaveChangesAsync();
        });
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync(dto.Url)).StatusCode);
        // An unattached file of the uploader himself, moved outside his region, is refused too: the region is checked first.
        var grid = await factory.SignInAsync("grid");
        var own = (await (await grid.PostAsync("/api/v1/files", Form(TestImages.Jpeg(31, 30), "z.jpg"))).Content.ReadFromJsonAsync<FilesApi.FileDto>())!;
        await KernelAsync(async db =>
        {
            var f = await db.StoredFiles.SingleAsync(x => x.Id == own.Id);
            f.RegionPath = "/999999/";
            return await db.SaveChangesAsync();
        });
        Assert.Equal(HttpStatusCode.NotFound, (await grid.GetAsync(own.Url)).StatusCode);
    }
}

/// <summary>The same store with the bytes in a folder (<c>CivicGrid:Files:Folder</c>) instead of the database.</summary>
public sealed class FolderFilesFactory : PlatformFactory
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "civicgrid-tests", "files-" + Guid.NewGuid().ToString("N"));

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        base.ConfigureWebHost(builder);
        builder.UseSetting("CivicGrid:Files:Folder", Folder);
    }
}

public class FolderFilesTests(FolderFilesFactory factory) : IClassFixture<FolderFilesFactory>
{
    [Fact]
    public async Task Upload_WithAFolderConfigured_BytesInTheFolderByHash_StoredOnce()
    {
        var grid = await factory.SignInAsync("grid");
        var png = TestImages.Png(64, 48);
        var first = (await (await grid.PostAsync("/api/v1/files", FilesApiTests.Form(png, "a.png"))).Content.ReadFromJsonAsync<FilesApi.FileDto>())!;
        var second = (await (await grid.PostAsync("/api/v1/files", FilesApiTests.Form(png, "b.png"))).Content.ReadFromJsonAsync<FilesApi.FileDto>())!;
        Assert.Equal(first.Hash, second.Hash);
        var path = Path.Combine(factory.Folder, first.Hash[..2], first.Hash);
        Assert.True(File.Exists(path));
        Assert.Equal(2, Directory.GetFiles(factory.Folder, "*", SearchOption.AllDirectories).Length); // the image and its thumbnail
        Assert.Equal(await File.ReadAllBytesAsync(path), await grid.GetByteArrayAsync(second.Url));
        Assert.Equal(0, await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().FileChunks.CountAsync()));
    }
}
