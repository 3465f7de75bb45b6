using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Regions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CivicGrid.AntiFraud.Data;

/// <summary>
/// A warning about one resident, routed to a police station. The resident is known only by the blind-index key the
/// events carried (<see cref="Subject"/>); <see cref="RegionPath"/> is where the resident lives (their grid) when the
/// register knows them, else the default station's region, so an officer's scope decides who sees the alert.
/// </summary>
internal sealed class FraudAlert : IRegionScoped
{
    public long Id { get; set; }
    public string Subject { get; set; } = "";
    public string RuleId { get; set; } = "";
    public string Category { get; set; } = "";
    public string? Description { get; set; }
    public string Response { get; set; } = "";
    public double Score { get; set; }
    /// <summary>Event time of the match (UTC).</summary>
    public DateTime EventTime { get; set; }
    /// <summary>When the engine raised it (platform clock, UTC): the start of "time to first contact".</summary>
    public DateTime RaisedAt { get; set; }
    public DateTime StoredAt { get; set; }
    public string RegionPath { get; set; } = "";
    public int StationRegionId { get; set; }
    public string StationName { get; set; } = "";
    /// <summary>The resident in the Population register (an id, never their data); null when not registered here.</summary>
    public long? ResidentId { get; set; }
    public long? AddressId { get; set; }
    /// <summary>The events that fired the rule, in order, as JSON (mobile numbers masked).</summary>
    public string Evidence { get; set; } = "[]";
    public DateTime? FirstContactAt { get; set; }
    /// <summary>The outcome of the latest dissuasion; null while nobody has acted.</summary>
    public string? Outcome { get; set; }
    public long AmountProtected { get; set; }
    public bool Open { get; set; } = true;
}

/// <summary>One contact with the resident by an officer: how, with what outcome, how much money stayed.</summary>
internal sealed class Dissuasion : IRegionScoped
{
    public long Id { get; set; }
    public long AlertId { get; set; }
    public string Method { get; set; } = "";
    public string Outcome { get; set; } = "";
    /// <summary>Yuan kept from leaving the resident's account.</summary>
    public long AmountProtected { get; set; }
    public string? Note { get; set; }
    public DateTime At { get; set; }
    public string? OfficerId { get; set; }
    public string OfficerName { get; set; } = "";
    public string RegionPath { get; set; } = "";
}

internal class AntiFraudDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<FraudAlert> Alerts => Set<FraudAlert>();
    public DbSet<Dissuasion> Dissuasions => Set<Dissuasion>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.MapAuditEntries(owner: false);
        modelBuilder.Entity<FraudAlert>(e =>
        {
            e.ToTable("alerts");
            e.Property(x => x.Subject).HasMaxLength(128);
            e.Property(x => x.RuleId).HasMaxLength(64);
            e.Property(x => x.Category).HasMaxLength(32);
            e.Property(x => x.Description).HasMaxLength(500);
            e.Property(x => x.Response).HasMaxLength(16);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.Property(x => x.StationName).HasMaxLength(64);
            e.Property(x => x.Outcome).HasMaxLength(16);
            // The board reads open alerts of a subtree, highest risk first.
            e.HasIndex(x => new { x.RegionPath, x.Open, x.Score });
            e.HasIndex(x => new { x.Subject, x.RuleId, x.EventTime });
            e.HasIndex(x => x.StationRegionId);
        });
        modelBuilder.Entity<Dissuasion>(e =>
        {
            e.ToTable("dissuasions");
            e.Property(x => x.Method).HasMaxLength(16);
            e.Property(x => x.Outcome).HasMaxLength(16);
            e.Property(x => x.Note).HasMaxLength(500);
            e.Property(x => x.OfficerId).HasMaxLength(64);
            e.Property(x => x.OfficerName).HasMaxLength(128);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.HasIndex(x => x.AlertId);
            e.HasOne<FraudAlert>().WithMany().HasForeignKey(x => x.AlertId);
        });
    }
}

internal sealed class AntiFraudSqliteDbContext(DbContextOptions<AntiFraudSqliteDbContext> options) : AntiFraudDbContext(options);

internal sealed class AntiFraudPostgresDbContext(DbContextOptions<AntiFraudPostgresDbContext> options) : AntiFraudDbContext(options);

internal sealed class AntiFraudSqliteDesignFactory : IDesignTimeDbContextFactory<AntiFraudSqliteDbContext>
{
    public AntiFraudSqliteDbContext CreateDbContext(string[] args) => new(DatabaseSetup.DesignTimeOptions<AntiFraudSqliteDbContext>(false, AntiFraudModule.Name));
}

internal sealed class AntiFraudPostgresDesignFactory : IDesignTimeDbContextFactory<AntiFraudPostgresDbContext>
{
    public AntiFraudPostgresDbContext CreateDbContext(string[] args) => new(DatabaseSetup.DesignTimeOptions<AntiFraudPostgresDbContext>(true, AntiFraudModule.Name));
}
