using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using CivicGrid.Kernel;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.SignIn;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Landlords;

/// <summary>
/// Landlords sign in with their mobile number and a one-time code (sent through the outbox), register themselves on first
/// sign-in, register rental properties by doorplate, and confirm the residence declarations made at their properties.
/// Their cookie is separate from staff accounts ("landlord" scheme): a landlord never sees staff pages.
/// </summary>
internal static class Landlords
{
    public const string Scheme = "landlord";
    public const string Policy = "landlord";
    public const string LandlordIdClaim = "cg:landlord_id";
    /// <summary>The purpose of a landlord's one-time code (a code for another purpose does not sign a landlord in).</summary>
    public const string CodePurpose = "landlord";

    public static long? LandlordId(ClaimsPrincipal user) =>
        long.TryParse(user.FindFirstValue(LandlordIdClaim), out var id) ? id : null;

    /// <summary>Sends a 6-digit code to the phone through the platform's one-time-code sign-in (hashed, rate-limited).</summary>
    public static async Task<FieldErrors> SendCodeAsync(OneTimeCodes codes, string? phoneInput, string? clientAddress, CancellationToken ct) =>
        (await codes.RequestAsync(CodePurpose, phoneInput, clientAddress, ct)).Errors;

    public sealed class Registration
    {
        public string? Phone { get; set; }
        public string? Code { get; set; }
        public LandlordKind Kind { get; set; }
        public string? Name { get; set; }
        public string? IdNumber { get; set; }
        public string? CreditCode { get; set; }
    }

    /// <summary>
    /// Checks the code and returns the landlord, registering them first when the phone is new (then name and ID number or
    /// credit code are required). Null with errors otherwise; a code allows 5 attempts and 10 minutes.
    /// </summary>
    public static async Task<(Landlord? Landlord, FieldErrors Errors, bool NeedsRegistration)> VerifyAsync(PopulationDbContext db,
        PersonalDataProtector protector, OneTimeCodes codes, Registration form, string? clientAddress, DateTime now, CancellationToken ct)
    {
        var (ticket, errors) = await codes.CheckAsync(CodePurpose, form.Phone, form.Code, ct);
        if (ticket is null) return (null, errors, false);
        var (phone, index) = (ticket.Phone, ticket.PhoneIndex);
        var landlord = await db.Landlords.FirstOrDefaultAsync(l => l.PhoneIndex == index, ct);
        if (landlord is null)
        {
            var name = form.Name?.Trim();
            if (string.IsNullOrEmpty(name) || name.Length > 64) errors.Add("name", "姓名或企业名称必填", "name is required");
            string? id = null, credit = null;
            if (form.Kind == LandlordKind.Individual && !CitizenId.TryNormalize(form.IdNumber, out id, out var idError))
                errors.Add("idNumber", idError!);
            if (form.Kind == LandlordKind.Enterprise && !CreditCode.TryNormalize(form.CreditCode, out credit, out var creditError))
                errors.Add("creditCode", creditError!);
            // The code stays valid while the registration form is completed.
            if (errors.Any) return (null, errors, true);
            landlord = new Landlord
            {
                Kind = form.Kind, Name = name!, Phone = protector.Encrypt(phone), PhoneIndex = index, PhoneMasked = Mask.Phone(phone), RegisteredAt = now,
                IdNumber = id is null ? null : protector.Encrypt(id), IdIndex = id is null ? null : protector.BlindIndex("id", id),
                IdMasked = id is null ? null : Mask.IdNumber(id), CreditCode = credit,
            };
            db.Landlords.Add(landlord);
        }
        // Spent before the landlord is stored: a double submit signs in once, the other answer says the code is spent.
        if (!await codes.ConsumeAsync(ticket, ct))
        {
            errors.Add("code", "验证码已失效，请重新获取", "the code has expired: ask for a new one");
            return (null, errors, false);
        }
        // The new landlord's id comes with the first save: the audit line commits with it in one transaction, and names the
        // landlord as its actor (in place of the placeholder).
        await db.SaveAuditedAsync(Actor.System, now, async ct =>
        {
            await db.SaveChangesAsync(ct);
            return [new AuditLine("population.landlord.sign_in", $"landlord:{landlord.Id}", Actor: LandlordActor(landlord, clientAddress))];
        }, ct);
        return (landlord, errors, false);
    }

    public static Actor LandlordActor(Landlord l, string? clientAddress) => new(null, $"landlord:{l.Id}", "landlord", "", clientAddress);

