using System.Net;
using System.Text.RegularExpressions;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

/// <summary>A declaration and its audit line commit together: when the database refuses the line, no declaration is left.</summary>
public partial class AuditedDeclarationTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private const string Action = "population.declaration.submit";

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();

    private async Task<HttpResponseMessage> DeclareAsync(HttpClient client, string token, string idNumber)
    {
        var form = await client.GetStringAsync($"/d/{token}/declare");
        var fields = new Dictionary<string, string>
        {
            ["_handler"] = "declare", ["__RequestVerificationToken"] = AntiforgeryField().Match(form).Groups[1].Value,
            ["Form.Name"] = "赵审计", ["Form.IdNumber"] = idNumber, ["Form.Phone"] = "13812340001", ["Form.MoveInDate"] = "2026-11-01", ["Form.Relation"] = "Tenant",
        };
        return await client.PostAsync($"/d/{token}/declare", new FormUrlEncodedContent(fields));
    }

    private Task<int> DeclarationsAsync(string idNumber) => factory.WithScopeAsync(sp =>
        sp.GetRequiredService<PopulationDbContext>().Declarations.CountAsync(d => d.IdMasked == Mask.IdNumber(idNumber)));

    [Fact]
    public async Task Declare_AuditLineRefused_Answers503AndLeavesNoDeclaration()
    {
        var token = factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Addresses.AsNoTracking().OrderBy(a => a.Id).Skip(3).First().DoorplateToken);
        var idNumber = CitizenId.Create("330109", new DateOnly(1991, 3, 4), 317);
        var client = factory.CreateClient();
        await factory.WithScopeAsync(async sp => { await AuditFailures.RejectAsync(sp.GetRequiredService<PopulationDbContext>(), Action); return 0; });
        try
        {
            var refused = await DeclareAsync(client, token, idNumber);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal(0, await DeclarationsAsync(idNumber));
        }
        finally
        {
            await factory.WithScopeAsync(async sp => { await AuditFailures.AllowAsync(sp.GetRequiredService<PopulationDbContext>()); return 0; });
        }

        var accepted = await DeclareAsync(client, token, idNumber);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        var id = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Declarations
            .Where(d => d.IdMasked == Mask.IdNumber(idNumber)).Select(d => d.Id).SingleAsync());
        var target = $"declaration:{id}";
        Assert.True(await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Set<AuditEntry>()
            .AnyAsync(a => a.Action == Action && a.Target == target)));
    }
}
