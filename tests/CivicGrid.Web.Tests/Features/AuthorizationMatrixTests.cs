using System.Net;
using System.Net.Http.Json;
using System.Text;
using CivicGrid.AntiFraud.Data;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Units;
using CivicGrid.Places.Contracts;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Data;
using CivicGrid.Population.Data;
using CivicGrid.Testing;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

/// <summary>
/// Every API endpoint × every staff role × data outside the account's subtree is refused. The endpoint list comes
/// from the running app, so a new endpoint is covered the day it is added: if it takes a route parameter or a body
/// this table does not know, the test fails and asks for a foreign sample.
/// </summary>
public class AuthorizationMatrixTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    // Endpoints that hold no foreign data by construction, with the answers allowed: "me", the import template, and an
    // upload that always lands in the caller's own area (its rows with foreign doorplates are rejected by the job).
    private static readonly Dictionary<string, int[]> ScopeFree = new()
    {
        ["GET /api/v1/account/me"] = [200],
        ["GET /api/v1/imports/templates/residents"] = [200, 403],
        ["POST /api/v1/imports/residents"] = [202, 403],
        ["GET /api/v1/imports/templates/landlords"] = [200, 403],
        ["POST /api/v1/imports/landlords"] = [202, 403],
        ["GET /api/v1/imports/templates/properties"] = [200, 403],
        ["POST /api/v1/imports/properties"] = [202, 403],
        ["GET /api/v1/imports/templates/tenancies"] = [200, 403],
        ["POST /api/v1/imports/tenancies"] = [202, 403],
        // The rule pack is the district's, not a region's: police read it, only district accounts change it.
        ["GET /api/v1/antifraud/rules"] = [200, 403],
        ["GET /api/v1/antifraud/watchlists/{name}"] = [200, 403],
        // The demo's simulated people: residents of the caller's own area only, district admins only.
        ["GET /api/v1/antifraud/demo-subjects"] = [200, 403],
        // The units list holds only the caller's own units (checked below); the templates hold no data.
        ["GET /api/v1/units"] = [200],
        ["GET /api/v1/units/roster-template"] = [200],
        ["GET /api/v1/accounts/import-template"] = [200, 403],
        // The working-day calendar is the whole country's: every staff member reads it and works out deadlines on it;
        // only district admins load a year.
        ["GET /api/v1/calendar/{year:int}"] = [200],
        ["GET /api/v1/calendar/deadline"] = [200],
        ["POST /api/v1/calendar/{year:int}"] = [403],
        // One's own inbox: only the caller's messages (filtered by account id).
        ["GET /api/v1/inbox"] = [200],
        // Every staff member may upload a photo or document; it lands in the caller's own region, owned by nobody yet.
        ["POST /api/v1/files"] = [201],
    };

    private sealed record Foreign(int VillageId, int GridId, long AddressId, string AdminUserId, double Lon, double Lat, long DeclarationId, long ResidentId, long AlertId, long JobId,
        long PropertyId, long TenancyId, long PermitId, int UnitId, long ShiftId, Guid FileId);

    // Landlord endpoints take only the landlord cookie: a staff cookie is no landlord, so they answer 401.
    private static bool LandlordOnly(string key) => key.Contains(" /api/v1/landlord/", StringComparison.Ordinal);

    private async Task<Foreign> ForeignDataAsync()
    {
        return await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<PlacesDbContext>();
            // 光明村 lies in 靖江街道: outside every demo account but the district admin.
            var village = await db.Regions.FirstAsync(r => r.Name == "光明村" && r.Level == RegionLevel.Village);
            var grid = await db.Regions.FirstAsync(r => r.ParentId == village.Id);
            var address = await db.Addresses.FirstOrDefaultAsync(a => a.GridId == grid.Id);
            if (address is null)
            {
                address = new Address
                {
                    GridId = grid.Id, RegionPath = grid.RegionPath, Street = "光明路 1 号", Lon = (grid.MinLon + grid.MaxLon) / 2,
                    Lat = (grid.MinLat + grid.MaxLat) / 2, Kind = AddressKind.Residence, DoorplateToken = "matrixmatrixmatrix01",
                };
                db.Addresses.Add(address);
                await db.SaveChangesAsync();
            }
            var admin = await sp.GetRequiredService<UserManager<StaffUser>>().FindByNameAsync("admin");
            // A declaration and a resident at the foreign address.
            var population = sp.GetRequiredService<PopulationDbContext>();
            var protector = sp.GetRequiredService<PersonalDataProtector>();
            var id = CitizenId.Create("330109", new DateOnly(1980, 5, 5), 11);
            var declaration = await population.Declarations.FirstOrDefaultAsync(d => d.AddressId == address.Id);
            if (declaration is null)
            {
                declaration = new Declaration
                {
                    AddressId = address.Id, RegionPath = address.RegionPath, Name = "越权", IdNumber = protector.Encrypt(id), IdIndex = protector.BlindIndex("id", id),
                    IdMasked = Mask.IdNumber(id), MoveInDate = new DateOnly(2026, 1, 1), LookupCode = "MATRIX2345", SubmittedAt = DateTime.UtcNow,
                };
                population.Declarations.Add(declaration);
                population.Residents.Add(new Resident
                {
                    Name = "越权", IdNumber = protector.Encrypt(id), IdIndex = protector.BlindIndex("id", id), IdMasked = Mask.IdNumber(id),
                    AddressId = address.Id, RegionPath = address.RegionPath, BirthDate = new DateOnly(1980, 5, 5),
                });
                await population.SaveChangesAsync();
            }
            var resident = await population.Residents.FirstAsync(r => r.AddressId == address.Id);
            var permit = await population.Permits.FirstOrDefaultAsync(p => p.AddressId == address.Id);
            if (permit is null)
            {
                permit = new ResidencePermit
                {
                    ResidentId = resident.Id, AddressId = address.Id, RegionPath = address.RegionPath, Name = "越权", IdIndex = resident.IdIndex,
                    IdMasked = resident.IdMasked, LookupCode = "MATRIXPRMT", AppliedAt = DateTime.UtcNow,
                };
                population.Permits.Add(permit);
                await population.SaveChangesAsync();
            }
            var job = await population.ImportJobs.FirstOrDefaultAsync(j => j.RegionPath == village.RegionPath);
            if (job is null)
            {
                job = new ImportJob
                {
                    FileName = "foreign.csv", RegionPath = village.RegionPath, RegionId = village.Id, UserName = "admin", Status = ImportStatus.Rejected,
                    ErrorReport = [1, 2, 3], CreatedAt = DateTime.UtcNow,
                };
                population.ImportJobs.Add(job);
                await population.SaveChangesAsync();
            }
            // A landlord's rental and tenancy at the foreign address.
            var tenancy = await population.Tenancies.FirstOrDefaultAsync(t => t.AddressId == address.Id);
            if (tenancy is null)
            {
                var landlord = new Landlord
                {
                    Name = "越权房东", Phone = protector.Encrypt("13900009999"), PhoneIndex = protector.BlindIndex("phone", "13900009999"), PhoneMasked = "139****9999",
                    RegisteredAt = DateTime.UtcNow,
                };
                population.Landlords.Add(landlord);
                await population.SaveChangesAsync();
                // Pending: a verify or reject from outside the area would show as a change.
                var property = new RentalProperty
                {
                    LandlordId = landlord.Id, AddressId = address.Id, RegionPath = address.RegionPath, Rooms = 1, RegisteredAt = DateTime.UtcNow, Claim = PropertyClaim.Pending,
                };
                population.RentalProperties.Add(property);
                await population.SaveChangesAsync();
                tenancy = new Tenancy
                {
                    RentalPropertyId = property.Id, LandlordId = landlord.Id, AddressId = address.Id, RegionPath = address.RegionPath, TenantName = "越权",
                    TenantIdNumber = protector.Encrypt(id), TenantIdIndex = protector.BlindIndex("id", id), TenantIdMasked = Mask.IdNumber(id),
                    MoveIn = new DateOnly(2026, 1, 1), MoveInReportedAt = DateTime.UtcNow,
                };
                population.Tenancies.Add(tenancy);
                await population.SaveChangesAsync();
            }
            // A fraud alert about a resident of 光明村, routed to 靖江街道's station.
            var antifraud = sp.GetRequiredService<AntiFraudDbContext>();
            var alert = await antifraud.Alerts.FirstOrDefaultAsync(a => a.RegionPath == grid.RegionPath);
            if (alert is null)
            {
                alert = new FraudAlert
                {
                    Subject = "matrix-foreign-subject-1", RuleId = "police.call-no-verify-transfer", Category = "冒充公检法", Response = "visit", Score = 100,
                    RegionPath = grid.RegionPath, StationRegionId = village.ParentId ?? 0, StationName = "靖江街道",
                };
                antifraud.Alerts.Add(alert);
                await antifraud.SaveChangesAsync();
            }
            // A unit of 光明村 with a member and a shift on its roster.
            var kernel = sp.GetRequiredService<CivicGrid.Kernel.Data.KernelDbContext>();
            var unit = await kernel.Units.FirstOrDefaultAsync(u => u.RegionId == village.Id);
            if (unit is null)
            {
                unit = new OrgUnit { Name = "光明村调委会", Kind = UnitKinds.MediationCommittee, RegionId = village.Id, RegionPath = village.RegionPath, CreatedAt = DateTime.UtcNow };
                unit.Members.Add(new UnitMember { UserId = admin!.Id, Role = UnitRoles.Head });
                kernel.Units.Add(unit);
                await kernel.SaveChangesAsync();
                kernel.UnitShifts.Add(new UnitShift { UnitId = unit.Id, UserId = admin.Id, StartUtc = new DateTime(2030, 1, 1, 0, 0, 0, DateTimeKind.Utc), EndUtc = new DateTime(2030, 1, 1, 12, 0, 0, DateTimeKind.Utc) });
                await kernel.SaveChangesAsync();
            }
            var shift = await kernel.UnitShifts.FirstAsync(x => x.UnitId == unit.Id);
            // A photo of 光明村 attached to a visit record there (the visit policy would admit its area's workers), and unattached
            // uploads of the district admin: neither is anyone else's.
            var file = await kernel.StoredFiles.FirstOrDefaultAsync(x => x.RegionPath == grid.RegionPath);
            if (file is null)
            {
                var jpeg = TestImages.Jpeg(8, 8);
                var hash = CivicGrid.Kernel.Files.FileStore.HashOf(jpeg);
                file = new CivicGrid.Kernel.Files.StoredFile
                {
                    Id = Guid.CreateVersion7(), Hash = hash, ThumbnailHash = hash, Kind = "photo", ContentType = "image/jpeg", Size = jpeg.Length,
                    OwnerModule = "population.visit", OwnerId = "987654321", RegionPath = grid.RegionPath, UploadedBy = "admin", UploadedAt = DateTime.UtcNow,
                    Latitude = 30.1, Longitude = 120.2,
                };
                kernel.StoredFiles.Add(file);
                if (!await kernel.FileChunks.AnyAsync(c => c.Hash == hash)) kernel.FileChunks.Add(new CivicGrid.Kernel.Files.FileChunk { Hash = hash, Index = 0, Data = jpeg });
                await kernel.SaveChangesAsync();
            }
            return new Foreign(village.Id, grid.Id, address.Id, admin!.Id, address.Lon, address.Lat, declaration.Id, resident.Id, alert.Id, job.Id,
                tenancy.RentalPropertyId, tenancy.Id, permit.Id, unit.Id, shift.Id, file.Id);
        });
    }

    private List<(string Key, string Pattern, string Method, bool Anonymous, bool HasBody)> ApiEndpoints() =>
        factory.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .Where(e => e.RoutePattern.RawText?.StartsWith("/api/v1", StringComparison.Ordinal) == true)
            .SelectMany(e => (e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"]).Select(m => (
                Key: $"{m} {e.RoutePattern.RawText!.TrimEnd('/')}", Pattern: e.RoutePattern.RawText!, Method: m,
                Anonymous: e.Metadata.GetMetadata<IAllowAnonymous>() is not null,
                HasBody: e.Metadata.GetOrderedMetadata<IAcceptsMetadata>().Any())))
            .ToList();

    private static string Url(string pattern, Foreign f, string key)
    {
        var url = pattern;
        foreach (var (name, value) in new (string, string)[]
        {
            ("id", f.VillageId.ToString()), ("addressId", f.AddressId.ToString()), ("userId", f.AdminUserId),
            ("declarationId", f.DeclarationId.ToString()), ("residentId", f.ResidentId.ToString()), ("alertId", f.AlertId.ToString()), ("jobId", f.JobId.ToString()),
            ("tenancyId", f.TenancyId.ToString()), ("permitId", f.PermitId.ToString()), ("name", "flagged_numbers"),
            ("propertyId", f.PropertyId.ToString()), ("unitId", f.UnitId.ToString()), ("shiftId", f.ShiftId.ToString()),
            ("year", "2026"), ("fileId", f.FileId.ToString()),
            // Jobs are the district's: every role but the district admin is refused (403) whatever the key.
            ("key", "audit_retention"),
            // Message templates are the district's: every role but the district admin is refused.
            ("kind", "signin.code"),
        })
        {
            url = System.Text.RegularExpressions.Regex.Replace(url, $@"\{{{name}(:[a-z]+)?\}}", value);
        }
        Assert.False(url.Contains('{'), $"{key}: no foreign sample for a route parameter in '{pattern}'; add one to this test");
        var query = key switch
        {
            "GET /api/v1/grids/lookup" => FormattableString.Invariant($"?lon={f.Lon}&lat={f.Lat}"),
            "GET /api/v1/population/figures" => $"?region={f.VillageId}",
            "GET /api/v1/calendar/deadline" => "?from=2026-11-30T01:00:00Z&workingDays=3",
            "GET /api/v1/visits/due" or "GET /api/v1/visits" or "GET /api/v1/permits" or "GET /api/v1/permits/eligible"
                or "GET /api/v1/permits/export" or "GET /api/v1/visits/export" => $"?region={f.VillageId}",
            _ => "",
        };
        return url + query;
    }

    private static HttpContent? Body(string key, bool hasBody, Foreign f)
    {
        object? body = key switch
        {
            "POST /api/v1/regions/{id:int}/grids" => null,
            "POST /api/v1/regions/{id:int}/worker-phone/unmask" => new { purpose = "verify_identity", reason = "核实网格员身份" },
            "POST /api/v1/addresses" => new { street = "越权路 1 号", lon = f.Lon, lat = f.Lat, kind = 0 },
            "POST /api/v1/declarations/{declarationId:long}/reject" => new { reason = "越权退回" },
            "POST /api/v1/residents/search" => new { regionId = f.VillageId, name = "越" },
            "POST /api/v1/notices" => new { regionId = f.VillageId, text = "越权通知" },
            "POST /api/v1/residents/export" => new { regionId = f.VillageId, unmask = true, purpose = "verify_identity", reason = "越权导出名单" },
            "POST /api/v1/permits/{permitId:long}/issue" => new { permitNumber = "越权签发" },
            "POST /api/v1/permits/{permitId:long}/reject" => new { reason = "越权退回" },
            "POST /api/v1/visits" => new { addressId = f.AddressId, target = "Declaration", targetId = f.DeclarationId, outcome = "Confirmed" },
            "POST /api/v1/residents/{residentId:long}/unmask" => new { field = "id", purpose = "verify_identity", reason = "越权查看身份证" },
            "POST /api/v1/antifraud/alerts/{alertId:long}/dissuasions" => new { method = "visit", outcome = "dissuaded", amountProtected = 1000 },
            "POST /api/v1/landlord/tenancies" => new { propertyId = f.PropertyId, name = "越权", idNumber = "11010519491231002X", moveIn = "2026-11-01" },
            "POST /api/v1/landlord/tenancies/{tenancyId:long}/move-out" => new { moveOut = "2026-11-20" },
            "POST /api/v1/antifraud/alerts/{alertId:long}/unmask" => new { purpose = "verify_identity", reason = "越权查看身份" },
            "POST /api/v1/rental-claims/{propertyId:long}/verify" => new { evidence = "document", note = "越权核实" },
            "POST /api/v1/rental-claims/{propertyId:long}/reject" => new { note = "越权驳回认领" },
            "POST /api/v1/accounts" => new { userName = "intruder", displayName = "越权", role = Roles.VillageCadre, regionId = f.VillageId, password = "Strong@2021" },
            "POST /api/v1/units" => new { name = "越权单位", kind = UnitKinds.Department, regionId = f.VillageId },
            "PUT /api/v1/units/{unitId:int}" => new { name = "越权改名", kind = UnitKinds.Department },
            "POST /api/v1/units/{unitId:int}/members" => new { userName = "admin", role = UnitRoles.Member },
            "POST /api/v1/units/{unitId:int}/roster" => new { userName = "admin", start = "2030-02-01 08:00", end = "2030-02-01 20:00" },
            "POST /api/v1/accounts/{userId}/reset-password" => new { password = "Intrude@2026" },
            "PUT /api/v1/message-templates/{kind}" => new { text = "越权 {code}", smsTemplateCode = "X" },
            // One's own password: the wrong current password is refused (400), whoever asks.
            "POST /api/v1/account/password" => new { currentPassword = "not-the-password", newPassword = "Intrude@2026" },
            _ => null,
        };
        if (key is "POST /api/v1/units/{unitId:int}/roster/import")
        {
            return new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("用户名,开始时间,结束时间\nadmin,2030-03-01 08:00,2030-03-01 20:00\n")), "file", "roster.csv" } };
        }
        if (key is "POST /api/v1/files")
        {
            return new MultipartFormDataContent { { new ByteArrayContent(TestImages.Png(4, 4)), "file", "matrix.png" }, { new StringContent("photo"), "kind" } };
        }
        if (key is "POST /api/v1/calendar/{year:int}")
        {
            return new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes("date,name,off_day\n2026-01-01,越权,1\n")), "file", "calendar.csv" } };
        }
        if (key is "POST /api/v1/accounts/import")
        {
            return new MultipartFormDataContent { { new ByteArrayContent(Encoding.UTF8.GetBytes($"用户名,姓名,角色,区域编码,初始密码\nintruder,越权,村社干部,{f.VillageId},Strong@2021\n")), "file", "accounts.csv" } };
        }
        if (key.StartsWith("POST /api/v1/imports/", StringComparison.Ordinal) && !key.Contains('{'))
        {
            var form = new MultipartFormDataContent();
            form.Add(new ByteArrayContent(Encoding.UTF8.GetBytes("姓名,身份证号,门牌码\n越权,11010519491231002X,matrixmatrixmatrix01\n")), "file", "foreign.csv");
            return form;
        }
        if (key == "POST /api/v1/regions/{id:int}/grids")
        {
            return new StringContent("{\"type\":\"FeatureCollection\",\"features\":[]}", Encoding.UTF8, "application/geo+json");
        }
        if (hasBody) Assert.True(body is not null, $"{key}: takes a body but has no foreign sample; add one to this test");
        return body is null ? null : JsonContent.Create(body);
    }

    [Fact]
    public async Task EveryApiEndpoint_Anonymous_IsRefusedUnlessMarkedPublic()
    {
        var f = await ForeignDataAsync();
        var client = factory.CreateClient(new() { AllowAutoRedirect = false });
        var endpoints = ApiEndpoints();
        Assert.True(endpoints.Count >= 10, "the endpoint list looks empty");
        foreach (var e in endpoints.Where(e => !e.Anonymous))
        {
            using var request = new HttpRequestMessage(new HttpMethod(e.Method), Url(e.Pattern, f, e.Key)) { Content = Body(e.Key, e.HasBody, f) };
            var response = await client.SendAsync(request);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{e.Key} anonymous answered {(int)response.StatusCode}");
        }
        // The public ones are few and known.
        Assert.Equal(["POST /api/v1/account/login", "POST /api/v1/messaging/sms/receipts", "POST /api/v1/messaging/sms/replies", "POST /api/v1/sign-in/codes"], endpoints.Where(e => e.Anonymous).Select(e => e.Key).Order().ToArray());
    }

    [Theory]
    [InlineData("town")]
    [InlineData("cadre")]
    [InlineData("grid")]
    [InlineData("police")]
    [InlineData("mediator")]
    public async Task EveryApiEndpoint_ForeignRegion_IsRefused(string user)
    {
        var f = await ForeignDataAsync();
        var client = await factory.SignInAsync(user);
        // Signing out holds no data, and would end the session the rest of the walk needs (OpenApiTests tries it).
        foreach (var e in ApiEndpoints().Where(e => !e.Anonymous && e.Key != "POST /api/v1/account/logout"))
        {
            using var request = new HttpRequestMessage(new HttpMethod(e.Method), Url(e.Pattern, f, e.Key)) { Content = Body(e.Key, e.HasBody, f) };
            var response = await client.SendAsync(request);
            var status = (int)response.StatusCode;
            if (LandlordOnly(e.Key))
            {
                Assert.True(status == 401, $"{e.Key} as {user} answered {status}");
                continue;
            }
            if (ScopeFree.TryGetValue(e.Key, out var allowed))
            {
                Assert.True(allowed.Contains(status), $"{e.Key} as {user} answered {status}");
                continue;
            }
            Assert.True(status is 400 or 403 or 404, $"{e.Key} as {user} with foreign data answered {status}: {await response.Content.ReadAsStringAsync()}");
        }
        // Nothing was written by any of those calls.
        var intruder = await factory.WithScopeAsync(sp => sp.GetRequiredService<UserManager<StaffUser>>().FindByNameAsync("intruder"));
        Assert.Null(intruder);
        var rogue = await factory.WithScopeAsync(sp => sp.GetRequiredService<PlacesDbContext>().Addresses.AnyAsync(a => a.Street == "越权路 1 号"));
        Assert.False(rogue);
        var decided = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Declarations.AnyAsync(d => d.Id == f.DeclarationId && d.Status != DeclarationStatus.Pending));
        Assert.False(decided);
        var claimDecided = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().RentalProperties.AnyAsync(p => p.Id == f.PropertyId && p.Claim != PropertyClaim.Pending));
        Assert.False(claimDecided);
        var movedOut = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Tenancies.AnyAsync(t => t.Id == f.TenancyId && t.MoveOut != null));
        Assert.False(movedOut);
        var visited = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Visits.AnyAsync(v => v.AddressId == f.AddressId));
        Assert.False(visited);
        var permitTouched = await factory.WithScopeAsync(sp => sp.GetRequiredService<PopulationDbContext>().Permits.AnyAsync(p => p.Id == f.PermitId && p.Status != PermitStatus.Applied));
        Assert.False(permitTouched);
        var dissuaded = await factory.WithScopeAsync(sp => sp.GetRequiredService<AntiFraudDbContext>().Dissuasions.AnyAsync(d => d.AlertId == f.AlertId));
        Assert.False(dissuaded);
        var unit = await factory.WithScopeAsync(sp => sp.GetRequiredService<CivicGrid.Kernel.Data.KernelDbContext>().Units.AsNoTracking().Include(u => u.Members).FirstAsync(u => u.Id == f.UnitId));
        Assert.Equal("光明村调委会", unit.Name);
        Assert.Single(unit.Members);
        var shifts = await factory.WithScopeAsync(sp => sp.GetRequiredService<CivicGrid.Kernel.Data.KernelDbContext>().UnitShifts.CountAsync(x => x.UnitId == f.UnitId));
        Assert.Equal(1, shifts);
        var rogueUnit = await factory.WithScopeAsync(sp => sp.GetRequiredService<CivicGrid.Kernel.Data.KernelDbContext>().Units.AnyAsync(u => u.Name == "越权单位"));
        Assert.False(rogueUnit);
        var calendar = await factory.WithScopeAsync(sp => sp.GetRequiredService<CivicGrid.Kernel.Data.KernelDbContext>().CalendarVersions.CountAsync(v => v.Year == 2026));
        Assert.Equal(1, calendar);
        Assert.False((await factory.WithScopeAsync(sp => sp.GetRequiredService<UserManager<StaffUser>>().FindByNameAsync("admin")))!.MustChangePassword);
        // The units list of a caller outside 光明村 does not hold its unit.
        var list = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/api/v1/units");
        Assert.DoesNotContain(list.EnumerateArray(), u => u.GetProperty("id").GetInt32() == f.UnitId);
    }
}
