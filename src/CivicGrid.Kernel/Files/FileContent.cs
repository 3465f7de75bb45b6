using MetadataExtractor;
using MetadataExtractor.Formats.Exif;
using SkiaSharp;

namespace CivicGrid.Kernel.Files;

/// <summary>The platform's limits for uploads (<c>CivicGrid:Files</c>).</summary>
public sealed class FilesOptions
{
    public const string Section = "CivicGrid:Files";

    public long PhotoMaxBytes { get; set; } = 20L * 1024 * 1024;
    public long DocumentMaxBytes { get; set; } = 50L * 1024 * 1024;

    /// <summary>Width × height from the header above this is refused before any pixel is decoded (a decompression bomb).</summary>
    public long MaxPixels { get; set; } = 40_000_000;

    /// <summary>Stored images are scaled down to this longest side; thumbnails to <see cref="ThumbnailSide"/>.</summary>
    public int MaxSide { get; set; } = 2560;
    public int ThumbnailSide { get; set; } = 320;

    /// <summary>A folder to keep the bytes in (one file per content hash); empty keeps them in the database (every node sees them).</summary>
    public string? Folder { get; set; }

    /// <summary>Blobs in the database are cut into chunks of this size so that no row is large.</summary>
    public int ChunkBytes { get; set; } = 1024 * 1024;

    public long MaxBytes(string kind) => kind == FileKinds.Photo ? PhotoMaxBytes : DocumentMaxBytes;
}

public static class FileKinds
{
    /// <summary>An image: JPEG, PNG, WebP (HEIC when the image library decodes it), turned upright, scaled and re-encoded.</summary>
    public const string Photo = "photo";

    /// <summary>A PDF stored as it is, or a scan as an image (treated as a photo).</summary>
    public const string Document = "document";

    public static bool IsKnown(string? kind) => kind is Photo or Document;
}

/// <summary>What an upload turned into: the bytes to store, their type, size in pixels, thumbnail, and the GPS position read from EXIF.</summary>
public sealed record CheckedFile(byte[] Bytes, string ContentType, int? Width, int? Height, byte[]? Thumbnail, double? Latitude, double? Longitude);

/// <summary>An upload refused: the field's message in both languages, and whether it was too large (413).</summary>
public sealed record FileRefusal(string Zh, string En, bool TooLarge = false);

/// <summary>
/// Checks an upload by its content (never its name) and prepares it for storage. Images go through SkiaSharp (MIT,
/// Google's Skia, the decoder Chrome and Android use, patched with them): the header's dimensions are read first, so a
/// decompression bomb is refused before a pixel is decoded; the image is turned upright by its EXIF orientation, scaled
/// down and re-encoded as JPEG, which leaves every EXIF tag behind. MetadataExtractor (Apache-2.0, read-only) reads the GPS
/// position beforehand. ImageSharp was not chosen: 3.x needs a paid licence for companies, and the 2.x served here has
/// published flaws with crafted images. Magick.NET would also do, but carries the far larger ImageMagick attack surface.
/// </summary>
public static class FileContent
{
    public const string Jpeg = "image/jpeg";
    public const string Pdf = "application/pdf";

    public enum Sniffed { Unknown, Jpeg, Png, WebP, Heic, Pdf, Executable }

