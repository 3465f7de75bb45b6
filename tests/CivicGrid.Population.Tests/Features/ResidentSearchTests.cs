using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Residents;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

public class ResidentSearchTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private (Resident Row, string Id, string? Phone) SeededResident()
    {
        return factory.WithScope(sp =>
        {
            var protector = sp.GetRequiredService<PersonalDataProtector>();
            var r = sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking().Where(x => x.Phone != null).OrderBy(x => x.Id).Skip(10).First();
            return (r, protector.Decrypt(r.IdNumber), protector.Decrypt(r.Phone!));
        });
    }

    [Fact]
    public async Task Search_ByIdNumberInBody_FindsTheOneMaskedPerson()
    {
        var (row, id, _) = SeededResident();
        var client = await factory.SignInAsync("town");
        var found = await (await client.PostAsJsonAsync("/api/v1/residents/search", new { idNumber = id.ToLowerInvariant() })).Content
            .ReadFromJsonAsync<List<ResidentDto>>();
        var person = Assert.Single(found!);
        Assert.Equal(row.Id, person.Id);
        Assert.Equal(Mask.IdNumber(id), person.IdMasked);
    }

    [Fact]
    public async Task Search_ByPhoneAndByNamePrefix_FindThePerson()
    {
        var (row, _, phone) = SeededResident();
        var client = await factory.SignInAsync("cadre");
        var byPhone = await (await client.PostAsJsonAsync("/api/v1/residents/search", new { phone = "+86 " + phone })).Content.ReadFromJsonAsync<List<ResidentDto>>();
        Assert.Contains(byPhone!, p => p.Id == row.Id);
        var byName = await (await client.PostAsJsonAsync("/api/v1/residents/search", new { name = row.Name[..1] })).Content.ReadFromJsonAsync<List<ResidentDto>>();
        Assert.All(byName!, p => Assert.StartsWith(row.Name[..1], p.Name, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Search_InvalidIdNumber_Returns400NamingTheFieldWithoutTheValue()
    {
        var client = await factory.SignInAsync("cadre");
        var response = await client.PostAsJsonAsync("/api/v1/residents/search", new { idNumber = "330109199001011235" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("idNumber", body);
        Assert.DoesNotContain("330109199001011235", body);
    }

    [Fact]
    public async Task Search_NoCriteria_Returns400()
    {
        var client = await factory.SignInAsync("cadre");
        var response = await client.PostAsJsonAsync("/api/v1/residents/search", new { });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Unmask_WithReason_ReturnsTheNumberAndAudits_MediatorIsRefused()
    {
        var (row, id, _) = SeededResident();
        var cadre = await factory.SignInAsync("cadre");
        var response = await cadre.PostAsJsonAsync($"/api/v1/residents/{row.Id}/unmask", new { field = "id", purpose = "service", reason = "办理居住证核验" });
        response.EnsureSuccessStatusCode();
        Assert.Equal(id, (await response.Content.ReadFromJsonAsync<UnmaskResult>())!.Value);
        var audit = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries.AsNoTracking()
            .Where(a => a.Action == "personal_data.unmask" && a.Target == $"resident:{row.Id}:id").ToListAsync());
        Assert.Contains(audit, a => a.UserName == "cadre" && a.Details == "[为本人办理业务] 办理居住证核验");

        var mediator = await factory.SignInAsync("mediator");
        Assert.Equal(HttpStatusCode.Forbidden, (await mediator.PostAsJsonAsync($"/api/v1/residents/{row.Id}/unmask", new { field = "id", purpose = "service", reason = "好奇看看" })).StatusCode);
    }

    [Fact]
    public async Task Unmask_WithoutAPurposeOrWithAVagueReason_Returns400NamingTheField_AndShowsNothing()
    {
        var (row, id, _) = SeededResident();
        var cadre = await factory.SignInAsync("cadre");
        var noPurpose = await cadre.PostAsJsonAsync($"/api/v1/residents/{row.Id}/unmask", new { field = "id", reason = "办理居住证核验" });
        Assert.Equal(HttpStatusCode.BadRequest, noPurpose.StatusCode);
        var body = await noPurpose.Content.ReadAsStringAsync();
        Assert.Contains("\"purpose\"", body);
        Assert.DoesNotContain(id, body);
        var vague = await cadre.PostAsJsonAsync($"/api/v1/residents/{row.Id}/unmask", new { field = "id", purpose = "verify_identity", reason = "看看看看看看" });
        Assert.Equal(HttpStatusCode.BadRequest, vague.StatusCode);
        Assert.Contains("\"reason\"", await vague.Content.ReadAsStringAsync());
        var unknown = await cadre.PostAsJsonAsync($"/api/v1/residents/{row.Id}/unmask", new { field = "id", purpose = "curiosity", reason = "办理居住证核验" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task Police_CannotSearchOrExportTheRegister()
    {
        var police = await factory.SignInAsync("police");
        Assert.Equal(HttpStatusCode.Forbidden, (await police.PostAsJsonAsync("/api/v1/residents/search", new { name = "王" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await police.PostAsJsonAsync("/api/v1/residents/export", new { })).StatusCode);
        var (row, _, _) = SeededResident();
        Assert.Equal(HttpStatusCode.Forbidden, (await police.PostAsJsonAsync($"/api/v1/residents/{row.Id}/unmask",
            new { field = "id", purpose = "lawful_request", reason = "协查在逃人员线索" })).StatusCode);
        var page = await police.GetAsync("/residents");
        Assert.NotEqual(HttpStatusCode.OK, page.StatusCode);
    }
}
