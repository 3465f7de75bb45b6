using System.Net;
using System.Net.Http.Json;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Testing;
using CivicGrid.Web.Features.Audit;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

public class UnmaskCountTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    [Fact]
    public async Task UnmaskCounts_AnAccountFarAboveItsPeers_IsFlagged_OthersAreNot()
    {
        var now = factory.Time.GetUtcNow().UtcDateTime;
        await factory.WithScopeAsync(async sp =>
        {
            var db = sp.GetRequiredService<KernelDbContext>();
            var area = (await sp.GetRequiredService<Microsoft.AspNetCore.Identity.UserManager<CivicGrid.Kernel.Accounts.StaffUser>>().FindByNameAsync("town"))!.RegionPath;
            void Unmask(string user, int times, string action = "personal_data.unmask", int daysAgo = 1)
            {
                for (var i = 0; i < times; i++)
                    db.AuditEntries.Add(new AuditEntry { At = now.AddDays(-daysAgo), UserName = user, Role = "grid_worker", RegionPath = area, Action = action, Target = $"resident:{i}:id" });
            }
            Unmask("uc-steady-1", 2);
            Unmask("uc-steady-2", 3);
            Unmask("uc-steady-3", 2, "personal_data.export");
            Unmask("uc-browser", 25);
            Unmask("uc-old", 40, daysAgo: 45);
            await db.SaveChangesAsync();
            return true;
        });
        var admin = await factory.SignInAsync("admin");
        var counts = (await admin.GetFromJsonAsync<List<UnmaskCount>>("/api/v1/audit/unmask-counts?days=30"))!;
        var browser = Assert.Single(counts, c => c.UserName == "uc-browser");
        Assert.True(browser.Flagged);
        Assert.Equal((25, 0), (browser.Unmasks, browser.Exports));
        Assert.All(counts.Where(c => c.UserName.StartsWith("uc-steady", StringComparison.Ordinal)), c => Assert.False(c.Flagged));
        Assert.Equal(2, Assert.Single(counts, c => c.UserName == "uc-steady-3").Exports);
        // Older than the period: not counted.
        Assert.DoesNotContain(counts, c => c.UserName == "uc-old");
        Assert.Equal(HttpStatusCode.BadRequest, (await admin.GetAsync("/api/v1/audit/unmask-counts?days=0")).StatusCode);

        // The district admin sees the alert on the audit page; a cadre may not read the counts at all.
        Assert.Contains("uc-browser", await admin.GetStringAsync("/audit"));
        var cadre = await factory.SignInAsync("cadre");
        Assert.Equal(HttpStatusCode.Forbidden, (await cadre.GetAsync("/api/v1/audit/unmask-counts")).StatusCode);
    }
}
