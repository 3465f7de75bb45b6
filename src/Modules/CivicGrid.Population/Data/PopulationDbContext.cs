using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Regions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CivicGrid.Population.Data;

public enum ResidenceKind
{
    /// <summary>户籍人口: registered household member.</summary>
    Household = 0,

    /// <summary>流动人口: floating population, living here without household registration.</summary>
    Floating = 1,
}

/// <summary>
/// A person living at an address. The ID number and phone are stored only encrypted (AES-GCM) and found by their
/// blind index; the masked forms are kept for lists so that showing a page never decrypts.
/// </summary>
public sealed class Resident : IRegionScoped
{
    public long Id { get; set; }
    public string Name { get; set; } = "";
    public byte[] IdNumber { get; set; } = [];
    public string IdIndex { get; set; } = "";
    public string IdMasked { get; set; } = "";
    public byte[]? Phone { get; set; }
    public string? PhoneIndex { get; set; }
    public string? PhoneMasked { get; set; }
    public bool Male { get; set; }
    public DateOnly BirthDate { get; set; }
    public long AddressId { get; set; }
    public string RegionPath { get; set; } = "";
    public ResidenceKind Kind { get; set; }
    public bool Synthetic { get; set; }
}

public class PopulationDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Resident> Residents => Set<Resident>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.MapAuditEntries(owner: false);
        modelBuilder.Entity<Resident>(e =>
        {
            e.ToTable("residents");
            e.Property(x => x.Name).HasMaxLength(32);
            e.Property(x => x.IdIndex).HasMaxLength(32);
            e.Property(x => x.IdMasked).HasMaxLength(18);
            e.Property(x => x.PhoneIndex).HasMaxLength(32);
            e.Property(x => x.PhoneMasked).HasMaxLength(16);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.HasIndex(x => x.IdIndex);
            e.HasIndex(x => x.PhoneIndex);
            e.HasIndex(x => x.AddressId);
            e.HasIndex(x => new { x.RegionPath, x.Id });
        });
    }
}

public sealed class PopulationSqliteDbContext(DbContextOptions<PopulationSqliteDbContext> options) : PopulationDbContext(options);

public sealed class PopulationPostgresDbContext(DbContextOptions<PopulationPostgresDbContext> options) : PopulationDbContext(options);

public sealed class PopulationSqliteDesignFactory : IDesignTimeDbContextFactory<PopulationSqliteDbContext>
{
    public PopulationSqliteDbContext CreateDbContext(string[] args) => new(DatabaseSetup.DesignTimeOptions<PopulationSqliteDbContext>(false, "population"));
}

public sealed class PopulationPostgresDesignFactory : IDesignTimeDbContextFactory<PopulationPostgresDbContext>
{
    public PopulationPostgresDbContext CreateDbContext(string[] args) => new(DatabaseSetup.DesignTimeOptions<PopulationPostgresDbContext>(true, "population"));
}
