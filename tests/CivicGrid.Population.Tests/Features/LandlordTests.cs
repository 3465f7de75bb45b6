using System.Text.RegularExpressions;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.SignIn;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Landlords;
using CivicGrid.Kernel.Messaging;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

public partial class LandlordTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private async Task<string> SendAsync(string phone)
    {
        return await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var errors = await Landlords.SendCodeAsync(sp.GetRequiredService<OneTimeCodes>(), phone, "127.0.0.1", default);
            Assert.False(errors.Any);
            var message = await db.Outbox.AsNoTracking().OrderByDescending(m => m.Id).FirstAsync();
            Assert.Equal(Mask.Phone(MobileNumber.TryNormalize(phone, out var p, out _) ? p : ""), message.RecipientMasked);
            // The stored text never holds the code: asterisks in clear, the real text only encrypted until delivered.
            var code = factory.LastCode(phone);
            Assert.Contains("验证码为 ******", sp.GetRequiredService<Outbox>().Shown(message));
            Assert.DoesNotContain(code, message.Body);
            Assert.DoesNotContain(code, message.Parameters);
            // The code is a secret parameter, kept only encrypted.
            Assert.NotNull(message.SecretParameters);
            Assert.Contains(code, sp.GetRequiredService<PersonalDataProtector>().Decrypt(message.SecretParameters));
            return code;
        });
    }

    private Task<(Landlord? Landlord, Kernel.Web.FieldErrors Errors, bool NeedsRegistration)> VerifyAsync(Landlords.Registration form) =>
        factory.WithScopeAsync(sp => Landlords.VerifyAsync(sp.GetRequiredService<PopulationDbContext>(), sp.GetRequiredService<PersonalDataProtector>(),
            sp.GetRequiredService<OneTimeCodes>(), form, "127.0.0.1", factory.Time.GetUtcNow().UtcDateTime, default));

    [Fact]
    public async Task SignIn_NewEnterprise_RegistersWithCreditCode()
    {
        var code = await SendAsync("13511112222");
        var missing = await VerifyAsync(new() { Phone = "13511112222", Code = code, Kind = LandlordKind.Enterprise, Name = "萧山物业有限公司", CreditCode = "91350100M000100Y44" });
        Assert.Null(missing.Landlord);
        Assert.True(missing.NeedsRegistration);
        Assert.Contains("creditCode", missing.Errors.ToDictionary().Keys);

        var ok = await VerifyAsync(new() { Phone = "13511112222", Code = code, Kind = LandlordKind.Enterprise, Name = "萧山物业有限公司", CreditCode = "91350100M000100Y43" });
        Assert.NotNull(ok.Landlord);
        Assert.Equal("91350100M000100Y43", ok.Landlord.CreditCode);
        Assert.Equal("135****2222", ok.Landlord.PhoneMasked);
    }

    [Fact]
    public async Task SignIn_FiveWrongCodes_BurnTheCode()
    {
        var code = await SendAsync("13522223333");
        var wrong = code == "000000" ? "111111" : "000000";
        for (var i = 0; i < 5; i++)
        {
            var r = await VerifyAsync(new() { Phone = "13522223333", Code = wrong, Name = "甲", IdNumber = "11010519491231002X" });
            Assert.Contains("code", r.Errors.ToDictionary().Keys);
        }
        var right = await VerifyAsync(new() { Phone = "13522223333", Code = code, Name = "甲", IdNumber = "11010519491231002X" });
        Assert.Null(right.Landlord);
        Assert.Contains("失效", string.Join(" ", right.Errors.ToDictionary()["code"]));
    }

    [Fact]
    public async Task SignIn_CodeOlderThanTenMinutes_IsRefused()
    {
        var code = await SendAsync("13533334444");
        factory.Time.Advance(TimeSpan.FromMinutes(11));
        var r = await VerifyAsync(new() { Phone = "13533334444", Code = code, Name = "乙", IdNumber = "11010519491231002X" });
        Assert.Null(r.Landlord);
        Assert.Contains("code", r.Errors.ToDictionary().Keys);
    }

    [Fact]
    public async Task Outbox_DefaultSender_RecordsTheMessageAsSent()
    {
        await SendAsync("13544445555");
        var dispatcher = factory.Services.GetRequiredService<OutboxDispatcher>();
        await dispatcher.DispatchAsync(default);
        var unsent = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Outbox.CountAsync(m => m.SentAt == null));
        Assert.Equal(0, unsent);
        var message = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Outbox.AsNoTracking().OrderByDescending(m => m.Id).FirstAsync());
        Assert.Equal("record", message.SentBy);
        Assert.Equal(OutboxStates.Sent, message.State);
        // Record-only (the demo) keeps the encrypted code a day so the outbox page can show it; the purge job then drops it.
        Assert.NotNull(message.SecretParameters);
        factory.Time.Advance(TimeSpan.FromDays(1.5));
        await factory.Services.GetRequiredService<Kernel.Jobs.JobRunner>().RunAsync("outbox_purge", DateTime.UtcNow, "manual", "test", default);
        var purged = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Outbox.AsNoTracking().FirstAsync(m => m.Id == message.Id));
        Assert.Null(purged.SecretParameters);
        Assert.NotEqual(System.Text.Encoding.UTF8.GetBytes("13544445555"), message.Recipient);
    }

    [Fact]
    public async Task LandlordPage_Anonymous_RedirectsToLandlordSignInNotStaff()
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        var staffApi = await client.GetAsync("/api/v1/account/me");
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, staffApi.StatusCode);
        var landlordPage = await client.GetAsync("/landlord");
        Assert.Equal(System.Net.HttpStatusCode.Redirect, landlordPage.StatusCode);
        Assert.StartsWith("/landlord/login", landlordPage.Headers.Location!.PathAndQuery, StringComparison.Ordinal);
    }
}
