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
internal static class Doorplate
{
    public static IEndpointRouteBuilder MapDoorplates(this IEndpointRouteBuilder app)
    {
        // Public: the QR encodes nothing but this URL, so the image may be fetched by anyone holding the token.
        app.MapGet("/d/{token}/qr.svg", QrSvg).AllowAnonymous().WithTags("Doorplates")
            .WithName("DoorplateQr").WithSummary("门牌二维码（SVG，公开） / The doorplate's QR code as SVG (public)");
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

    /// <summary>
    /// Gives the address a new doorplate token and retires the old one. Two rotations of one doorplate at once: one
    /// wins, the other returns false (the caller answers 409) and writes nothing; the token, the retired token and the
    /// audit line commit together.
    /// </summary>
    public static async Task<bool> RotateAsync(PlacesDbContext db, Address address, Actor actor, DateTime now, CancellationToken ct)
    {
        var old = address.DoorplateToken;
        var token = DoorplateTokens.New();
        var rotated = await db.SaveAuditedAsync(actor, now, async ct =>
        {
            // Only the rotation that still sees the old token changes it (the row lock orders concurrent ones on PostgreSQL,
            // the database lock on SQLite).
            var changed = await db.Addresses.Where(a => a.Id == address.Id && a.DoorplateToken == old)
                .ExecuteUpdateAsync(u => u.SetProperty(a => a.DoorplateToken, token).SetProperty(a => a.DoorplateIssuedAt, now), ct);
            if (changed == 0) return [];
            db.RetiredDoorplates.Add(new RetiredDoorplate { Token = old, AddressId = address.Id, RetiredAt = now });
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // The old token was retired by a rotation that committed in between: this one rolls back.
                db.ChangeTracker.Clear();
                return [];
            }
            return [new AuditLine("places.doorplate.rotate", $"address:{address.Id}")];
        }, ct);
        if (!rotated) return false;
        // The row was changed in the database, not through the tracker: the caller's object follows, untracked.
        db.Entry(address).State = EntityState.Detached;
        (address.DoorplateToken, address.DoorplateIssuedAt) = (token, now);
        return true;
    }
}
