using System.Net;
using System.Net.Http.Json;
using System.Text;
using CivicGrid.AntiFraud.Features.Ingest;
using CivicGrid.AntiFraud.Features.Simulate;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Regions;
using CivicGrid.Streams;
using CivicGrid.Testing;

namespace CivicGrid.AntiFraud.Tests.Features;

public class IngestApiTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task PostEvents_BadLinesAmongGoodOnes_CountsEachWithLineAndReason()
    {
        var admin = await factory.SignInAsync("admin");
        var now = factory.Time.GetUtcNow();
        var good = StreamEvent.Create("ingest-good-1", "ingest-subject-key-0001", "sms", now, ("number", "10690000"), ("direction", "in"));
        var lines = new[]
        {
            Encoding.UTF8.GetString(SimulateCommand.Ndjson([good])).TrimEnd('\n'),
            "{not json",
            $$$"""{"id":"ingest-2","subject":"ingest-subject-key-0001","kind":"teleport","time":"{{{now:O}}}","attributes":{}}""",
            $$$"""{"id":"ingest-3","subject":"13812345678","kind":"sms","time":"{{{now:O}}}","attributes":{"number":"1","direction":"in"}}""",
            $$$"""{"id":"ingest-4","subject":"ingest-subject-key-0001","kind":"transfer_out","time":"{{{now:O}}}","attributes":{"amount":1e12,"account":"x"}}""",
            $$$"""{"id":"ingest-5","subject":"ingest-subject-key-0001","kind":"call","time":"{{{now:O}}}","attributes":{"number":"110"}}""",
            "",
            Encoding.UTF8.GetString(SimulateCommand.Ndjson([good])).TrimEnd('\n'),
            $$$"""{"id":"ingest-6","subject":"ingest-subject-key-0001","kind":"url_visit","time":"{{{now.AddYears(-1):O}}}","attributes":{"domain":"a.com"}}""",
        };
        var response = await AlertBed.PostRawAsync(admin, Encoding.UTF8.GetBytes(string.Join('\n', lines)));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<IngestResult>())!;
        Assert.Equal((1, 1, 6), (result.Accepted, result.Duplicates, result.Rejected));
        Assert.Equal([2L, 3, 4, 5, 6, 9], result.Rejections.Select(r => r.Line).ToArray());
        Assert.Equal([RejectionCodes.Malformed, RejectionCodes.UnknownKind, RejectionCodes.PlainIdentity, RejectionCodes.AbsurdValue, RejectionCodes.MissingField, RejectionCodes.BadTime],
            result.Rejections.Select(r => r.Code).ToArray());
        Assert.Contains("direction", result.Rejections.Single(r => r.Line == 6).Message);
    }

    [Fact]
    public async Task PostEvents_JsonArrayInsteadOfNdjson_Returns400Bilingual()
    {
        var admin = await factory.SignInAsync("admin");
        var response = await AlertBed.PostRawAsync(admin, Encoding.UTF8.GetBytes("[{\"id\":\"a\"},{\"id\":\"b\"}]"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.Contains("\"body\"", problem);
        Assert.Contains("不是 NDJSON", problem);
        Assert.Contains("not NDJSON", problem);

        var wrongType = await AlertBed.PostRawAsync(admin, Encoding.UTF8.GetBytes("{}"), "application/json");
        Assert.Equal(HttpStatusCode.BadRequest, wrongType.StatusCode);
        Assert.Contains("application/x-ndjson", await wrongType.Content.ReadAsStringAsync());

        var empty = await AlertBed.PostRawAsync(admin, []);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
    }

    [Fact]
    public async Task PostEvents_WithoutIngestPermission_IsRefused()
    {
        var body = SimulateCommand.Ndjson([StreamEvent.Create("ingest-auth", "ingest-subject-key-0002", "sms", factory.Time.GetUtcNow(), ("number", "1069"), ("direction", "in"))]);
        // A grid worker and a town officer do not hold ingest_events.
        Assert.False(Permissions.Has(Principal(Roles.GridWorker), Permissions.IngestEvents));
        Assert.Equal(HttpStatusCode.Forbidden, (await AlertBed.PostRawAsync(await factory.SignInAsync("grid"), body)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await AlertBed.PostRawAsync(await factory.SignInAsync("town"), body)).StatusCode);
        // A town police officer holds it, but the feed covers the whole district.
        var police = await factory.SignInAsync("police");
        Assert.True(Permissions.Has(Principal(Roles.PoliceOfficer), Permissions.IngestEvents));
        var refused = await AlertBed.PostRawAsync(police, body);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("district-level", await refused.Content.ReadAsStringAsync());
        var anonymous = factory.CreateClient(new() { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Unauthorized, (await AlertBed.PostRawAsync(anonymous, body)).StatusCode);
    }

    [Fact]
    public async Task PostEvents_DistrictPoliceOfficer_IsAllowed()
    {
        // The data partner's account: a district-level police officer (there is no data-partner role).
        var admin = await factory.SignInAsync("admin");
        var district = AlertBed.RegionId(factory, "萧山区", RegionLevel.District);
        var created = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName = "feed-partner", displayName = "数据对接", role = Roles.PoliceOfficer, regionId = district, password = "Partner@2021x" });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var partner = await factory.SignInAsync("feed-partner", "Partner@2021x");
        var body = SimulateCommand.Ndjson([StreamEvent.Create("ingest-partner-1", "ingest-subject-key-0003", "sms", factory.Time.GetUtcNow(), ("number", "1069"), ("direction", "in"))]);

        var response = await AlertBed.PostRawAsync(partner, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(1, (await response.Content.ReadFromJsonAsync<IngestResult>())!.Accepted);
    }

    private static System.Security.Claims.ClaimsPrincipal Principal(string role) =>
        new(new System.Security.Claims.ClaimsIdentity([new(System.Security.Claims.ClaimTypes.Role, role)], "test"));
}
