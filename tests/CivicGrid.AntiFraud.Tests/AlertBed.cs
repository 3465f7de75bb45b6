using System.Net.Http.Headers;
using System.Net.Http.Json;
using CivicGrid.AntiFraud.Data;
using CivicGrid.AntiFraud.Features.Alerts;
using CivicGrid.AntiFraud.Features.Ingest;
using CivicGrid.AntiFraud.Features.Simulate;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Streams;
using CivicGrid.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.AntiFraud.Tests;

/// <summary>Helpers shared by the slice tests: residents to warn, a scenario that raises alerts at once, waiting for them.</summary>
internal static class AlertBed
{
    /// <summary>
    /// 冒充公检法 in two events: a 25-minute call from abroad (police.overseas-long-call, 40 → 12381 SMS), then 50,000 yuan
    /// leave without a call to 110/96110 (police.call-no-verify-transfer, 100 → visit).
    /// </summary>
    public static List<StreamEvent> PoliceScenario(string subject, DateTimeOffset now, string tag) =>
    [
        StreamEvent.Create($"{tag}-call", subject, "call", now - TimeSpan.FromMinutes(40), ("number", "+85212345678"), ("direction", "in"), ("duration", 1500)),
        StreamEvent.Create($"{tag}-pay", subject, "transfer_out", now - TimeSpan.FromMinutes(5), ("amount", 50000), ("account", "6217008812345678")),
    ];

    public static async Task<HttpResponseMessage> PostAsync(HttpClient client, IEnumerable<StreamEvent> events) =>
        await PostRawAsync(client, SimulateCommand.Ndjson(events));

    public static async Task<HttpResponseMessage> PostRawAsync(HttpClient client, byte[] body, string type = IngestApi.NdjsonType)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        return await client.PostAsync("/api/v1/antifraud/events", content);
    }

    public sealed record Person(string Subject, string RegionPath, long ResidentId);

    /// <summary>A resident of the seeded town 河上镇, by the blind index of their ID number.</summary>
    public static Person ResidentOfHeshang(PlatformFactory factory, int skip = 0) => factory.WithScope(sp =>
    {
        var town = sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == "河上镇" && r.Level == RegionLevel.Town);
        var scope = new RegionScope(town.Id, town.RegionPath, town.Level);
        var r = sp.GetRequiredService<PopulationDbContext>().Residents.AsNoTracking().InScope(scope).OrderBy(x => x.Id).Skip(skip).First();
        return new Person(r.IdIndex, r.RegionPath, r.Id);
    });

    /// <summary>Registers a synthetic resident in a grid of 靖江街道 (光明村), outside the demo police officer's town.</summary>
    public static Person ResidentOfJingjiang(PlatformFactory factory, string subject) => factory.WithScope(sp =>
    {
        var places = sp.GetRequiredService<PlacesDbContext>();
        var village = places.Regions.AsNoTracking().First(r => r.Name == "光明村" && r.Level == RegionLevel.Village);
        var grid = places.Regions.AsNoTracking().First(r => r.ParentId == village.Id);
        var population = sp.GetRequiredService<PopulationDbContext>();
        var resident = new Resident
        {
            Name = "测试", IdNumber = [1], IdIndex = subject, IdMasked = "330109********0000", RegionPath = grid.RegionPath, AddressId = 1, Synthetic = true,
            BirthDate = new DateOnly(1960, 1, 1),
        };
        population.Residents.Add(resident);
        population.SaveChanges();
        return new Person(subject, grid.RegionPath, resident.Id);
    });

    public static async Task<List<FraudAlert>> WaitForAlertsAsync(PlatformFactory factory, string subject, int atLeast, int timeoutMs = 10_000)
    {
        using var timeout = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            var rows = await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Alerts.AsNoTracking()
                .Where(a => a.Subject == subject).OrderBy(a => a.Id).ToListAsync());
            if (rows.Count >= atLeast) return rows;
            if (timeout.IsCancellationRequested) throw new TimeoutException($"{rows.Count} of {atLeast} alerts stored for the subject");
            await Task.Delay(20);
        }
    }

    public static int RegionId(PlatformFactory factory, string name, RegionLevel level) =>
        factory.WithScope(sp => sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking().First(r => r.Name == name && r.Level == level).Id);

    public static async Task<AlertPage> ListAsync(HttpClient client, int regionId) =>
        (await client.GetFromJsonAsync<AlertPage>($"/api/v1/antifraud/regions/{regionId}/alerts?size=200"))!;
}
