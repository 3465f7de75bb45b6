using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Web;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace CivicGrid.Kernel.Files;

/// <summary>Photos and files as a platform service: upload (signed-in staff), download checked by region and owner policy.</summary>
public static class FilesApi
{
    public static IServiceCollection AddFiles(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<FilesOptions>().Bind(configuration.GetSection(FilesOptions.Section));
        services.AddScoped<FileStore>();
        return services;
    }

    public static RouteGroupBuilder MapFilesApi(this RouteGroupBuilder api)
    {
        var files = api.MapGroup("/files").WithTags("Platform")
            .RequireAuthorization(p => p.RequireAssertion(c => Acting.From(c.User, null).IsStaff));
        // The server's body limit: the largest kind plus room for the form's other parts; one byte over a kind's own limit is
        // refused by the handler with a message naming the field.
        var limits = ((IEndpointRouteBuilder)api).ServiceProvider.GetRequiredService<IOptions<FilesOptions>>().Value;
        files.MapPost("/", Upload).DisableAntiforgery()
            .WithMetadata(new RequestSizeLimitAttribute(Math.Max(limits.PhotoMaxBytes, limits.DocumentMaxBytes) + 1024 * 1024))
            .WithName("UploadFile").WithSummary("上传照片或文档（multipart：file、kind=photo|document、keepLocation） / Upload a photo or document (multipart: file, kind=photo|document, keepLocation)");
        files.MapGet("/{fileId:guid}", Download)
            .WithName("DownloadFile").WithSummary("下载文件（按归属模块的规则与辖区核查） / Download a file (checked by its owner's policy and region)");
        files.MapGet("/{fileId:guid}/thumbnail", Thumbnail)
            .WithName("DownloadFileThumbnail").WithSummary("下载图片缩略图 / Download an image's thumbnail");
        return api;
    }

    /// <summary>What the uploader gets back. The GPS position is shown only as whether it was kept.</summary>
    public sealed record FileDto(Guid Id, string Kind, string ContentType, long Size, int? Width, int? Height, string Hash, bool LocationKept, string Url,
        string? ThumbnailUrl);

    public static FileDto ToDto(StoredFile f) => new(f.Id, f.Kind, f.ContentType, f.Size, f.Width, f.Height, f.Hash, f.Latitude is not null,
        $"/api/v1/files/{f.Id}", f.ThumbnailHash is null ? null : $"/api/v1/files/{f.Id}/thumbnail");

