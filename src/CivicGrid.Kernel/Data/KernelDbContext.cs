using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Units;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace CivicGrid.Kernel.Data;

/// <summary>
/// The Kernel's tables: staff accounts (ASP.NET Core Identity), organisational units with their rosters, the working-day calendar, the audit log, and the data-protection key ring (the keys
/// that sign cookies and antiforgery tokens), kept in the database so that every web node behind a load balancer shares it.
/// </summary>
public class KernelDbContext(DbContextOptions options) : IdentityDbContext<StaffUser>(options), IDataProtectionKeyContext
{
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<OrgUnit> Units => Set<OrgUnit>();

    public DbSet<UnitMember> UnitMembers => Set<UnitMember>();

    public DbSet<UnitShift> UnitShifts => Set<UnitShift>();

    public DbSet<SignIn.OneTimeCode> OneTimeCodes => Set<SignIn.OneTimeCode>();

    public DbSet<Calendar.CalendarDay> CalendarDays => Set<Calendar.CalendarDay>();

    public DbSet<Calendar.CalendarVersion> CalendarVersions => Set<Calendar.CalendarVersion>();
    public DbSet<Jobs.JobRun> JobRuns => Set<Jobs.JobRun>();

    public DbSet<Messaging.OutboxMessage> Outbox => Set<Messaging.OutboxMessage>();

    public DbSet<Messaging.InboxItem> Inbox => Set<Messaging.InboxItem>();

    public DbSet<Files.StoredFile> StoredFiles => Set<Files.StoredFile>();

    public DbSet<Files.FileChunk> FileChunks => Set<Files.FileChunk>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.MapAuditEntries(owner: true);
        builder.Entity<DataProtectionKey>().ToTable("data_protection_keys");
        builder.MapUnits();
        Calendar.CalendarModel.MapCalendar(builder);
        Jobs.JobRunModel.MapJobRuns(builder);
        Messaging.OutboxModel.MapMessaging(builder);
        Files.FileModel.MapFiles(builder);
        builder.Entity<SignIn.OneTimeCode>(e =>
        {
            e.ToTable("sign_in_codes");
            e.Property(x => x.Purpose).HasMaxLength(32);
            e.Property(x => x.PhoneIndex).HasMaxLength(32);
            e.Property(x => x.CodeHash).HasMaxLength(32);
            e.Property(x => x.SourceIndex).HasMaxLength(32);
            e.HasIndex(x => new { x.PhoneIndex, x.CreatedAt });
            e.HasIndex(x => new { x.SourceIndex, x.CreatedAt });
            e.HasIndex(x => x.ExpiresAt);
        });
        builder.Entity<StaffUser>(e =>
        {
            e.Property(x => x.DisplayName).HasMaxLength(64);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.Property(x => x.Role).HasMaxLength(32);
            e.HasIndex(x => x.RegionPath);
        });
    }
}

public sealed class KernelSqliteDbContext(DbContextOptions<KernelSqliteDbContext> options) : KernelDbContext(options);

public sealed class KernelPostgresDbContext(DbContextOptions<KernelPostgresDbContext> options) : KernelDbContext(options);

public sealed class KernelSqliteDesignFactory : IDesignTimeDbContextFactory<KernelSqliteDbContext>
{
    public KernelSqliteDbContext CreateDbContext(string[] args) => new(DatabaseSetup.DesignTimeOptions<KernelSqliteDbContext>(false, "kernel"));
}

public sealed class KernelPostgresDesignFactory : IDesignTimeDbContextFactory<KernelPostgresDbContext>
{
    public KernelPostgresDbContext CreateDbContext(string[] args) => new(DatabaseSetup.DesignTimeOptions<KernelPostgresDbContext>(true, "kernel"));
}
