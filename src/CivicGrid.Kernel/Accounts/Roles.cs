using System.Security.Claims;
using CivicGrid.Kernel.Regions;

namespace CivicGrid.Kernel.Accounts;

/// <summary>Staff roles. Each account has one role and belongs to one region.</summary>
public static class Roles
{
    public const string DistrictAdmin = "district_admin";
    public const string TownOfficer = "town_officer";
    public const string VillageCadre = "village_cadre";
    public const string GridWorker = "grid_worker";
    public const string PoliceOfficer = "police_officer";
    public const string Mediator = "mediator";

    public static readonly string[] All = [DistrictAdmin, TownOfficer, VillageCadre, GridWorker, PoliceOfficer, Mediator];

    public static string Title(string role) => role switch
    {
        DistrictAdmin => Bilingual.Pick("区级管理员", "District admin"),
        TownOfficer => Bilingual.Pick("镇街干部", "Town officer"),
        VillageCadre => Bilingual.Pick("村社干部", "Village cadre"),
        GridWorker => Bilingual.Pick("网格员", "Grid worker"),
        PoliceOfficer => Bilingual.Pick("民警", "Police officer"),
        Mediator => Bilingual.Pick("调解员", "Mediator"),
        _ => role,
    };
}

/// <summary>Named permissions, granted to roles here in one table so a reader sees who may do what.</summary>
public static class Permissions
{
    public const string Unmask = "unmask";
    public const string ManageAccounts = "manage_accounts";
    public const string ReadAudit = "read_audit";
    public const string EditPlaces = "edit_places";
    public const string ReadRegister = "read_register";
    public const string VerifyResidence = "verify_residence";
    public const string ImportRegister = "import_register";
    /// <summary>
    /// Send anti-fraud events (NDJSON batches) into the engine. There is no data-partner role: a partner gets a
    /// district-level account of one of these roles; the ingest endpoint also requires the district level.
    /// </summary>
    public const string IngestEvents = "ingest_events";
    /// <summary>Read the units one belongs to, their members and rosters (every staff role has it).</summary>
    public const string ReadUnits = "read_units";
    /// <summary>Create and change units, their members and rosters in one's own region subtree.</summary>
    public const string ManageUnits = "manage_units";
    /// <summary>Load a year's holiday notice into the working-day calendar (the whole district's, so district admins only).</summary>
    public const string ManageCalendar = "manage_calendar";
    /// <summary>See the platform's scheduled jobs and run one now (district-wide work: district admins only).</summary>
    public const string RunJobs = "run_jobs";
    /// <summary>See every outbox message, resend dead letters, edit the message templates (district admins only).</summary>
    public const string ManageMessages = "manage_messages";
    /// <summary>Send a notice by SMS to the residents of one's area (a grid, a village, a town) who have not opted out.</summary>
    public const string SendNotices = "send_notices";

    private static readonly Dictionary<string, string[]> Grants = new()
    {
        [Roles.DistrictAdmin] = [Unmask, ManageAccounts, ReadAudit, EditPlaces, ReadRegister, VerifyResidence, ImportRegister, IngestEvents, ReadUnits, ManageUnits, ManageCalendar, RunJobs, ManageMessages, SendNotices],
        [Roles.TownOfficer] = [Unmask, EditPlaces, ReadRegister, VerifyResidence, ImportRegister, ReadUnits, ManageUnits, SendNotices],
        [Roles.VillageCadre] = [Unmask, EditPlaces, ReadRegister, VerifyResidence, ImportRegister, ReadUnits, SendNotices],
        [Roles.GridWorker] = [ReadRegister, VerifyResidence, ReadUnits],
        // Police do not browse, search or export the register: they see the person an alert names (and the address) on the
        // alert board, and later the people of a work order addressed to their station.
        [Roles.PoliceOfficer] = [Unmask, IngestEvents, ReadUnits],
        // A mediator reads its committee (members, who is on duty); the cases come with the mediation module.
        [Roles.Mediator] = [ReadUnits],
    };

    public static bool Has(ClaimsPrincipal user, string permission) =>
        user.FindFirstValue(ClaimTypes.Role) is { } role && Has(role, permission);

    public static bool Has(string role, string permission) => Grants.TryGetValue(role, out var p) && p.Contains(permission);
}

/// <summary>Claim names the platform puts on a signed-in staff member.</summary>
public static class StaffClaims
{
    public const string RegionId = "cg:region_id";
    public const string RegionPath = "cg:region_path";
    public const string RegionLevel = "cg:region_level";
    public const string DisplayName = "cg:display_name";
    /// <summary>One claim per unit the account is a member of (the unit's id).</summary>
    public const string Unit = "cg:unit";

    /// <summary>The caller's region scope, or null when the caller is not a staff member.</summary>
    public static RegionScope? Scope(this ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true) return null;
        var id = user.FindFirstValue(RegionId);
        var path = user.FindFirstValue(RegionPath);
        var level = user.FindFirstValue(RegionLevel);
        if (id is null || path is null || level is null) return null;
        return new RegionScope(int.Parse(id), path, (RegionLevel)int.Parse(level));
    }

    public static RegionScope RequiredScope(this ClaimsPrincipal user) =>
        user.Scope() ?? throw new InvalidOperationException("Signed-in staff member without a region scope.");
}
