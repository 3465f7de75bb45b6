using System.Text.Json;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

/// <summary>Generated clients are usable only when every operation has a stable name and says what it does, in both languages.</summary>
public class OpenApiTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private static bool HasChinese(string s) => s.Any(c => c is >= '\u4e00' and <= '\u9fff');

    [Fact]
    public void EveryApiEndpoint_HasAUniqueNameAndABilingualSummary()
    {
        var endpoints = factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true).ToList();
        Assert.True(endpoints.Count >= 60, $"only {endpoints.Count} API endpoints found");
        var missing = new List<string>();
        foreach (var e in endpoints)
        {
            var key = $"{string.Join(",", e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? [])} {e.RoutePattern.RawText}";
            var name = e.Metadata.GetMetadata<IEndpointNameMetadata>()?.EndpointName;
            var summary = e.Metadata.GetMetadata<IEndpointSummaryMetadata>()?.Summary;
            if (string.IsNullOrWhiteSpace(name)) missing.Add($"{key}: no name (.WithName)");
            if (summary is null || !summary.Contains(" / ", StringComparison.Ordinal) || !HasChinese(summary))
                missing.Add($"{key}: no Chinese / English summary (.WithSummary(\"中文 / English\"))");
        }
        Assert.True(missing.Count == 0, string.Join("\n", missing));
        var names = endpoints.Select(e => e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName).ToList();
        Assert.Equal(names.Count, names.Distinct().Count());
    }

    [Fact]
    public async Task OpenApiDocument_EveryOperationHasAnOperationIdAndSummary()
    {
        using var doc = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/openapi/v1.json"));
        var operations = doc.RootElement.GetProperty("paths").EnumerateObject()
            .SelectMany(p => p.Value.EnumerateObject().Where(o => o.Name is "get" or "post" or "put" or "delete" or "patch").Select(o => (Path: p.Name, Op: o)))
            .ToList();
        Assert.True(operations.Count >= 60, $"only {operations.Count} operations in the document");
        foreach (var (path, op) in operations)
        {
            Assert.True(op.Value.TryGetProperty("operationId", out _), $"{op.Name} {path}: no operationId");
            Assert.True(op.Value.TryGetProperty("summary", out var s) && HasChinese(s.GetString()!), $"{op.Name} {path}: no Chinese summary");
        }
    }

    [Fact]
    public async Task SignOut_ThroughTheApi_EndsTheSession()
    {
        var client = await factory.SignInAsync("cadre");
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.GetAsync("/api/v1/account/me")).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await client.PostAsync("/api/v1/account/logout", null)).StatusCode);
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, (await client.GetAsync("/api/v1/account/me")).StatusCode);
    }
}
