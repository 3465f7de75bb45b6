using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using CivicGrid.Web.Features.Accounts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

/// <summary>
/// One request context: the audit line a write leaves names the same party whether the write comes from an API call (the
/// signed-in account and its client address), a scheduled job or a command-line verb (the job or verb, set with Use).
/// </summary>
public class RequestContextTests(RequestContextTests.Factory factory) : IClassFixture<RequestContextTests.Factory>
{
    /// <summary>
    /// The platform with one extra path at the end of its pipeline (after sign-in and forwarded headers), /test/acting, that
    /// writes an audit line with the actor the request's <see cref="RequestContext"/> yields, as any handler would.
    /// </summary>
    public sealed class Factory : PlatformFactory
    {
        public const string Path = "/test/acting";

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.ConfigureServices(s => s.AddSingleton<IStartupFilter, ActingProbe>());
        }

        private sealed class ActingProbe : IStartupFilter
        {
            public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
            {
                next(app);
                app.Use(async (HttpContext http, RequestDelegate rest) =>
                {
                    if (http.Request.Path != Path)
                    {
                        await rest(http);
                        return;
                    }
                    var context = http.RequestServices.GetRequiredService<RequestContext>();
                    var db = http.RequestServices.GetRequiredService<KernelDbContext>();
                    var acting = await context.GetAsync();
                    db.Audit(acting.Actor, DateTime.UtcNow, "test.acting", "probe", acting.Kind.ToString());
                    await db.SaveChangesAsync();
                    http.Response.StatusCode = StatusCodes.Status204NoContent;
                });
            };
        }
    }

    private Task<AuditEntry> LastAuditAsync(string action, string target) => factory.WithScopeAsync(sp =>
        sp.GetRequiredService<KernelDbContext>().AuditEntries.AsNoTracking()
            .Where(a => a.Action == action && a.Target == target).OrderByDescending(a => a.Id).FirstAsync());

    private Task<StaffUser> UserAsync(string userName) => factory.WithScopeAsync(async sp =>
        (await sp.GetRequiredService<UserManager<StaffUser>>().FindByNameAsync(userName))!);

    [Fact]
    public async Task HttpRequest_SignedInStaff_AuditLineNamesAccountRoleRegionAndClientAddress()
    {
        var cadre = await UserAsync("cadre");
        var client = await factory.SignInAsync("cadre");
        using var request = new HttpRequestMessage(HttpMethod.Get, Factory.Path) { Headers = { { "X-Forwarded-For", "198.51.100.77" } } };
        Assert.Equal(HttpStatusCode.NoContent, (await client.SendAsync(request)).StatusCode);

        var line = await LastAuditAsync("test.acting", "probe");
        Assert.Equal(cadre.Id, line.UserId);
        Assert.Equal("cadre", line.UserName);
        Assert.Equal(Roles.VillageCadre, line.Role);
        Assert.Equal(cadre.RegionPath, line.RegionPath);
        Assert.Equal("198.51.100.77", line.ClientAddress);
        Assert.Equal(nameof(ActorKind.Staff), line.Details);
    }

    [Fact]
    public async Task ApiWrite_DoorplateRotation_AuditLineNamesTheCallerAndItsAddress()
    {
        var cadre = await UserAsync("cadre");
        var address = await factory.WithScopeAsync(sp => sp.GetRequiredService<PlacesDbContext>().Addresses.AsNoTracking()
            .Where(a => a.RegionPath.StartsWith(cadre.RegionPath)).OrderBy(a => a.Id).FirstAsync());
        var client = await factory.SignInAsync("cadre");
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/v1/addresses/{address.Id}/doorplate/rotate")
        {
            Headers = { { "X-Forwarded-For", "203.0.113.45" } },
        };
        Assert.Equal(HttpStatusCode.OK, (await client.SendAsync(request)).StatusCode);

        var line = await LastAuditAsync("places.doorplate.rotate", $"address:{address.Id}");
        Assert.Equal(new Actor(cadre.Id, "cadre", Roles.VillageCadre, cadre.RegionPath, "203.0.113.45"),
            new Actor(line.UserId, line.UserName, line.Role, line.RegionPath, line.ClientAddress));
    }

    [Fact]
    public async Task JobScope_UseJob_AuditLineNamesTheJobForTheWholeDistrict()
    {
        var grid = await UserAsync("grid");
        var found = await factory.WithScopeAsync(async sp =>
        {
            // A job runs in a service scope of its own, with no request and no circuit: it says who it is.
            var context = sp.GetRequiredService<RequestContext>().Use(Acting.Job("unlock-sweep"));
            return await AccountAdmin.UnlockAsync(grid.Id, await context.GetAsync(), sp.GetRequiredService<KernelDbContext>(),
                sp.GetRequiredService<TimeProvider>(), default);
        });
        Assert.True(found);

        var line = await LastAuditAsync("account.unlock", $"user:{grid.Id}");
        Assert.Null(line.UserId);
        Assert.Equal("job:unlock-sweep", line.UserName);
        Assert.Equal("system", line.Role);
        Assert.Equal("/", line.RegionPath);
        Assert.Null(line.ClientAddress);
    }

    [Fact]
    public async Task CliScope_UseCli_AuditLineNamesTheVerbAndTheScopeHoldsOnlyItsRegion()
    {
        var (town, other) = await factory.WithScopeAsync(async sp =>
        {
            var regions = sp.GetRequiredService<PlacesDbContext>().Regions.AsNoTracking();
            return (await regions.FirstAsync(r => r.Level == RegionLevel.Town && r.Name == "河上镇"),
                await regions.FirstAsync(r => r.Level == RegionLevel.Town && r.Name == "靖江街道"));
        });
        var grid = await UserAsync("grid"); // 众联村第1网格, in 河上镇
        Assert.StartsWith(town.RegionPath, grid.RegionPath);

        async Task<bool> UnlockAsync(RegionScope scope) => await factory.WithScopeAsync(async sp =>
        {
            var context = sp.GetRequiredService<RequestContext>().Use(Acting.Cli("accounts", scope));
            return await AccountAdmin.UnlockAsync(grid.Id, await context.GetAsync(), sp.GetRequiredService<KernelDbContext>(),
                sp.GetRequiredService<TimeProvider>(), default);
        });

        // A verb run for another town does not reach the account, and writes nothing.
        Task<int> LinesAsync() => factory.WithScopeAsync(sp =>
            sp.GetRequiredService<KernelDbContext>().AuditEntries.CountAsync(a => a.Target == $"user:{grid.Id}"));
        var before = await LinesAsync();
        Assert.False(await UnlockAsync(new RegionScope(other.Id, other.RegionPath, other.Level)));
        Assert.Equal(before, await LinesAsync());

        Assert.True(await UnlockAsync(new RegionScope(town.Id, town.RegionPath, town.Level)));
        var line = await LastAuditAsync("account.unlock", $"user:{grid.Id}");
        Assert.Equal("cli:accounts", line.UserName);
        Assert.Equal("system", line.Role);
        Assert.Equal(town.RegionPath, line.RegionPath);
        Assert.Equal(Environment.MachineName, line.ClientAddress);
    }
}
