using CivicGrid.Kernel.Audit;
using CivicGrid.Places.Data;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using QRCoder;

namespace CivicGrid.Places.Features.Doorplates;

/// <summary>Smart doorplates: the QR image and token rotation. The public page itself is DoorplatePage.razor.</summary>
public static class Doorplate
{
    public static IEndpointRouteBuilder MapDoorplates(this IEndpointRouteBuilder app)
    {
        // Public: the QR encodes nothing but this URL, so the image may be fetched by anyone holding the token.
        app.MapGet("/d/{token}/qr.svg", QrSvg).AllowAnonymous().WithTags("Doorplates");
        return app;
    }

    public static async Task<Results<ContentHttpResult, NotFound>> QrSvg(string token, HttpRequest request, PlacesDbContext db, CancellationToken ct)
    {
        if (!DoorplateTokens.LooksValid(token) || !await db.Addresses.AnyAsync(a => a.DoorplateToken == token, ct))
            return TypedResults.NotFound();
        return TypedResults.Content(Svg(Url(request, token)), "image/svg+xml");
    }

    public static string Url(HttpRequest request, string token) => $"{request.Scheme}://{request.Host}/d/{token}";

    public static string Svg(string url)
    {
        using var generator = new QRCodeGenerator();
        using var data = generator.CreateQrCode(url, QRCodeGenerator.ECCLevel.M);
        return new SvgQRCode(data).GetGraphic(new System.Drawing.Size(256, 256), "#000000", "#ffffff", true, SvgQRCode.SizingMode.ViewBoxAttribute);
    }

    public static async Task RotateAsync(PlacesDbContext db, Address address, Actor actor, DateTime now, CancellationToken ct)
    {
        db.RetiredDoorplates.Add(new RetiredDoorplate { Token = address.DoorplateToken, AddressId = address.Id, RetiredAt = now });
        address.DoorplateToken = DoorplateTokens.New();
        address.DoorplateIssuedAt = now;
        db.Audit(actor, now, "places.doorplate.rotate", $"address:{address.Id}");
        await db.SaveChangesAsync(ct);
    }
}