    /// <summary>413 for a file over its kind's limit, naming the field as a validation problem does.</summary>
    private static ProblemHttpResult TooLarge(string zh, string en) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: Bilingual.Both("文件过大", "File too large"),
            detail: Bilingual.Both(zh, en),
            extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { ["file"] = [Bilingual.Both(zh, en)] } });

    private static async Task<Results<Created<FileDto>, ValidationProblem, ProblemHttpResult>> Upload(HttpContext http, FileStore store, CancellationToken ct)
    {
        var acting = Acting.From(http);
        if (!http.Request.HasFormContentType) return Problems.Field("file", "请以 multipart/form-data 上传文件", "send the file as multipart/form-data");
        // Kestrel's own limit (30 MB by default) would cut a 50 MB document short: this endpoint's limit is the largest kind's.
        if (http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } body)
            body.MaxRequestBodySize = Math.Max(store.Options.PhotoMaxBytes, store.Options.DocumentMaxBytes) + 1024 * 1024;
        IFormCollection form;
        try
        {
            form = await http.Request.ReadFormAsync(ct);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException)
        {
            return Problems.Field("file", "上传内容无法读取或超过上限", "the upload could not be read or exceeds the limit");
        }
        var kind = form["kind"].ToString().Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(kind)) kind = FileKinds.Photo;
        if (!FileKinds.IsKnown(kind)) return Problems.Field("kind", "kind 须为 photo 或 document", "kind must be photo or document");
        var keepText = form["keepLocation"].ToString().Trim();
        bool keepLocation = false;
        if (keepText.Length > 0 && !bool.TryParse(keepText, out keepLocation) && keepText is not ("1" or "0" or "on"))
            return Problems.Field("keepLocation", "keepLocation 须为 true 或 false", "keepLocation must be true or false");
        keepLocation |= keepText is "1" or "on";
        var file = form.Files.GetFile("file");
        if (file is null || file.Length == 0) return Problems.Field("file", "请选择要上传的文件", "choose a file to upload");
        var max = store.Options.MaxBytes(kind);
        if (file.Length > max)
            return TooLarge($"{(kind == FileKinds.Photo ? "照片" : "文档")}不能超过 {max / 1024 / 1024} MB（{max} 字节）", $"a {kind} may be at most {max / 1024 / 1024} MB ({max} bytes)");
        byte[] bytes;
        using (var buffer = new MemoryStream((int)file.Length))
        {
            await file.CopyToAsync(buffer, ct);
            bytes = buffer.ToArray();
        }
        var (checkedFile, refusal) = FileContent.Check(bytes, kind, store.Options);
        if (refusal is not null) return refusal.TooLarge ? TooLarge(refusal.Zh, refusal.En) : Problems.Field("file", refusal.Zh, refusal.En);
        var stored = await store.SaveAsync(checkedFile!, kind, file.FileName, keepLocation, acting, ct);
        return TypedResults.Created($"/api/v1/files/{stored.Id}", ToDto(stored));
    }

    /// <summary>
    /// Whether <paramref name="acting"/> may fetch <paramref name="file"/>: inside their region, and then the uploader of an
    /// unattached file or whoever the owner's policy admits. An owner module without a policy is denied.
    /// </summary>
    public static async Task<bool> MayDownloadAsync(IServiceProvider services, Acting acting, StoredFile file, CancellationToken ct)
    {
        if (!acting.IsStaff || acting.Scope is not { } scope || !scope.Contains(file.RegionPath)) return false;
        if (file.OwnerId is null) return file.UploadedBy == acting.UserName;
        var policy = services.GetServices<FileOwnerPolicy>().FirstOrDefault(p => p.Module == file.OwnerModule);
        return policy is not null && await policy.MayDownload(services, acting, file, ct);
    }

    private static Task<Results<FileContentHttpResult, ProblemHttpResult>> Download(Guid fileId, HttpContext http, FileStore store, CancellationToken ct) =>
        SendAsync(fileId, thumbnail: false, http, store, ct);

    private static Task<Results<FileContentHttpResult, ProblemHttpResult>> Thumbnail(Guid fileId, HttpContext http, FileStore store, CancellationToken ct) =>
        SendAsync(fileId, thumbnail: true, http, store, ct);

    private static async Task<Results<FileContentHttpResult, ProblemHttpResult>> SendAsync(Guid fileId, bool thumbnail, HttpContext http, FileStore store,
        CancellationToken ct)
    {
        var file = await store.FindAsync(fileId, ct);
        // Outside the caller's region or owner: the same answer as a file that does not exist.
        if (file is null || !await MayDownloadAsync(http.RequestServices, Acting.From(http), file, ct))
            return Problems.NotFound("文件不存在，或您无权查看", "File not found, or you may not see it");
        var hash = thumbnail ? file.ThumbnailHash : file.Hash;
        if (hash is null) return Problems.NotFound("该文件没有缩略图", "This file has no thumbnail");
        var bytes = await store.ReadAsync(hash, ct);
        if (bytes is null) return Problems.NotFound("文件内容缺失", "The file's content is missing");
        http.Response.Headers.CacheControl = "private, max-age=3600";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        var type = thumbnail ? FileContent.Jpeg : file.ContentType;
        var name = file.ContentType == FileContent.Pdf ? file.FileName ?? $"{file.Id}.pdf" : null;
        return TypedResults.File(bytes, type, name);
    }
}
