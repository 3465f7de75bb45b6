using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Messaging;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Population.Tests.Features;

public class NoticeTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private int Village(string name) => factory.WithScope(sp =>
        sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == name && r.Level == RegionLevel.Village).Id);

    [Fact]
    public async Task Cadre_SendsNotice_OneSmsPerCurrentResidentsNumber_OptedOutNotSent_Audited()
    {
        var cadre = await factory.SignInAsync("cadre");
        var (expected, village, firstPhone) = await factory.WithScopeAsync<(int Count, string Path, string Phone)>(async sp =>
        {
            var db = sp.GetRequiredService<PopulationDbContext>();
            var path = (await sp.GetRequiredService<PlacesDbContext>().Regions.FirstAsync(r => r.Name == "众联村" && r.Level == RegionLevel.Village)).RegionPath;
            var phones = await db.Residents.AsNoTracking().Where(r => r.RegionPath.StartsWith(path) && r.PhoneIndex != null && r.Until == null)
                .Select(r => new { r.PhoneIndex, r.Phone }).ToListAsync();
            var protector = sp.GetRequiredService<Kernel.PersonalData.PersonalDataProtector>();
            return (Count: phones.Select(p => p.PhoneIndex).Distinct().Count(), Path: path, Phone: protector.Decrypt(phones[0].Phone!));
        });
        Assert.True(expected > 0, "the demo village has residents with phones");
        // One of them replied T earlier.
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<KernelDbContext>();
            db.Add(new MessageOptOut { PhoneIndex = sp.GetRequiredService<Outbox>().OptOutIndex(firstPhone), At = DateTime.UtcNow, Source = "sms_reply" });
            return await db.SaveChangesAsync();
        });

        var response = await cadre.PostAsJsonAsync("/api/v1/notices", new { text = "明天 8:00–12:00 停水，请提前储水。" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(expected == result.GetProperty("queued").GetInt32(), $"expected {expected}, got {result}");

        // This node's background dispatcher was woken too and may hold a batch in flight: wait until none is pending.
        var dispatcher = factory.Services.GetRequiredService<OutboxDispatcher>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Outbox
            .AnyAsync(m => m.Kind == MessagingServices.NoticeKind && m.State == OutboxStates.Pending)))
        {
            timeout.Token.ThrowIfCancellationRequested();
            await dispatcher.DispatchAsync(default);
            await Task.Yield();
        }
        var messages = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Outbox.AsNoTracking()
            .Where(m => m.Kind == MessagingServices.NoticeKind && m.Body.Contains("停水")).ToListAsync());
        Assert.Equal(expected, messages.Count);
        Assert.All(messages, m => Assert.StartsWith(village, m.RegionPath));
        Assert.Single(messages, m => m.State == OutboxStates.OptedOut);
        Assert.Equal(expected - 1, messages.Count(m => m.State == OutboxStates.Sent));
        Assert.True(await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries.AnyAsync(a => a.Action == "population.notice.send")));
    }

    [Fact]
    public async Task Notice_BadText_NamesTheField_ForeignRegion404_GridWorkerRefused()
    {
        var cadre = await factory.SignInAsync("cadre");
        var empty = await cadre.PostAsJsonAsync("/api/v1/notices", new { text = " " });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        var problem = await empty.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("text is required", problem.GetProperty("errors").GetProperty("text")[0].GetString());
        var foreign = await cadre.PostAsJsonAsync("/api/v1/notices", new { regionId = Village("光明村"), text = "越权通知" });
        Assert.Equal(HttpStatusCode.NotFound, foreign.StatusCode);
        var grid = await factory.SignInAsync("grid");
        Assert.Equal(HttpStatusCode.Forbidden, (await grid.PostAsJsonAsync("/api/v1/notices", new { text = "x" })).StatusCode);
        Assert.False(await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().Outbox.AnyAsync(m => m.Body.Contains("越权通知"))));
    }
}
