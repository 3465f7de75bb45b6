using System.Net;
using CivicGrid.Testing;

namespace CivicGrid.Population.Tests.Features;

public class RateLimitTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task PublicStatusPage_TooManyRequestsFromOneClient_Returns429()
    {
        var client = factory.CreateClient();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 35; i++)
        {
            statuses.Add((await client.GetAsync("/declarations/status?code=ABCDEFGHJK")).StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) <= 30);
    }
}
