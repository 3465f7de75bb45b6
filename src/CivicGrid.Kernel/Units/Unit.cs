using CivicGrid.Kernel.Regions;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Kernel.Units;

/// <summary>
/// An organisational unit at a region: a town department, a district bureau, a police station, a mediation committee,
/// an outside body (water, power) or the scoring department. Its region path makes it scoped like any other row.
/// </summary>
public sealed class OrgUnit : IRegionScoped
{
    public int Id { get; set; }
    public string Name { get; set; } = "";
    /// <summary>A code from <see cref="UnitKinds"/>.</summary>
    public string Kind { get; set; } = "";
    public int RegionId { get; set; }
    public string RegionPath { get; set; } = "";
    /// <summary>The staff account that heads the unit; also a member with role head.</summary>
    public string? HeadUserId { get; set; }
    public DateTime CreatedAt { get; set; }
    public List<UnitMember> Members { get; set; } = [];
}

/// <summary>A staff account's place in a unit.</summary>
public sealed class UnitMember
{
    public int UnitId { get; set; }
    public string UserId { get; set; } = "";
    /// <summary>A code from <see cref="UnitRoles"/>.</summary>
    public string Role { get; set; } = UnitRoles.Member;
}

/// <summary>One member on duty for a unit from <see cref="StartUtc"/> (inclusive) to <see cref="EndUtc"/> (exclusive).</summary>
public sealed class UnitShift
{
    public long Id { get; set; }
    public int UnitId { get; set; }
    public string UserId { get; set; } = "";
    public DateTime StartUtc { get; set; }
    public DateTime EndUtc { get; set; }
}

/// <summary>The kinds of unit, with their display names: the one table for them.</summary>
public static class UnitKinds
{
    public const string Department = "department";
    public const string Bureau = "bureau";
    public const string PoliceStation = "police_station";
    public const string MediationCommittee = "mediation_committee";
    public const string JudicialOffice = "judicial_office";
    public const string Court = "court";
    public const string OutsideBody = "outside_body";
    public const string ScoringDepartment = "scoring_department";

    private static readonly (string Code, string Zh, string En)[] Table =
    [
        (Department, "镇街部门", "Town department"),
        (Bureau, "区级部门", "District bureau"),
        (PoliceStation, "派出所", "Police station"),
        (MediationCommittee, "调解委员会", "Mediation committee"),
        (JudicialOffice, "司法所", "Judicial office"),
        (Court, "人民法庭", "Court"),
        (OutsideBody, "外部单位（水务、电力等）", "Outside body (water, power, ...)"),
        (ScoringDepartment, "考评部门", "Scoring department"),
    ];

    public static readonly string[] All = Table.Select(t => t.Code).ToArray();

    public static bool IsKnown(string? code) => code is not null && All.Contains(code);

    public static string Title(string code) =>
        Table.FirstOrDefault(t => t.Code == code) is { Code: not null } t ? Bilingual.Pick(t.Zh, t.En) : code;
}

/// <summary>A member's role in a unit.</summary>
public static class UnitRoles
{
    public const string Head = "head";
    public const string Member = "member";
    public const string Duty = "duty";

    public static readonly string[] All = [Head, Member, Duty];

    public static string Title(string code) => code switch
    {
        Head => Bilingual.Pick("负责人", "Head"),
        Member => Bilingual.Pick("成员", "Member"),
        Duty => Bilingual.Pick("值班人员", "Duty staff"),
        _ => code,
    };
}

public static class UnitModel
{
    public static void MapUnits(this ModelBuilder model)
    {
        model.Entity<OrgUnit>(e =>
        {
            e.ToTable("units");
            e.Property(x => x.Name).HasMaxLength(64);
            e.Property(x => x.Kind).HasMaxLength(32);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.Property(x => x.HeadUserId).HasMaxLength(64);
            e.HasIndex(x => x.RegionPath);
            e.HasIndex(x => new { x.RegionId, x.Name }).IsUnique();
            e.HasMany(x => x.Members).WithOne().HasForeignKey(m => m.UnitId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<UnitMember>(e =>
        {
            e.ToTable("unit_members");
            e.HasKey(x => new { x.UnitId, x.UserId });
            e.Property(x => x.UserId).HasMaxLength(64);
            e.Property(x => x.Role).HasMaxLength(16);
            e.HasIndex(x => x.UserId);
        });
        model.Entity<UnitShift>(e =>
        {
            e.ToTable("unit_shifts");
            e.Property(x => x.UserId).HasMaxLength(64);
            e.HasIndex(x => new { x.UnitId, x.StartUtc });
            e.HasIndex(x => new { x.UserId, x.StartUtc });
            e.HasOne<OrgUnit>().WithMany().HasForeignKey(x => x.UnitId).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
