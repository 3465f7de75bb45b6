using System.Security.Claims;
using CivicGrid.Kernel.Accounts;
using Microsoft.AspNetCore.Http;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Kernel.Audit;

/// <summary>
/// One line of the append-only audit log: who (account, role, region), did what to which target, when, from where.
/// Details never hold personal data in clear: callers pass ids and masked values only.
/// </summary>
public sealed class AuditEntry
{
    public long Id { get; set; }
    public DateTime At { get; set; }
    public string? UserId { get; set; }
    public string UserName { get; set; } = "";
    public string Role { get; set; } = "";
    public string RegionPath { get; set; } = "";
    public string Action { get; set; } = "";
    public string Target { get; set; } = "";
    public string? ClientAddress { get; set; }
    public string? Details { get; set; }
}

/// <summary>The person or process on whose behalf a write happens; the audit log records it.</summary>
public sealed record Actor(string? UserId, string UserName, string Role, string RegionPath, string? ClientAddress)
{
    public static readonly Actor System = new(null, "system", "system", "/", null);

    public static Actor From(ClaimsPrincipal user, string? clientAddress) => new(
        user.FindFirstValue(ClaimTypes.NameIdentifier),
        user.Identity?.Name ?? "anonymous",
        user.FindFirstValue(ClaimTypes.Role) ?? "",
        user.FindFirstValue(StaffClaims.RegionPath) ?? "",
        clientAddress);

    public static Actor From(HttpContext http) => From(http.User, http.Connection.RemoteIpAddress?.ToString());

    /// <summary>A member of the public (a resident scanning a doorplate) acting without an account.</summary>
    public static Actor Public(HttpContext http) =>
        new(null, "public", "public", "", http.Connection.RemoteIpAddress?.ToString());
}

public static class AuditModel
{
    public const string Table = "audit_entries";

    /// <summary>
    /// Maps the audit table into a module's DbContext so that a write and its audit line commit in one transaction.
    /// Only the Kernel's context creates the table (<paramref name="owner"/>); modules map it excluded from their migrations.
    /// </summary>
    public static void MapAuditEntries(this ModelBuilder model, bool owner)
    {
        model.Entity<AuditEntry>(e =>
        {
            e.ToTable(Table, t => { if (!owner) t.ExcludeFromMigrations(); });
            e.HasKey(x => x.Id);
            e.Property(x => x.UserName).HasMaxLength(128);
            e.Property(x => x.Role).HasMaxLength(32);
            e.Property(x => x.RegionPath).HasMaxLength(128);
            e.Property(x => x.Action).HasMaxLength(64);
            e.Property(x => x.Target).HasMaxLength(256);
            e.Property(x => x.ClientAddress).HasMaxLength(64);
            e.Property(x => x.Details).HasMaxLength(2000);
            e.HasIndex(x => x.At);
            e.HasIndex(x => new { x.RegionPath, x.At });
        });
    }

    /// <summary>Adds an audit line to the context's pending changes; it is saved with the write it describes.</summary>
    public static void Audit(this DbContext db, Actor actor, DateTime at, string action, string target, string? details = null) =>
        db.Set<AuditEntry>().Add(new AuditEntry
        {
            At = at,
            UserId = actor.UserId,
            UserName = actor.UserName,
            Role = actor.Role,
            RegionPath = actor.RegionPath,
            Action = action,
            Target = target,
            ClientAddress = actor.ClientAddress,
            Details = details,
        });
}
