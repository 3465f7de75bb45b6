using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.SignIn;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace CivicGrid.Web.Tests.Features.SignIn;

/// <summary>The platform as tests run it; its factory records every code sent (<see cref="PlatformFactory.SentCodes"/>).</summary>
public sealed class CodeFactory : PlatformFactory
{
    public ConcurrentQueue<CodeMessage> Sent => SentCodes;
}

public class OneTimeCodeTests(CodeFactory factory) : IClassFixture<CodeFactory>
{
    private OneTimeCodes Codes => factory.Services.GetRequiredService<OneTimeCodes>();

    [Fact]
    public async Task Check_RightCode_TicketConsumedOnlyOnce()
    {
        const string phone = "13600000001";
        var request = await Codes.RequestAsync("landlord", phone, "10.0.0.1", default);
        Assert.True(request.Sent);
        var (ticket, errors) = await Codes.CheckAsync("landlord", phone, factory.LastCode(phone), default);
        Assert.False(errors.Any);
        Assert.NotNull(ticket);
        Assert.True(await Codes.ConsumeAsync(ticket!, default));
        Assert.False(await Codes.ConsumeAsync(ticket!, default));
        var (again, againErrors) = await Codes.CheckAsync("landlord", phone, factory.LastCode(phone), default);
        Assert.Null(again);
        Assert.Contains("code", againErrors.ToDictionary().Keys);
    }

    [Fact]
    public async Task Check_AfterLifetime_Expired()
    {
        const string phone = "13600000002";
        await Codes.RequestAsync("landlord", phone, "10.0.0.2", default);
        factory.Time.Advance(Codes.Options.Lifetime + TimeSpan.FromSeconds(1));
        var (ticket, errors) = await Codes.CheckAsync("landlord", phone, factory.LastCode(phone), default);
        Assert.Null(ticket);
        Assert.Contains("验证码已失效", errors.ToDictionary()["code"][0]);
    }

    [Fact]
    public async Task Check_WrongCodeMaxAttemptsTimes_RightCodeRefusedAfterwards()
    {
        const string phone = "13600000003";
        await Codes.RequestAsync("landlord", phone, "10.0.0.3", default);
        var right = factory.LastCode(phone);
        var wrong = right == "000000" ? "111111" : "000000";
        for (var i = 0; i < Codes.Options.MaxAttempts; i++)
        {
            var (t, e) = await Codes.CheckAsync("landlord", phone, wrong, default);
            Assert.Null(t);
            Assert.Contains("code", e.ToDictionary().Keys);
        }
        var (ticket, _) = await Codes.CheckAsync("landlord", phone, right, default);
        Assert.Null(ticket);
    }

    [Fact]
    public async Task Check_CodeOfAnotherPurpose_Refused()
    {
        const string phone = "13600000004";
        await Codes.RequestAsync("landlord", phone, "10.0.0.4", default);
        var (ticket, _) = await Codes.CheckAsync("party", phone, factory.LastCode(phone), default);
        Assert.Null(ticket);
    }

    [Fact]
    public async Task Request_AgainWithinAMinute_RateLimitedNamingPhone_ThenAllowed()
    {
        const string phone = "13600000005";
        Assert.True((await Codes.RequestAsync("landlord", phone, "10.0.0.5", default)).Sent);
        var second = await Codes.RequestAsync("landlord", phone, "10.0.0.5", default);
        Assert.True(second.RateLimited);
        Assert.Contains("过于频繁", second.Errors.ToDictionary()["phone"][0]);
        Assert.Contains("try again", second.Errors.ToDictionary()["phone"][0]);
        factory.Time.Advance(Codes.Options.ResendAfter);
        var third = await Codes.RequestAsync("landlord", phone, "10.0.0.5", default);
        Assert.True(third.Sent);
        // The newer code replaces the older one.
        var codes = factory.Sent.Where(m => m.Phone == phone).Select(m => m.Code).ToList();
        if (codes[0] != codes[^1])
        {
            var (old, _) = await Codes.CheckAsync("landlord", phone, codes[0], default);
            Assert.Null(old);
        }
    }