    public static async Task SignInAsync(HttpContext http, Landlord landlord)
    {
        var identity = new ClaimsIdentity([new Claim(LandlordIdClaim, landlord.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Name, landlord.PhoneMasked), new Claim(PersonClaims.Subject, $"landlord:{landlord.Id}"),
            new Claim(PersonClaims.Purpose, CodePurpose), new Claim(PersonClaims.PhoneIndex, landlord.PhoneIndex)], Scheme);
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity));
    }

    /// <summary>
    /// Claims a rental property at the doorplate's address. The claim is pending until a grid worker or village cadre
    /// verifies it; on an address another landlord holds it is disputed and goes to the village. Claiming the same address
    /// again changes the rooms (and puts a rejected claim back to pending); every change is audited with it.
    /// </summary>
    public static async Task<(RentalProperty? Property, FieldErrors Errors)> AddPropertyAsync(PopulationDbContext db, AddressDirectory addresses, long landlordId,
        string? token, int rooms, string? clientAddress, DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        token = token?.Trim();
        var address = await addresses.FindByDoorplateAsync(token, ct);
        if (address is null) errors.Add("token", "门牌码无效，请扫描出租房门上的二维码", "unknown doorplate: scan the QR code on the rental's door");
        if (rooms is < 1 or > 500) errors.Add("rooms", "出租间数须在 1 到 500 之间", "rooms must be between 1 and 500");
        if (errors.Any) return (null, errors);
        var actor = new Actor(null, $"landlord:{landlordId}", "landlord", "", clientAddress);
        var held = await db.RentalProperties.AnyAsync(p => p.AddressId == address!.Id && p.LandlordId != landlordId && p.Claim == PropertyClaim.Verified, ct);
        var existing = await db.RentalProperties.FirstOrDefaultAsync(p => p.LandlordId == landlordId && p.AddressId == address!.Id, ct);
        if (existing is not null)
        {
            var before = (existing.Rooms, existing.Claim);
            existing.Rooms = rooms;
            if (existing.Claim == PropertyClaim.Rejected) existing.Claim = held ? PropertyClaim.Disputed : PropertyClaim.Pending;
            if (before != (existing.Rooms, existing.Claim))
            {
                await db.SaveAuditedAsync(actor, now, "population.property.update", $"property:{existing.Id}",
                    $"rooms {before.Rooms}→{rooms}; claim {before.Claim}→{existing.Claim}", ct);
            }
            return (existing, errors);
        }
        var property = new RentalProperty
        {
            LandlordId = landlordId, AddressId = address!.Id, RegionPath = address.RegionPath, Rooms = rooms, RegisteredAt = now,
            Claim = held ? PropertyClaim.Disputed : PropertyClaim.Pending,
        };
        db.RentalProperties.Add(property);
        try
        {
            await db.SaveAuditedAsync(actor, now, "population.property.register", $"address:{address.Id}", property.Claim.ToString(), ct);
        }
        catch (DbUpdateException)
        {
            // The same claim submitted twice at once (a double tap): the first one stands.
            db.ChangeTracker.Clear();
            var first = await db.RentalProperties.AsNoTracking().FirstOrDefaultAsync(p => p.LandlordId == landlordId && p.AddressId == address.Id, ct);
            if (first is null) throw;
            return (first, errors);
        }
        return (property, errors);
    }

    /// <summary>The landlord's verified properties: the only ones whose residents and declarations the landlord sees.</summary>
    public static IQueryable<RentalProperty> Held(PopulationDbContext db, long landlordId) =>
        db.RentalProperties.Where(p => p.LandlordId == landlordId && p.Claim == PropertyClaim.Verified);

    /// <summary>Pending declarations at the landlord's verified properties.</summary>
    public static IQueryable<Declaration> PendingAtProperties(PopulationDbContext db, long landlordId) =>
        db.Declarations.Where(d => d.Status == DeclarationStatus.Pending
            && db.RentalProperties.Any(p => p.LandlordId == landlordId && p.AddressId == d.AddressId && p.Claim == PropertyClaim.Verified));

    public static string ClaimTitle(PropertyClaim c) => c switch
    {
        PropertyClaim.Verified => Bilingual.Pick("已核实", "Verified"),
        PropertyClaim.Pending => Bilingual.Pick("待核实", "Awaiting verification"),
        PropertyClaim.Disputed => Bilingual.Pick("已有房东登记，待村（社区）裁定", "Held by another landlord: the village decides"),
        _ => Bilingual.Pick("未通过核实", "Not verified"),
    };

    public static CookieAuthenticationOptions Configure(CookieAuthenticationOptions o)
    {
        o.Cookie.Name = "civicgrid-landlord";
        o.Cookie.SameSite = SameSiteMode.Strict;
        o.Cookie.HttpOnly = true;
        o.ExpireTimeSpan = TimeSpan.FromMinutes(30);
        o.SlidingExpiration = true;
        o.LoginPath = "/landlord/login";
        o.AccessDeniedPath = "/landlord/login";
        // The landlord API answers 401/403 instead of redirecting to the sign-in page.
        o.Events.OnRedirectToLogin = c => ApiOrRedirect(c, StatusCodes.Status401Unauthorized);
        o.Events.OnRedirectToAccessDenied = c => ApiOrRedirect(c, StatusCodes.Status403Forbidden);
        return o;
    }

    private static Task ApiOrRedirect(RedirectContext<CookieAuthenticationOptions> c, int status)
    {
        if (c.Request.Path.StartsWithSegments("/api")) c.Response.StatusCode = status;
        else c.Response.Redirect(c.RedirectUri);
        return Task.CompletedTask;
    }
}
