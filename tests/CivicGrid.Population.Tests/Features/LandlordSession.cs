using System.Net;
using System.Text.RegularExpressions;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Landlords;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

/// <summary>Signs a landlord in on the phone pages as a browser does (code from the recorded outbox), and registers one rental.</summary>
internal static partial class LandlordSession
{
    /// <summary>What a village cadre does after seeing the ownership document: the claim is verified.</summary>
    public static async Task VerifyClaimAsync(IServiceProvider sp, long propertyId, DateTime now)
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var district = await places.Regions.AsNoTracking().SingleAsync(r => r.Level == CivicGrid.Kernel.Regions.RegionLevel.District);
        var (outcome, _) = await Claims.DecideAsync(sp.GetRequiredService<PopulationDbContext>(), propertyId, true, new ClaimDecision { Evidence = "document" },
            new CivicGrid.Kernel.Regions.RegionScope(district.Id, district.RegionPath, district.Level), CivicGrid.Kernel.Audit.Actor.System, now, default);
        Assert.Equal(Claims.Outcome.Done, outcome);
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    public static async Task<(HttpClient Client, long LandlordId, long PropertyId)> SignInAsync(PlatformFactory factory, string phone, string idNumber,
        Address rental, bool verify = true)
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        var page = await client.GetStringAsync("/landlord/login");
        var sent = await client.PostAsync("/landlord/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "send", ["__RequestVerificationToken"] = AntiforgeryField().Match(page).Groups[1].Value, ["Phone"] = phone,
        }));
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var codeForm = await sent.Content.ReadAsStringAsync();
        var code = factory.LastCode(phone);
        var verified = await client.PostAsync("/landlord/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "verify", ["__RequestVerificationToken"] = AntiforgeryField().Match(codeForm).Groups[1].Value, ["Reg.Phone"] = phone,
            ["Reg.Code"] = code, ["Reg.Kind"] = "Individual", ["Reg.Name"] = "房东" + phone[^4..], ["Reg.IdNumber"] = idNumber,
        }));
        Assert.Equal(HttpStatusCode.Redirect, verified.StatusCode);
        return await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var landlord = await db.Landlords.AsNoTracking().FirstAsync(l => l.PhoneMasked == Mask.Phone(phone));
            var (property, errors) = await Landlords.AddPropertyAsync(db, sp.GetRequiredService<CivicGrid.Places.Contracts.AddressDirectory>(), landlord.Id, rental.DoorplateToken, 2,
                null, factory.Time.GetUtcNow().UtcDateTime, default);
            Assert.False(errors.Any);
            if (verify) await VerifyClaimAsync(sp, property!.Id, factory.Time.GetUtcNow().UtcDateTime);
            return (client, landlord.Id, property!.Id);
        });
    }
}