    /// <summary>The type from the first bytes: magic numbers only.</summary>
    public static Sniffed Sniff(ReadOnlySpan<byte> b)
    {
        if (b.Length >= 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) return Sniffed.Jpeg;
        if (b.StartsWith((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A])) return Sniffed.Png;
        if (b.Length >= 12 && b[..4].SequenceEqual("RIFF"u8) && b[8..12].SequenceEqual("WEBP"u8)) return Sniffed.WebP;
        if (b.StartsWith("%PDF-"u8)) return Sniffed.Pdf;
        if (b.Length >= 12 && b[4..8].SequenceEqual("ftyp"u8))
        {
            var brand = System.Text.Encoding.ASCII.GetString(b[8..12]);
            if (brand is "heic" or "heix" or "hevc" or "hevx" or "heim" or "heis" or "mif1" or "msf1") return Sniffed.Heic;
        }
        // Windows PE, ELF, Mach-O, zip/jar/apk/docm, shell or other scripts (#!), Java class files.
        if (b.StartsWith("MZ"u8) || b.StartsWith((ReadOnlySpan<byte>)[0x7F, (byte)'E', (byte)'L', (byte)'F']) || b.StartsWith("PK"u8)
            || b.StartsWith("#!"u8) || b.StartsWith((ReadOnlySpan<byte>)[0xCF, 0xFA, 0xED, 0xFE]) || b.StartsWith((ReadOnlySpan<byte>)[0xCA, 0xFE, 0xBA, 0xBE])
            || b.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xED, 0xFA, 0xCE]))
            return Sniffed.Executable;
        return Sniffed.Unknown;
    }

    /// <summary>Checks and prepares one upload of <paramref name="kind"/>; the refusal names what is wrong with the field <c>file</c>.</summary>
    public static (CheckedFile? File, FileRefusal? Refusal) Check(byte[] bytes, string kind, FilesOptions options)
    {
        if (bytes.Length == 0) return (null, new("文件为空", "the file is empty"));
        var max = options.MaxBytes(kind);
        if (bytes.Length > max)
            return (null, new($"{KindZh(kind)}不能超过 {max / 1024 / 1024} MB（{max} 字节）", $"a {kind} may be at most {max / 1024 / 1024} MB ({max} bytes)", TooLarge: true));
        var sniffed = Sniff(bytes);
        switch (sniffed)
        {
            case Sniffed.Executable:
                return (null, new("文件内容是可执行程序、脚本或压缩包，不是图片或文档（按内容而非文件名判断）",
                    "the file's content is an executable, a script or an archive, not an image or document (checked by content, not by name)"));
            case Sniffed.Pdf when kind == FileKinds.Document:
                return (new CheckedFile(bytes, Pdf, null, null, null, null, null), null);
            case Sniffed.Pdf:
                return (null, new("照片须为 JPEG、PNG 或 WebP 图片；PDF 请作为文档（kind=document）上传", "a photo must be a JPEG, PNG or WebP image; upload a PDF as kind=document"));
            case Sniffed.Unknown:
                return (null, new(kind == FileKinds.Photo ? "仅支持 JPEG、PNG、WebP 图片" : "仅支持 PDF 文档或 JPEG、PNG、WebP 图片",
                    kind == FileKinds.Photo ? "only JPEG, PNG and WebP images are accepted" : "only PDF documents or JPEG, PNG and WebP images are accepted"));
            default:
                return Image(bytes, sniffed, options);
        }
    }

    private static string KindZh(string kind) => kind == FileKinds.Photo ? "照片" : "文档";

    private static (CheckedFile?, FileRefusal?) Image(byte[] bytes, Sniffed sniffed, FilesOptions options)
    {
        using var data = SKData.CreateCopy(bytes);
        using var codec = SKCodec.Create(data);
        if (codec is null)
        {
            return sniffed == Sniffed.Heic
                ? (null, new("暂不支持 HEIC/HEIF 照片：请在手机相机设置中选择“兼容性最佳”（JPEG），或转换为 JPEG 后上传",
                    "HEIC/HEIF photos are not supported here: choose 'Most Compatible' (JPEG) in the phone's camera settings, or convert to JPEG"))
                : (null, new("图片已损坏或无法读取", "the image is damaged or cannot be read"));
        }
        // The header's dimensions, before any pixel is decoded.
        var info = codec.Info;
        if (info.Width <= 0 || info.Height <= 0 || (long)info.Width * info.Height > options.MaxPixels)
            return (null, new($"图片尺寸 {info.Width}×{info.Height} 超过 {options.MaxPixels / 1_000_000} 百万像素上限",
                $"the image's {info.Width}×{info.Height} pixels exceed the {options.MaxPixels / 1_000_000} megapixel limit"));
        var (lat, lon) = Gps(bytes);
        var origin = codec.EncodedOrigin;
        using var bitmap = SKBitmap.Decode(codec, new SKImageInfo(info.Width, info.Height, SKColorType.Rgba8888, SKAlphaType.Premul));
        if (bitmap is null) return (null, new("图片已损坏或无法读取", "the image is damaged or cannot be read"));
        using var image = SKImage.FromBitmap(bitmap);
        var (full, width, height) = Render(image, origin, options.MaxSide, 85);
        var (thumb, _, _) = Render(image, origin, options.ThumbnailSide, 75);
        return (new CheckedFile(full, Jpeg, width, height, thumb, lat, lon), null);
    }

    /// <summary>Draws the image upright (EXIF orientation), no larger than <paramref name="maxSide"/>, on white, as a JPEG with no metadata.</summary>
    private static (byte[] Bytes, int Width, int Height) Render(SKImage image, SKEncodedOrigin origin, int maxSide, int quality)
    {
        int w = image.Width, h = image.Height;
        var swap = origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;
        int uw = swap ? h : w, uh = swap ? w : h;
        var scale = Math.Min(1f, (float)maxSide / Math.Max(uw, uh));
        int outW = Math.Max(1, (int)Math.Round(uw * scale)), outH = Math.Max(1, (int)Math.Round(uh * scale));
        // x' = scaleX·x + skewX·y + transX; y' = skewY·x + scaleY·y + transY, in the source's pixels.
        var orient = origin switch
        {
            SKEncodedOrigin.TopRight => new SKMatrix(-1, 0, w, 0, 1, 0, 0, 0, 1),
            SKEncodedOrigin.BottomRight => new SKMatrix(-1, 0, w, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.BottomLeft => new SKMatrix(1, 0, 0, 0, -1, h, 0, 0, 1),
            SKEncodedOrigin.LeftTop => new SKMatrix(0, 1, 0, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightTop => new SKMatrix(0, -1, h, 1, 0, 0, 0, 0, 1),
            SKEncodedOrigin.RightBottom => new SKMatrix(0, -1, h, -1, 0, w, 0, 0, 1),
            SKEncodedOrigin.LeftBottom => new SKMatrix(0, 1, 0, -1, 0, w, 0, 0, 1),
            _ => SKMatrix.Identity,
        };
        using var surface = SKSurface.Create(new SKImageInfo(outW, outH, SKColorType.Rgba8888, SKAlphaType.Premul));
        var canvas = surface.Canvas;
        canvas.Clear(SKColors.White);
        canvas.SetMatrix(SKMatrix.CreateScale((float)outW / uw, (float)outH / uh).PreConcat(orient));
        canvas.DrawImage(image, 0, 0, new SKSamplingOptions(SKFilterMode.Linear, SKMipmapMode.Linear), null);
        canvas.Flush();
        using var snapshot = surface.Snapshot();
        using var encoded = snapshot.Encode(SKEncodedImageFormat.Jpeg, quality);
        return (encoded.ToArray(), outW, outH);
    }

    /// <summary>The GPS position of the EXIF block, if any; a malformed block is treated as none (the image itself was decoded by Skia).</summary>
    public static (double? Lat, double? Lon) Gps(byte[] bytes)
    {
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            var gps = ImageMetadataReader.ReadMetadata(stream).OfType<GpsDirectory>().FirstOrDefault();
            if (gps?.GetGeoLocation() is { IsZero: false } location
                && location.Latitude is >= -90 and <= 90 && location.Longitude is >= -180 and <= 180)
                return (Math.Round(location.Latitude, 6), Math.Round(location.Longitude, 6));
        }
        catch (Exception e) when (e is ImageProcessingException or IOException or ArgumentException or IndexOutOfRangeException or InvalidOperationException)
        {
            // No position rather than a refused photo.
        }
        return (null, null);
    }
}
