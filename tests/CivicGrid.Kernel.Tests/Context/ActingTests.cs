using System.Security.Claims;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.Regions;

namespace CivicGrid.Kernel.Tests.Context;

public class ActingTests
{
    private static ClaimsPrincipal Staff(string role, params int[] units)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, "u-1"), new(ClaimTypes.Name, "cadre"), new(ClaimTypes.Role, role),
            new(StaffClaims.RegionId, "130"), new(StaffClaims.RegionPath, "/1/5/130/"), new(StaffClaims.RegionLevel, "3"),
        };
        claims.AddRange(units.Select(u => new Claim(StaffClaims.Unit, u.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, "test"));
    }

    [Fact]
    public void From_StaffPrincipal_CarriesRoleScopeUnitsAndAddress()
    {
        var acting = Acting.From(Staff(Roles.VillageCadre, 7, 9, 7), "10.1.2.3");
        Assert.Equal(ActorKind.Staff, acting.Kind);
        Assert.Equal(new RegionScope(130, "/1/5/130/", RegionLevel.Village), acting.Scope);
        Assert.Equal([7, 9], acting.UnitIds);
        Assert.True(acting.InUnit(9));
        Assert.False(acting.InUnit(8));
        Assert.True(acting.Has(Permissions.ReadRegister));
        Assert.False(acting.Has(Permissions.ManageAccounts));
        Assert.Equal(new Audit.Actor("u-1", "cadre", Roles.VillageCadre, "/1/5/130/", "10.1.2.3"), acting.Actor);
    }

    [Fact]
    public void From_PersonSignedInWithCode_HasNoScopeNoPermission()
    {
        var person = new ClaimsPrincipal(new ClaimsIdentity(
            [new Claim(PersonClaims.Subject, "landlord:42"), new Claim(PersonClaims.Purpose, "landlord")], "landlord"));
        var acting = Acting.From(person, "10.9.9.9");
        Assert.Equal(ActorKind.Person, acting.Kind);
        Assert.Null(acting.Scope);
        Assert.False(acting.Has(Permissions.ReadRegister));
        Assert.Equal("landlord:42", acting.Actor.UserName);
        Assert.Throws<InvalidOperationException>(() => acting.RequiredScope);
    }

    [Fact]
    public void From_Anonymous_IsPublic()
    {
        var acting = Acting.From(new ClaimsPrincipal(new ClaimsIdentity()), null);
        Assert.Equal(ActorKind.Public, acting.Kind);
        Assert.Equal("public", acting.Actor.Role);
    }

    [Fact]
    public void Job_And_Cli_NamedInTheAuditLine()
    {
        var job = Acting.Job("reminders");
        Assert.Equal(ActorKind.Job, job.Kind);
        Assert.True(job.RequiredScope.Contains("/1/5/130/"));
        Assert.Equal("job:reminders", job.Actor.UserName);
        var cli = Acting.Cli("import", new RegionScope(5, "/1/5/", RegionLevel.Town));
        Assert.Equal("cli:import", cli.Actor.UserName);
        Assert.False(cli.RequiredScope.Contains("/1/6/"));
    }
}
