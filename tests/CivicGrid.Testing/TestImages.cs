using System.Buffers.Binary;
using SkiaSharp;

namespace CivicGrid.Testing;

/// <summary>Images made in code for the upload tests: plain PNG/JPEG, a JPEG with an EXIF orientation and GPS block, a PNG bomb header.</summary>
public static class TestImages
{
    /// <summary>A <paramref name="width"/>×<paramref name="height"/> image, left half red and right half blue.</summary>
    public static byte[] Encode(int width, int height, SKEncodedImageFormat format, int quality = 90)
    {
        using var surface = SKSurface.Create(new SKImageInfo(width, height, SKColorType.Rgba8888, SKAlphaType.Premul));
        surface.Canvas.Clear(SKColors.Red);
        using (var paint = new SKPaint { Color = SKColors.Blue })
        {
            surface.Canvas.DrawRect(width / 2f, 0, width / 2f, height, paint);
        }
        using var image = surface.Snapshot();
        using var data = image.Encode(format, quality);
        return data.ToArray();
    }

    public static byte[] Png(int width, int height) => Encode(width, height, SKEncodedImageFormat.Png);

    public static byte[] Jpeg(int width, int height) => Encode(width, height, SKEncodedImageFormat.Jpeg);

    /// <summary>
    /// A JPEG with an APP1 EXIF block written by hand (big-endian TIFF): IFD0 with Orientation and a GPS IFD pointer, the GPS
    /// IFD with latitude/longitude (N/E) as degrees, minutes, seconds.
    /// </summary>
    public static byte[] JpegWithExif(int width, int height, ushort orientation, double lat, double lon)
    {
        var jpeg = Jpeg(width, height);
        var tiff = new byte[140];
        var t = tiff.AsSpan();
        "MM"u8.CopyTo(t);
        BinaryPrimitives.WriteUInt16BigEndian(t[2..], 42);
        BinaryPrimitives.WriteUInt32BigEndian(t[4..], 8);
        // IFD0 at 8: 2 entries, next IFD 0; 30 bytes, so the GPS IFD starts at 38.
        BinaryPrimitives.WriteUInt16BigEndian(t[8..], 2);
        Entry(t[10..], 0x0112, 3, 1, (uint)orientation << 16);
        Entry(t[22..], 0x8825, 4, 1, 38);
        BinaryPrimitives.WriteUInt32BigEndian(t[34..], 0);
        // GPS IFD at 38: 4 entries (54 bytes); rationals at 92 (latitude) and 116 (longitude).
        BinaryPrimitives.WriteUInt16BigEndian(t[38..], 4);
        Entry(t[40..], 0x0001, 2, 2, (uint)'N' << 24);
        Entry(t[52..], 0x0002, 5, 3, 92);
        Entry(t[64..], 0x0003, 2, 2, (uint)'E' << 24);
        Entry(t[76..], 0x0004, 5, 3, 116);
        BinaryPrimitives.WriteUInt32BigEndian(t[88..], 0);
        Dms(t[92..], lat);
        Dms(t[116..], lon);
        var app1 = new List<byte> { 0xFF, 0xE1 };
        var length = 2 + 6 + tiff.Length;
        app1.Add((byte)(length >> 8));
        app1.Add((byte)length);
        app1.AddRange("Exif\0\0"u8.ToArray());
        app1.AddRange(tiff);
        // After SOI (and after a JFIF APP0 if the encoder wrote one).
        var at = 2;
        if (jpeg[2] == 0xFF && jpeg[3] == 0xE0) at = 4 + (jpeg[4] << 8 | jpeg[5]);
        return [.. jpeg[..at], .. app1, .. jpeg[at..]];
    }

    private static void Entry(Span<byte> e, ushort tag, ushort type, uint count, uint value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(e, tag);
        BinaryPrimitives.WriteUInt16BigEndian(e[2..], type);
        BinaryPrimitives.WriteUInt32BigEndian(e[4..], count);
        BinaryPrimitives.WriteUInt32BigEndian(e[8..], value);
    }

    private static void Dms(Span<byte> r, double value)
    {
        var degrees = (uint)value;
        var minutesFull = (value - degrees) * 60;
        var minutes = (uint)minutesFull;
        var seconds = (uint)Math.Round((minutesFull - minutes) * 60 * 1000);
        uint[] parts = [degrees, 1, minutes, 1, seconds, 1000];
        for (var i = 0; i < parts.Length; i++) BinaryPrimitives.WriteUInt32BigEndian(r[(i * 4)..], parts[i]);
    }

    /// <summary>A real 1×1 PNG whose header (IHDR, with a correct CRC) claims <paramref name="width"/>×<paramref name="height"/>.</summary>
    public static byte[] PngBomb(int width = 50000, int height = 50000)
    {
        var png = Png(1, 1);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(16), width);
        BinaryPrimitives.WriteInt32BigEndian(png.AsSpan(20), height);
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(29), Crc32(png.AsSpan(12, 17)));
        return png;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        return ~crc;
    }

    /// <summary>True when the bytes hold an EXIF block (an APP1 "Exif" header) anywhere.</summary>
    public static bool HasExif(byte[] bytes) => bytes.AsSpan().IndexOf("Exif\0\0"u8) >= 0;
}