    [Fact]
    public async Task Request_MoreThanHourlyLimitForOnePhone_Refused()
    {
        const string phone = "13600000006";
        for (var i = 0; i < Codes.Options.PerPhonePerHour; i++)
        {
            Assert.True((await Codes.RequestAsync("landlord", phone, $"10.0.6.{i}", default)).Sent);
            factory.Time.Advance(Codes.Options.ResendAfter);
        }
        var refused = await Codes.RequestAsync("landlord", phone, "10.0.6.99", default);
        Assert.True(refused.RateLimited);
    }

    [Fact]
    public async Task Request_20PerMinuteFromOneAddress_RefusedBeyondTheLimit()
    {
        const string source = "10.0.7.7";
        var limit = Codes.Options.PerSourcePerTenMinutes;
        for (var i = 0; i < limit; i++)
        {
            Assert.True((await Codes.RequestAsync("landlord", $"1370000{i:0000}", source, default)).Sent);
        }
        var refused = await Codes.RequestAsync("landlord", "13799999999", source, default);
        Assert.True(refused.RateLimited);
        Assert.Contains("phone", refused.Errors.ToDictionary().Keys);
        Assert.True((await Codes.RequestAsync("landlord", "13799999999", "10.0.7.8", default)).Sent);
    }

    [Fact]
    public async Task Request_InvalidPhone_FieldErrorNothingStored()
    {
        var before = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().OneTimeCodes.CountAsync());
        var request = await Codes.RequestAsync("landlord", "12345", "10.0.0.9", default);
        Assert.False(request.Sent);
        Assert.False(request.RateLimited);
        Assert.Contains("phone", request.Errors.ToDictionary().Keys);
        Assert.Equal(before, await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().OneTimeCodes.CountAsync()));
    }

    [Fact]
    public async Task Stored_Code_NeitherPlainNorPhone()
    {
        const string phone = "13600000010";
        await Codes.RequestAsync("landlord", phone, "10.0.0.10", default);
        var code = factory.LastCode(phone);
        var rows = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().OneTimeCodes.AsNoTracking().ToListAsync());
        Assert.DoesNotContain(rows, r => r.CodeHash.Contains(code, StringComparison.Ordinal) || r.PhoneIndex.Contains(phone, StringComparison.Ordinal)
            || (r.SourceIndex ?? "").Contains("10.0.0.10", StringComparison.Ordinal));
    }
}

public class SignInApiTests(CodeFactory factory) : IClassFixture<CodeFactory>
{
    [Fact]
    public async Task PostCode_KnownPurpose_202AndSent()
    {
        var response = await factory.CreateClient().PostAsJsonAsync("/api/v1/sign-in/codes", new { purpose = "landlord", phone = "13900000001" });
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Contains(factory.Sent, m => m.Phone == "13900000001" && m.Purpose == "landlord");
    }

    [Fact]
    public async Task PostCode_UnknownPurpose_400NamingPurpose()
    {
        var response = await factory.CreateClient().PostAsJsonAsync("/api/v1/sign-in/codes", new { purpose = "admin", phone = "13900000002" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"purpose\"", body);
        Assert.Contains("用途须为", body);
    }

    [Fact]
    public async Task PostCode_20TimesAMinute_429WithBilingualMessageNever500()
    {
        var client = factory.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 20; i++)
        {
            var response = await client.PostAsJsonAsync("/api/v1/sign-in/codes", new { purpose = "landlord", phone = "13900000003" });
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                var body = await response.Content.ReadAsStringAsync();
                Assert.Contains("过于频繁", body);
                Assert.Contains("try again", body);
                Assert.True(response.Headers.Contains("Retry-After"));
            }
        }
        Assert.Equal(HttpStatusCode.Accepted, statuses[0]);
        Assert.All(statuses.Skip(1), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        Assert.Single(factory.Sent, m => m.Phone == "13900000003");
    }
}
