using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Data;
using CivicGrid.Testing;
using CivicGrid.Web.Features.Accounts;
using Microsoft.AspNetCore.Identity;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace CivicGrid.Web.Tests.Features;

public class AccountAdminTests(PlatformFactory factory) : IClassFixture<PlatformFactory>
{
    private string Code(string name, RegionLevel level) => factory.WithScope(sp =>
        sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == name && r.Level == level).Code);

    private int VillageId(string name) => factory.WithScope(sp =>
        sp.GetRequiredService<PlacesDbContext>().Regions.First(r => r.Name == name && r.Level == RegionLevel.Village).Id);

    private static MultipartFormDataContent Sheet(string? initialPassword, params string[][] rows)
    {
        var form = new MultipartFormDataContent { { new ByteArrayContent(TabularFile.WriteXlsx("账号", AccountAdmin.Headers, rows)), "file", "accounts.xlsx" } };
        if (initialPassword is not null) form.Add(new StringContent(initialPassword), "initialPassword");
        return form;
    }

    private Task<StaffUser?> FindAsync(string userName) => factory.WithScopeAsync(sp => sp.GetRequiredService<UserManager<StaffUser>>().FindByNameAsync(userName));

    private async Task<HttpClient> SignInAsync(string userName, string password)
    {
        var client = factory.CreateClient(new() { AllowAutoRedirect = false, HandleCookies = true });
        var response = await client.PostAsJsonAsync("/api/v1/account/login", new { userName, password });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return client;
    }

    [Fact]
    public async Task ImportAccounts_ValidSheet_CreatesAllWhoMustChangePasswordFirst()
    {
        var admin = await factory.SignInAsync("admin");
        var village = Code("众联村", RegionLevel.Village);
        var response = await admin.PostAsync("/api/v1/accounts/import", Sheet("Start@2026",
            ["imp.grid1", "导入网格员一", "网格员", village, ""],
            ["imp.cadre1", "导入村干部", "village_cadre", village, "Own@Pass2026"]));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("created").GetInt32());
        var grid = await FindAsync("imp.grid1");
        Assert.NotNull(grid);
        Assert.Equal(Roles.GridWorker, grid.Role);
        Assert.True(grid.MustChangePassword);

        // Signed in with the initial password, the account can do nothing but change it.
        var client = await SignInAsync("imp.grid1", "Start@2026");
        var blocked = await client.GetAsync("/api/v1/units");
        Assert.Equal(HttpStatusCode.Forbidden, blocked.StatusCode);
        Assert.Contains("修改初始密码", await blocked.Content.ReadAsStringAsync());
        var page = await client.GetAsync("/residents");
        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal("/account/password", page.Headers.Location?.OriginalString);
        var weak = await client.PostAsJsonAsync("/api/v1/account/password", new { currentPassword = "Start@2026", newPassword = "short" });
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Contains("\"newPassword\"", await weak.Content.ReadAsStringAsync());
        var changed = await client.PostAsJsonAsync("/api/v1/account/password", new { currentPassword = "Start@2026", newPassword = "Mine@2026x" });
        Assert.Equal(HttpStatusCode.NoContent, changed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/api/v1/units")).StatusCode);
        Assert.False((await FindAsync("imp.grid1"))!.MustChangePassword);
    }

    [Fact]
    public async Task ImportAccounts_BadRows_Returns400WithRowNumbersAndCreatesNone()
    {
        var village = Code("众联村", RegionLevel.Village);
        var admin = await factory.SignInAsync("admin");
        var response = await admin.PostAsync("/api/v1/accounts/import", Sheet(null,
            ["imp.ok", "正常行", "网格员", village, "Fine@2026"],
            ["imp.ok", "重复行", "网格员", village, "Fine@2026"],
            ["admin", "已存在", "网格员", village, "Fine@2026"],
            ["imp.role", "角色错", "厨师", village, "Fine@2026"],
            ["imp.fit", "级别错", "镇街干部", village, "Fine@2026"],
            ["imp.nopw", "无密码", "网格员", village, ""],
            ["imp.weak", "弱密码", "网格员", village, "password"]));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.Contains("第3行 用户名", body);
        Assert.Contains("repeats row 2", body);
        Assert.Contains("第4行 用户名", body);
        Assert.Contains("第5行 角色", body);
        Assert.Contains("第6行 角色", body);
        Assert.Contains("第7行 初始密码", body);
        Assert.Contains("第8行 初始密码", body);
        Assert.Null(await FindAsync("imp.ok"));
    }

    [Fact]
    public async Task ImportAsync_RegionOutsideImportersScope_ReturnsRowErrorAndCreatesNothing()
    {
        var foreign = Code("光明村", RegionLevel.Village);
        var village = Code("众联村", RegionLevel.Village);
        // A town officer has no manage_accounts and a district admin's subtree holds every village, so the scope rule is
        // checked with an importer whose scope is one village.
        var result = await factory.WithScopeAsync(async sp =>
        {
            var zhonglian = await sp.GetRequiredService<PlacesDbContext>().Regions.FirstAsync(r => r.Code == village);
            var acting = new CivicGrid.Kernel.Context.Acting(CivicGrid.Kernel.Context.ActorKind.Staff, null, "t", Roles.DistrictAdmin,
                new RegionScope(zhonglian.Id, zhonglian.RegionPath, zhonglian.Level), [], null);
            return await AccountAdmin.ImportAsync([new AccountAdmin.AccountRow(2, "imp.far", "远方", "网格员", foreign, "Fine@2026")], null, acting,
                sp.GetRequiredService<UserManager<StaffUser>>(), sp.GetRequiredService<CivicGrid.Places.Contracts.RegionDirectory>(), sp.GetRequiredService<KernelDbContext>(),
                factory.Time, default);
        });
        Assert.Equal(0, result.Created);
        Assert.Contains(result.Errors, e => e.Row == 2 && e.Column == AccountAdmin.RegionColumn);
        Assert.Null(await FindAsync("imp.far"));
    }

    [Fact]
    public async Task ResetPassword_Admin_GivesTemporaryPasswordEndsLockoutAndIsAudited()
    {
        var admin = await factory.SignInAsync("admin");
        var created = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName = "forgetful", displayName = "忘密码", role = Roles.VillageCadre, regionId = VillageId("众联村"), password = "Right@2021" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var anonymous = factory.CreateClient();
        for (var i = 0; i < 5; i++) await anonymous.PostAsJsonAsync("/api/v1/account/login", new { userName = "forgetful", password = "Wrong@2021" });
        Assert.Equal(HttpStatusCode.Unauthorized,
            (await anonymous.PostAsJsonAsync("/api/v1/account/login", new { userName = "forgetful", password = "Right@2021" })).StatusCode);

        var reset = await admin.PostAsJsonAsync($"/api/v1/accounts/{id}/reset-password", new { });
        Assert.Equal(HttpStatusCode.OK, reset.StatusCode);
        var temporary = (await reset.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("temporaryPassword").GetString()!;
        Assert.Equal(12, temporary.Length);

        var client = await SignInAsync("forgetful", temporary);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("/api/v1/units")).StatusCode);
        var audit = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries.AsNoTracking()
            .Where(a => a.Action == "account.password_reset" && a.Target == $"user:{id}").ToListAsync());
        var line = Assert.Single(audit);
        Assert.DoesNotContain(temporary, line.Details ?? "");
    }

    [Fact]
    public async Task ResetPassword_WeakChosenPassword_Returns400NamingPassword()
    {
        var admin = await factory.SignInAsync("admin");
        var cadre = await FindAsync("cadre");
        var reset = await admin.PostAsJsonAsync($"/api/v1/accounts/{cadre!.Id}/reset-password", new { password = "abc" });
        Assert.Equal(HttpStatusCode.BadRequest, reset.StatusCode);
        Assert.Contains("\"password\"", await reset.Content.ReadAsStringAsync());
        Assert.False((await FindAsync("cadre"))!.MustChangePassword);
    }

    [Fact]
    public async Task Unlock_LockedAccount_CanSignInAgainAndIsAudited()
    {
        var admin = await factory.SignInAsync("admin");
        var created = await admin.PostAsJsonAsync("/api/v1/accounts",
            new { userName = "locked.out", displayName = "被锁", role = Roles.GridWorker, regionId = VillageId("众联村"), password = "Right@2021" });
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        var anonymous = factory.CreateClient();
        for (var i = 0; i < 5; i++) await anonymous.PostAsJsonAsync("/api/v1/account/login", new { userName = "locked.out", password = "Wrong@2021" });
        var refused = await anonymous.PostAsJsonAsync("/api/v1/account/login", new { userName = "locked.out", password = "Right@2021" });
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await admin.PostAsync($"/api/v1/accounts/{id}/unlock", null)).StatusCode);
        await SignInAsync("locked.out", "Right@2021");
        var audit = await factory.WithScopeAsync(sp => sp.GetRequiredService<KernelDbContext>().AuditEntries.AsNoTracking()
            .CountAsync(a => a.Action == "account.unlock" && a.Target == $"user:{id}" && a.Details == "was_locked"));
        Assert.Equal(1, audit);
    }

    [Fact]
    public async Task ResetAndUnlock_TownOfficer_AreRefused()
    {
        var town = await factory.SignInAsync("town");
        var cadre = await FindAsync("cadre");
        Assert.Equal(HttpStatusCode.Forbidden, (await town.PostAsync($"/api/v1/accounts/{cadre!.Id}/unlock", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await town.PostAsJsonAsync($"/api/v1/accounts/{cadre.Id}/reset-password", new { })).StatusCode);
    }
}
