using System.Security.Claims;
using CivicGrid.Kernel.Accounts;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Contracts;

/// <summary>A resident as other modules may show them: masked, from the register's stored masks, nothing decrypted.</summary>
/// <param name="ResidentId">The resident's id in the register.</param>
/// <param name="NameMasked">The name with all but the first character hidden ("张**").</param>
/// <param name="IdMasked">The ID number as stored masked ("330109********123X").</param>
/// <param name="PhoneMasked">The mobile number as stored masked ("138****5678"), null when none is registered.</param>
/// <param name="AddressId">The address the person lives at.</param>
/// <param name="RegionPath">The region path of the address's grid.</param>
public sealed record ResidentCardView(long ResidentId, string NameMasked, string IdMasked, string? PhoneMasked, long AddressId, string RegionPath);

/// <summary>What came of an unmask request.</summary>
public enum ResidentUnmaskStatus
{
    /// <summary>Revealed; the audit line is written.</summary>
    Revealed,
    /// <summary>The caller lacks the <c>unmask</c> permission.</summary>
    Forbidden,
    /// <summary>No purpose from the list, or no specific reason (see <see cref="UnmaskReasons"/>); <see cref="ResidentUnmask.Errors"/> says which.</summary>
    ReasonRequired,
    /// <summary>No such resident, or outside the caller's area.</summary>
    NotFound,
}

/// <summary>The outcome of <see cref="ResidentCard.UnmaskAsync"/>: the plain ID number and phone only when revealed.</summary>
/// <param name="Status">Revealed, or why not.</param>
/// <param name="Card">The masked card of the resident (when found).</param>
/// <param name="Name">The full name (when revealed): the officer who calls or visits needs it.</param>
/// <param name="IdNumber">The plain ID number (when revealed).</param>
/// <param name="Phone">The plain mobile number (when revealed and registered).</param>
/// <param name="Errors">Why the purpose or reason was refused (fields "purpose", "reason"), for ReasonRequired.</param>
public sealed record ResidentUnmask(ResidentUnmaskStatus Status, ResidentCardView? Card = null, string? Name = null, string? IdNumber = null,
    string? Phone = null, Kernel.Web.FieldErrors? Errors = null);

/// <summary>
/// A resident's card for other modules (the anti-fraud board): found by the blind index of their ID or mobile number, the
/// key anti-fraud events carry as subjects. Shown masked; revealing the numbers needs the <c>unmask</c> permission and a
/// reason, and writes an audit line (who, role, region, which resident, why) in the same save.
/// </summary>
public sealed class ResidentCard
{
    private readonly PopulationDbContext db;
    private readonly PersonalDataProtector protector;

    // Made by the module's registration: its dependencies are the module's own internals.
    internal ResidentCard(PopulationDbContext db, PersonalDataProtector protector)
    {
        this.db = db;
        this.protector = protector;
    }

    public const int MinReason = UnmaskReasons.MinLength;
    public const int MaxReason = UnmaskReasons.MaxLength;

    /// <summary>The masked card of the person with this blind index (their latest residence), or null when unknown.</summary>
    public async Task<ResidentCardView?> FindAsync(string blindIndex, CancellationToken ct) =>
        (await FindManyAsync([blindIndex], ct)).GetValueOrDefault(blindIndex);

    /// <summary>Masked cards for several blind indexes at once (a page of alerts), keyed by the blind index given.</summary>
    public async Task<IReadOnlyDictionary<string, ResidentCardView>> FindManyAsync(IReadOnlyCollection<string> blindIndexes, CancellationToken ct)
    {
        var keys = blindIndexes.Where(k => !string.IsNullOrEmpty(k)).Distinct(StringComparer.Ordinal).ToList();
        var cards = new Dictionary<string, ResidentCardView>(StringComparer.Ordinal);
        if (keys.Count == 0) return cards;
        var rows = await db.Residents.AsNoTracking()
            .Where(r => keys.Contains(r.IdIndex) || (r.PhoneIndex != null && keys.Contains(r.PhoneIndex)))
            .OrderBy(r => r.Id)
            .Select(r => new { r.Id, r.Name, r.IdIndex, r.IdMasked, r.PhoneIndex, r.PhoneMasked, r.AddressId, r.RegionPath })
            .ToListAsync(ct);
        // In id order, so the latest record (the current residence after a move) wins, as in ResidenceDirectory.
        foreach (var r in rows)
        {
            var card = new ResidentCardView(r.Id, Mask.Name(r.Name), r.IdMasked, r.PhoneMasked, r.AddressId, r.RegionPath);
            if (keys.Contains(r.IdIndex)) cards[r.IdIndex] = card;
            if (r.PhoneIndex is not null && keys.Contains(r.PhoneIndex)) cards[r.PhoneIndex] = card;
        }
        return cards;
    }

    /// <summary>
    /// Reveals the name, ID number and phone of the person with this blind index to a caller holding <c>unmask</c> whose area
    /// holds the residence, for a purpose from <see cref="UnmaskReasons.Purposes"/> and a specific reason. <paramref name="context"/>
    /// says where it happened ("antifraud alert:42") and goes into the audit line with them.
    /// </summary>
    public async Task<ResidentUnmask> UnmaskAsync(string blindIndex, ClaimsPrincipal user, RegionScope scope, Actor actor, string? purpose, string? reason,
        string context, DateTime now, CancellationToken ct)
    {
        if (!Permissions.Has(user, Permissions.Unmask)) return new ResidentUnmask(ResidentUnmaskStatus.Forbidden);
        var errors = new Kernel.Web.FieldErrors();
        if (!UnmaskReasons.TryCheck(purpose, reason, errors, out var why)) return new ResidentUnmask(ResidentUnmaskStatus.ReasonRequired, Errors: errors);
        var r = await db.Residents.AsNoTracking()
            .Where(x => x.IdIndex == blindIndex || x.PhoneIndex == blindIndex)
            .OrderByDescending(x => x.Id)
            .FirstOrDefaultAsync(ct);
        if (r is null || !scope.Contains(r.RegionPath)) return new ResidentUnmask(ResidentUnmaskStatus.NotFound);
        await db.SaveAuditedAsync(actor, now, "personal_data.unmask", $"resident:{r.Id}:name,id,phone", $"{context}: {why}", ct);
        var card = new ResidentCardView(r.Id, Mask.Name(r.Name), r.IdMasked, r.PhoneMasked, r.AddressId, r.RegionPath);
        return new ResidentUnmask(ResidentUnmaskStatus.Revealed, card, r.Name, protector.Decrypt(r.IdNumber), r.Phone is null ? null : protector.Decrypt(r.Phone));
    }
}
