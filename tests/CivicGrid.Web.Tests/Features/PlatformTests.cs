using System.Net;
using System.Net.Http.Json;
using System.Text;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

public class PlatformTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task Healthz_Anonymous_Returns200()
    {
        var response = await factory.CreateClient().GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task OpenApi_Document_ListsTheApi()
    {
        var json = await factory.CreateClient().GetStringAsync("/openapi/v1.json");
        Assert.Contains("/api/v1/regions/{id}", json);
        Assert.Contains("/api/v1/addresses", json);
    }

    [Fact]
    public async Task CreateAddress_MalformedJson_Returns400ProblemNot500()
    {
        var client = await factory.SignInAsync("cadre");
        var response = await client.PostAsync("/api/v1/addresses", new StringContent("{\"street\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Malformed request", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CreateAddress_WrongTypeInField_Returns400NamingTheFieldInBothLanguages()
    {
        var client = await factory.SignInAsync("cadre");
        var response = await client.PostAsync("/api/v1/addresses", new StringContent("{\"street\":\"x\",\"lon\":\"east\"}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = await FieldMessageAsync(response, "lon");
        Assert.Contains("类型或格式不对", message);
        Assert.Contains("lon has a value of the wrong type", message);
    }

    [Fact]
    public async Task CreateAddress_BodyNotJson_Returns400NamingTheBody()
    {
        var client = await factory.SignInAsync("cadre");
        var response = await client.PostAsync("/api/v1/addresses", new StringContent("street=x", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var message = await FieldMessageAsync(response, "body");
        Assert.Contains("不是有效的 JSON", message);
        Assert.Contains("not valid JSON", message);
    }

    [Fact]
    public async Task Reject_WrongTypeOnAnotherEndpoint_AndAQueryValueNotANumber_NameTheField()
    {
        var client = await factory.SignInAsync("cadre");
        var reject = await client.PostAsync("/api/v1/declarations/1/reject", new StringContent("{\"reason\":5}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, reject.StatusCode);
        Assert.Contains("reason has a value of the wrong type", await FieldMessageAsync(reject, "reason"));

        var village = factory.WithScope(sp => sp.GetRequiredService<CivicGrid.Places.Data.PlacesDbContext>().Regions.First(r => r.Name == "众联村"));
        var page = await client.GetAsync($"/api/v1/regions/{village.Id}/rentals?page=abc");
        Assert.Equal(HttpStatusCode.BadRequest, page.StatusCode);
        var message = await FieldMessageAsync(page, "page");
        Assert.Contains("page has an invalid value", message);
        Assert.Contains("的值无效", message);
        // The value sent is not repeated back.
        Assert.DoesNotContain("abc", await page.Content.ReadAsStringAsync());
    }

    /// <summary>The bilingual message of one field in a 400 problem (application/problem+json with errors).</summary>
    private static async Task<string> FieldMessageAsync(HttpResponseMessage response, string field)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Contains("Malformed request", problem.GetProperty("title").GetString());
        return problem.GetProperty("errors").GetProperty(field)[0].GetString()!;
    }

    [Fact]
    public async Task AuditLog_Update_IsRefusedByTheDatabase()
    {
        await factory.CreateClient().GetAsync("/healthz");
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<KernelDbContext>();
            db.Audit(Actor.System, DateTime.UtcNow, "test.append", "test");
            await db.SaveChangesAsync();
            var ex = await Assert.ThrowsAnyAsync<Exception>(() => db.AuditEntries.ExecuteUpdateAsync(s => s.SetProperty(a => a.Action, "tampered")));
            Assert.Contains("append-only", ex.ToString());
            return 0;
        });
    }

    [Fact]
    public async Task AuditSearch_Admin_SeesWritesOfTheDistrict()
    {
        var cadre = await factory.SignInAsync("cadre");
        var grid = factory.WithScope(sp => sp.GetRequiredService<CivicGrid.Places.Data.PlacesDbContext>().Regions.First(r => r.Name == "众联村第1网格"));
        await cadre.PostAsJsonAsync($"/api/v1/regions/{grid.Id}/worker-phone/unmask", new { purpose = "contact", reason = "审计检索测试" });
        var admin = await factory.SignInAsync("admin");
        var entries = await admin.GetFromJsonAsync<List<AuditEntry>>("/api/v1/audit?action=personal_data");
        Assert.Contains(entries!, e => e.UserName == "cadre" && e.Details == "[联系本人] 审计检索测试" && e.Role == "village_cadre");
        var csv = await admin.GetStringAsync("/api/v1/audit/export?action=personal_data");
        Assert.Contains("审计检索测试", csv);
    }

    [Fact]
    public async Task AuditRetention_OldEntries_ArePurgedAfter180Days()
    {
        await factory.CreateClient().GetAsync("/healthz");
        var retention = factory.Services.GetRequiredService<CivicGrid.Web.Features.Audit.AuditRetention>();
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<KernelDbContext>();
            var now = factory.Time.GetUtcNow().UtcDateTime;
            db.Audit(Actor.System, now.AddDays(-181), "test.old", "old");
            db.Audit(Actor.System, now.AddDays(-179), "test.recent", "recent");
            await db.SaveChangesAsync();
            return 0;
        });
        await retention.PurgeAsync(CancellationToken.None);
        var (old, recent) = await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<KernelDbContext>();
            return (await db.AuditEntries.AnyAsync(a => a.Action == "test.old"), await db.AuditEntries.AnyAsync(a => a.Action == "test.recent"));
        });
        Assert.False(old);
        Assert.True(recent);
    }
}
