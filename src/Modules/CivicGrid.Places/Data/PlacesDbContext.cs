using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Data;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using NetTopologySuite.Geometries;
using NetTopologySuite.IO;

namespace CivicGrid.Places.Data;

internal class PlacesDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<Region> Regions => Set<Region>();
    public DbSet<RegionCode> RegionCodes => Set<RegionCode>();
    public DbSet<BuildingHead> BuildingHeads => Set<BuildingHead>();
    public DbSet<Address> Addresses => Set<Address>();
    public DbSet<RetiredDoorplate> RetiredDoorplates => Set<RetiredDoorplate>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        var b = modelBuilder;
        b.MapAuditEntries(owner: false);
        var sqlite = Database.IsSqlite();
        if (!sqlite) b.HasPostgresExtension("postgis");

        b.Entity<Region>(e =>
        {
            e.ToTable("regions");
            e.Property(x => x.Code).HasMaxLength(15);
            e.Property(x => x.Name).HasMaxLength(64);
            e.Property(x => x.Kind).HasMaxLength(16);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.Property(x => x.WorkerName).HasMaxLength(32);
            e.Property(x => x.WorkerPhoneIndex).HasMaxLength(32);
            e.Property(x => x.WorkerPhoneMasked).HasMaxLength(16);
            e.HasIndex(x => x.RegionPath).IsUnique();
            e.HasIndex(x => x.ParentId);
            e.HasIndex(x => x.Code);
            var boundary = e.Property(x => x.Boundary);
            if (sqlite)
            {
                // No SpatiaLite here: SQLite keeps the polygon as WKB; queries select by the bounding-box columns and the
                // in-memory STRtree answers point-in-polygon. PostgreSQL keeps a real PostGIS geometry.
                boundary.HasConversion(new ValueConverter<Geometry?, byte[]?>(
                    g => g == null ? null : new WKBWriter().Write(g),
                    w => w == null ? null : new WKBReader().Read(w)));
            }
            else
            {
                boundary.HasColumnType("geometry(Geometry,4326)");
                e.HasIndex(x => x.Boundary).HasMethod("gist");
            }
        });
        b.Entity<RegionCode>(e =>
        {
            e.ToTable("region_codes");
            e.Property(x => x.Code).HasMaxLength(15);
            e.HasIndex(x => new { x.RegionId, x.ValidFrom });
            e.HasIndex(x => x.Code);
        });
        b.Entity<BuildingHead>(e =>
        {
            e.ToTable("building_heads");
            e.Property(x => x.Name).HasMaxLength(32);
            e.Property(x => x.Building).HasMaxLength(32);
            e.Property(x => x.PhoneMasked).HasMaxLength(16);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.HasIndex(x => x.GridId);
        });
        b.Entity<Address>(e =>
        {
            e.ToTable("addresses");
            e.Property(x => x.Street).HasMaxLength(64);
            e.Property(x => x.Building).HasMaxLength(16);
            e.Property(x => x.Unit).HasMaxLength(16);
            e.Property(x => x.Room).HasMaxLength(16);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.Property(x => x.DoorplateToken).HasMaxLength(32);
            e.HasIndex(x => x.DoorplateToken).IsUnique();
            e.HasIndex(x => new { x.RegionPath, x.Id });
            e.HasIndex(x => x.GridId);
        });
        b.Entity<RetiredDoorplate>(e =>
        {
            e.ToTable("retired_doorplates");
            e.HasKey(x => x.Token);
            e.Property(x => x.Token).HasMaxLength(32);
        });
    }
}

internal sealed class PlacesSqliteDbContext(DbContextOptions<PlacesSqliteDbContext> options) : PlacesDbContext(options);

internal sealed class PlacesPostgresDbContext(DbContextOptions<PlacesPostgresDbContext> options) : PlacesDbContext(options);

internal sealed class PlacesSqliteDesignFactory : IDesignTimeDbContextFactory<PlacesSqliteDbContext>
{
    public PlacesSqliteDbContext CreateDbContext(string[] args) => new(DatabaseSetup.DesignTimeOptions<PlacesSqliteDbContext>(false, "places"));
}

internal sealed class PlacesPostgresDesignFactory : IDesignTimeDbContextFactory<PlacesPostgresDbContext>
{
    public PlacesPostgresDbContext CreateDbContext(string[] args) => new(DatabaseSetup.DesignTimeOptions<PlacesPostgresDbContext>(true, "places"));
}
