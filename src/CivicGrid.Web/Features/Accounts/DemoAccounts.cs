using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Contracts;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Web.Features.Accounts;

/// <summary>One demo sign-in per role, in the demo town (河上镇) and its village 众联村, created when missing.</summary>
public static class DemoAccounts
{
    public sealed record DemoAccount(string UserName, string Password, string Role, string Region);

    // Demo passwords follow the platform's own rule (8+ characters, 3 kinds). They are printed at start-up; a real
    // district disables these accounts.
    private static readonly (string User, string Name, string Role, string Password, Func<IReadOnlyList<RegionInfo>, RegionInfo?> Where)[] Plan =
    [
        ("admin", "区管理员", Roles.DistrictAdmin, "District@2021", rs => rs.FirstOrDefault(r => r.Level == RegionLevel.District)),
        ("town", "河上镇干部", Roles.TownOfficer, "Heshang@2021", rs => rs.FirstOrDefault(r => r.Level == RegionLevel.Town && r.Name == "河上镇")),
        ("cadre", "众联村干部", Roles.VillageCadre, "Zhonglian@2021", rs => rs.FirstOrDefault(r => r.Level == RegionLevel.Village && r.Name == "众联村")),
        ("grid", "众联村网格员", Roles.GridWorker, "Wangge@2021", rs => rs.FirstOrDefault(r => r.Level == RegionLevel.Grid && r.Name == "众联村第1网格")),
        ("police", "河上派出所民警", Roles.PoliceOfficer, "Jingwu@2021", rs => rs.FirstOrDefault(r => r.Level == RegionLevel.Town && r.Name == "河上镇")),
        ("mediator", "众联老娘舅", Roles.Mediator, "Mediate@2021", rs => rs.FirstOrDefault(r => r.Level == RegionLevel.Village && r.Name == "众联村")),
    ];

    /// <summary>
    /// With the demo on, creates the demo accounts and returns them (printed at start-up). With the demo off (a real
    /// district) creates none, and a demo account still on its published password must choose its own at its next sign-in.
    /// </summary>
    public static async Task<List<DemoAccount>> EnsureAsync(IServiceProvider services, CancellationToken ct, bool demo = true)
    {
        if (!demo)
        {
            await RetireDemoPasswordsAsync(services);
            return [];
        }
        using var scope = services.CreateScope();
                var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        var time = scope.ServiceProvider.GetRequiredService<TimeProvider>();
        var names = new[] { "萧山区", "河上镇", "众联村", "众联村第1网格" };
        var regions = await scope.ServiceProvider.GetRequiredService<RegionDirectory>().WithNamesAsync(names, ct);
        var result = new List<DemoAccount>();
        foreach (var (user, name, role, password, where) in Plan)
        {
            var region = where(regions);
            if (region is null) continue;
            var existing = await users.FindByNameAsync(user);
            if (existing is null)
            {
                var created = await users.CreateAsync(new StaffUser
                {
                    UserName = user, DisplayName = name, Role = role, RegionId = region.Id, RegionPath = region.RegionPath,
                    RegionLevel = region.Level, CreatedAt = time.GetUtcNow(), LockoutEnabled = true,
                }, password);
                if (!created.Succeeded) throw new InvalidOperationException(string.Join("; ", created.Errors.Select(e => e.Description)));
            }
            else if (existing.Disabled)
            {
                continue;
            }
            result.Add(new DemoAccount(user, password, role, region.Name));
        }
        await Units.DemoUnits.EnsureAsync(services, ct);
        return result;
    }

    private static async Task RetireDemoPasswordsAsync(IServiceProvider services)
    {
        using var scope = services.CreateScope();
        var users = scope.ServiceProvider.GetRequiredService<UserManager<StaffUser>>();
        foreach (var (userName, _, _, password, _) in Plan)
        {
            if (await users.FindByNameAsync(userName) is not { MustChangePassword: false } user) continue;
            if (!await users.CheckPasswordAsync(user, password)) continue;
            user.MustChangePassword = true;
            await users.UpdateAsync(user);
        }
    }
}
