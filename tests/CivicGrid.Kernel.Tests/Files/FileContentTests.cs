using CivicGrid.Kernel.Files;
using CivicGrid.Testing;
using SkiaSharp;

namespace CivicGrid.Kernel.Tests.Files;

public class FileContentTests
{
    private static readonly FilesOptions Options = new();

    [Fact]
    public void Check_JpegWithOrientation6AndGps_UprightExifGoneGpsRead()
    {
        var original = TestImages.JpegWithExif(800, 400, orientation: 6, lat: 30.183456, lon: 120.264321);
        Assert.True(TestImages.HasExif(original));
        var (lat, lon) = FileContent.Gps(original);
        Assert.Equal(30.183456, lat!.Value, 4);
        Assert.Equal(120.264321, lon!.Value, 4);

        var (file, refusal) = FileContent.Check(original, FileKinds.Photo, Options);

        Assert.Null(refusal);
        Assert.NotNull(file);
        // Turned upright: a 800×400 sensor image rotated 90° is 400 wide and 800 high.
        Assert.Equal(400, file.Width);
        Assert.Equal(800, file.Height);
        using var decoded = SKBitmap.Decode(file.Bytes);
        Assert.Equal((400, 800), (decoded.Width, decoded.Height));
        // Rotated clockwise: the red left half of the sensor image is now the top.
        Assert.True(decoded.GetPixel(200, 100).Red > 200 && decoded.GetPixel(200, 100).Blue < 60);
        Assert.True(decoded.GetPixel(200, 700).Blue > 200 && decoded.GetPixel(200, 700).Red < 60);
        Assert.Equal(FileContent.Jpeg, file.ContentType);
        Assert.False(TestImages.HasExif(file.Bytes));
        Assert.Equal((null, null), FileContent.Gps(file.Bytes));
        Assert.Equal(30.183456, file.Latitude!.Value, 4);
        Assert.Equal(120.264321, file.Longitude!.Value, 4);
        // The thumbnail is at most 320 px on its longest side.
        using var thumb = SKBitmap.Decode(file.Thumbnail);
        Assert.Equal((160, 320), (thumb.Width, thumb.Height));
        Assert.True(file.Thumbnail!.Length < file.Bytes.Length);
    }

    [Fact]
    public void Check_LargePng_ScaledToLongestSide2560_AsJpeg()
    {
        var (file, refusal) = FileContent.Check(TestImages.Png(3000, 1500), FileKinds.Photo, Options);
        Assert.Null(refusal);
        Assert.Equal((2560, 1280), (file!.Width, file.Height));
        Assert.Equal(FileContent.Sniffed.Jpeg, FileContent.Sniff(file.Bytes));
        Assert.Null(file.Latitude);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'M', (byte)'Z', 0x90, 0x00, 0x03, 0x00 })]
    [InlineData(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1 })]
    [InlineData(new byte[] { (byte)'P', (byte)'K', 3, 4, 20, 0 })]
    [InlineData(new byte[] { (byte)'#', (byte)'!', (byte)'/', (byte)'b', (byte)'i', (byte)'n' })]
    public void Check_RenamedExecutable_RefusedByContent(byte[] head)
    {
        var bytes = head.Concat(new byte[200]).ToArray();
        foreach (var kind in new[] { FileKinds.Photo, FileKinds.Document })
        {
            var (file, refusal) = FileContent.Check(bytes, kind, Options);
            Assert.Null(file);
            Assert.Contains("可执行程序", refusal!.Zh);
            Assert.Contains("executable", refusal.En);
            Assert.False(refusal.TooLarge);
        }
    }

    [Fact]
    public void Check_OneByteOverThePhotoLimit_TooLarge_AtTheLimitNot()
    {
        var over = new byte[Options.PhotoMaxBytes + 1];
        over[0] = 0xFF;
        over[1] = 0xD8;
        over[2] = 0xFF;
        var (_, refusal) = FileContent.Check(over, FileKinds.Photo, Options);
        Assert.True(refusal!.TooLarge);
        Assert.Contains("20 MB", refusal.Zh);
        // At the limit it is read (and, being no real JPEG, refused as damaged: not for its size).
        var (_, atLimit) = FileContent.Check(over[..^1], FileKinds.Photo, Options);
        Assert.False(atLimit!.TooLarge);
        // A document may be larger.
        var (_, document) = FileContent.Check(over, FileKinds.Document, Options);
        Assert.False(document!.TooLarge);
    }

    [Fact]
    public void Check_PngBomb_RefusedFromItsHeaderBeforeDecoding()
    {
        var bomb = TestImages.PngBomb(50000, 50000);
        Assert.True(bomb.Length < 200);
        var (file, refusal) = FileContent.Check(bomb, FileKinds.Photo, Options);
        Assert.Null(file);
        // The header's size is named: the pixel data (one pixel) was never decoded, or it would be "damaged".
        Assert.Contains("50000×50000", refusal!.Zh);
        Assert.Contains("megapixel", refusal.En);
    }

    [Fact]
    public void Check_Pdf_KeptAsItIsAsDocument_RefusedAsPhoto()
    {
        var pdf = "%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"u8.ToArray();
        var (file, refusal) = FileContent.Check(pdf, FileKinds.Document, Options);
        Assert.Null(refusal);
        Assert.Equal(pdf, file!.Bytes);
        Assert.Equal(FileContent.Pdf, file.ContentType);
        Assert.Null(file.Thumbnail);
        var (_, asPhoto) = FileContent.Check(pdf, FileKinds.Photo, Options);
        Assert.Contains("document", asPhoto!.En);
    }

    [Fact]
    public void Check_HeicSkiaCannotRead_RefusedWithAClearMessage()
    {
        byte[] heic = [0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'h', (byte)'e', (byte)'i', (byte)'c', 0, 0, 0, 0, .. new byte[100]];
        var (file, refusal) = FileContent.Check(heic, FileKinds.Photo, Options);
        Assert.Null(file);
        Assert.Contains("HEIC", refusal!.Zh);
        Assert.Contains("JPEG", refusal.En);
    }

    [Fact]
    public void Check_TextNamedJpg_RefusedAsUnknown()
    {
        var (_, refusal) = FileContent.Check("hello, not a photo"u8.ToArray(), FileKinds.Photo, Options);
        Assert.Contains("JPEG", refusal!.Zh);
    }
}
