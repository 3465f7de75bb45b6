using CivicGrid.Kernel;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Web;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Kernel.Messaging;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Permits;

/// <summary>What a resident types on the phone page to apply for a residence permit, without an account.</summary>
internal sealed class PermitApplication
{
    public string? Name { get; set; }
    public string? IdNumber { get; set; }
    public string? Phone { get; set; }
    public string? Employer { get; set; }
}

/// <summary>A holder's update of their details: the ID number proves it is theirs, beside the lookup code.</summary>
internal sealed class PermitDetailsUpdate
{
    public string? IdNumber { get; set; }
    public string? Phone { get; set; }
    public string? Employer { get; set; }
}

internal sealed record PermitDto(long Id, long ResidentId, long AddressId, string Address, string Name, string IdMasked, string? PhoneMasked, string? Employer,
    PermitStatus Status, string? PermitNumber, DateTime AppliedAt, DateOnly? IssuedOn, DateOnly? LastEndorsedOn, DateOnly? EndorsementDue, string? RejectReason);

internal sealed record EligibleResident(long ResidentId, long AddressId, string Address, string Name, string IdMasked, string? PhoneMasked, DateOnly Since);

internal sealed record IssueRequest(string? PermitNumber);

/// <summary>
/// Residence permits (居住证): a floating resident whose current residence began at least
/// <see cref="PopulationOptions.PermitEligibilityMonths"/> months ago is eligible; they apply on a phone page, staff issue
/// (with the permit number) or reject (with a reason); an issued permit is endorsed (签注) every year.
/// </summary>
internal static class Permits
{
    public const int MaxRows = 500;

    public enum Outcome { Done, NotFound, WrongState, Invalid }

    public static string StatusTitle(PermitStatus s) => s switch
    {
        PermitStatus.Applied => Bilingual.Pick("待审批", "Applied"),
        PermitStatus.Issued => Bilingual.Pick("已签发", "Issued"),
        PermitStatus.Rejected => Bilingual.Pick("已退回", "Rejected"),
        _ => Bilingual.Pick("已失效", "Lapsed"),
    };

    /// <summary>The calendar day in China for an instant (the platform's clock is UTC).</summary>
    public static DateOnly Today(DateTime utcNow) => ChinaTime.DateOf(utcNow);

    /// <summary>The latest first day of a residence that makes its resident eligible today: the same day N months back.</summary>
    public static DateOnly EligibleIfSince(DateOnly today, PopulationOptions options) => today.AddMonths(-options.PermitEligibilityMonths);

    /// <summary>Current floating residences of the area old enough for a permit, whose resident has none applied for or issued.</summary>
    public static IQueryable<Resident> Eligible(PopulationDbContext db, RegionScope scope, DateOnly today, PopulationOptions options)
    {
        var since = EligibleIfSince(today, options);
        return db.Residents.AsNoTracking().InScope(scope)
            .Where(r => r.Until == null && r.Kind == ResidenceKind.Floating && r.Since != null && r.Since <= since)
            .Where(r => !db.Permits.Any(p => p.IdIndex == r.IdIndex && (p.Status == PermitStatus.Applied || p.Status == PermitStatus.Issued)));
    }

    public static async Task<List<EligibleResident>> EligibleAsync(PopulationDbContext db, AddressDirectory addresses, RegionScope scope, DateOnly today,
        PopulationOptions options, CancellationToken ct)
    {
        var rows = await Eligible(db, scope, today, options).OrderBy(r => r.Since).ThenBy(r => r.Id).Take(MaxRows).ToListAsync(ct);
        var lines = await addresses.LinesAsync(rows.Select(r => r.AddressId), ct);
        return rows.Select(r => new EligibleResident(r.Id, r.AddressId, lines.GetValueOrDefault(r.AddressId, ""), r.Name, r.IdMasked, r.PhoneMasked, r.Since!.Value))
            .ToList();
    }

    public static async Task<List<PermitDto>> ListAsync(PopulationDbContext db, AddressDirectory addresses, RegionScope scope, PermitStatus? status,
        CancellationToken ct, int limit = MaxRows)
    {
        var query = db.Permits.AsNoTracking().InScope(scope).Where(p => status == null || p.Status == status);
        // Issued permits by the next endorsement (the most urgent first); the others by application.
        var rows = status == PermitStatus.Issued
            ? await query.OrderBy(p => p.EndorsementDue).ThenBy(p => p.Id).Take(limit).ToListAsync(ct)
            : await query.OrderBy(p => p.Id).Take(limit).ToListAsync(ct);
        var lines = await addresses.LinesAsync(rows.Select(r => r.AddressId), ct);
        return rows.Select(p => ToDto(p, lines.GetValueOrDefault(p.AddressId, ""))).ToList();
    }

    public static PermitDto ToDto(ResidencePermit p, string address) => new(p.Id, p.ResidentId, p.AddressId, address, p.Name, p.IdMasked, p.PhoneMasked,
        p.Employer, p.Status, p.PermitNumber, p.AppliedAt, p.IssuedOn, p.LastEndorsedOn, p.EndorsementDue, p.RejectReason);

    public sealed record ApplyResult(ResidencePermit? Permit, FieldErrors Errors);

    /// <summary>
    /// Records an application. The ID number must match, by blind index, a current floating residence old enough; the name
    /// must be the register's. Either mismatch gets the same answer, so the form reveals nothing about someone else.
    /// </summary>
    public static async Task<ApplyResult> ApplyAsync(PopulationDbContext db, PersonalDataProtector protector, PermitApplication form,
        PopulationOptions options, string? clientAddress, DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var today = Today(now);
        var name = form.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 32)
            errors.Add("name", "姓名必填，最多 32 字", "name is required, at most 32 characters");
        if (!CitizenId.TryNormalize(form.IdNumber, out var idNumber, out var idError, today))
            errors.Add("idNumber", idError ?? Bilingual.Both("身份证号无效", "invalid ID number"));
        var phone = "";
        if (string.IsNullOrWhiteSpace(form.Phone))
            errors.Add("phone", "手机号必填（用于签注提醒）", "phone is required (for endorsement reminders)");
        else if (!MobileNumber.TryNormalize(form.Phone, out phone, out var phoneError))
            errors.Add("phone", phoneError ?? Bilingual.Both("手机号无效", "invalid mobile number"));
        var employer = form.Employer?.Trim();
        if (employer is { Length: > 64 })
            errors.Add("employer", "工作单位最多 64 字", "employer is at most 64 characters");
        if (errors.Any) return new ApplyResult(null, errors);

        var idIndex = protector.BlindIndex("id", idNumber);
        var since = EligibleIfSince(today, options);
        var residence = await db.Residents.AsNoTracking()
            .Where(r => r.IdIndex == idIndex && r.Until == null && r.Kind == ResidenceKind.Floating && r.Since != null && r.Since <= since)
            .OrderBy(r => r.Since).FirstOrDefaultAsync(ct);
        if (residence is null || residence.Name != name)
        {
            errors.Add("idNumber",
                $"未找到与该姓名和身份证号相符、在本地连续居住满 {options.PermitEligibilityMonths} 个月的流动人口居住登记，暂不能申领。请先扫门牌二维码申报居住，满 {options.PermitEligibilityMonths} 个月后再申请",
                $"no floating-population residence of at least {options.PermitEligibilityMonths} months matches this name and ID number; declare your residence at the doorplate first and apply once you have lived here {options.PermitEligibilityMonths} months");
            return new ApplyResult(null, errors);
        }
        if (await db.Permits.AnyAsync(p => p.IdIndex == idIndex && (p.Status == PermitStatus.Applied || p.Status == PermitStatus.Issued), ct))
        {
            errors.Add("idNumber", "该身份证号已有居住证申请或证件，请用查询码查看进度", "this ID number already has a permit application or permit; look it up with your code");
            return new ApplyResult(null, errors);
        }
        var permit = new ResidencePermit
        {
            ResidentId = residence.Id, AddressId = residence.AddressId, RegionPath = residence.RegionPath, Name = residence.Name,
            IdIndex = idIndex, IdMasked = residence.IdMasked, Phone = protector.Encrypt(phone), PhoneIndex = protector.BlindIndex("phone", phone),
            PhoneMasked = Mask.Phone(phone), Employer = string.IsNullOrEmpty(employer) ? null : employer, Status = PermitStatus.Applied,
            LookupCode = Declarations.Declarations.NewLookupCode(), AppliedAt = now,
        };
        // The permit's id goes into its audit line: two saves, one transaction.
        await db.SaveAuditedAsync(new Actor(null, "public", "public", "", clientAddress), now, async ct =>
        {
            db.Permits.Add(permit);
            await db.SaveChangesAsync(ct);
            return [new AuditLine("population.permit.apply", $"permit:{permit.Id}", $"resident:{residence.Id}")];
        }, ct);
        return new ApplyResult(permit, errors);
    }

    public static async Task<ResidencePermit?> FindByCodeAsync(PopulationDbContext db, string? code, CancellationToken ct)
    {
        code = code?.Trim().ToUpperInvariant();
        return code is { Length: 10 } ? await db.Permits.AsNoTracking().FirstOrDefaultAsync(p => p.LookupCode == code, ct) : null;
    }

    /// <summary>The holder changes their phone or employer with the lookup code and their ID number (which must be the permit's).</summary>
    public static async Task<(Outcome Outcome, FieldErrors Errors)> UpdateDetailsAsync(PopulationDbContext db, PersonalDataProtector protector, string? code,
        PermitDetailsUpdate form, string? clientAddress, DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        if (!CitizenId.TryNormalize(form.IdNumber, out var idNumber, out var idError, Today(now)))
            errors.Add("idNumber", idError ?? Bilingual.Both("身份证号无效", "invalid ID number"));
        string? phone = null;
        if (!string.IsNullOrWhiteSpace(form.Phone))
        {
            if (MobileNumber.TryNormalize(form.Phone, out var p, out var phoneError)) phone = p;
            else errors.Add("phone", phoneError ?? Bilingual.Both("手机号无效", "invalid mobile number"));
        }
        var employer = form.Employer?.Trim();
        if (employer is { Length: > 64 })
            errors.Add("employer", "工作单位最多 64 字", "employer is at most 64 characters");
        if (errors.Any) return (Outcome.Invalid, errors);
        code = code?.Trim().ToUpperInvariant();
        var permit = code is { Length: 10 } ? await db.Permits.FirstOrDefaultAsync(x => x.LookupCode == code, ct) : null;
        if (permit is null || permit.IdIndex != protector.BlindIndex("id", idNumber))
        {
            errors.Add("idNumber", "查询码与身份证号不符", "the lookup code and ID number do not match");
            return (Outcome.NotFound, errors);
        }
        if (phone is not null)
        {
            permit.Phone = protector.Encrypt(phone);
            permit.PhoneIndex = protector.BlindIndex("phone", phone);
            permit.PhoneMasked = Mask.Phone(phone);
        }
        permit.Employer = string.IsNullOrEmpty(employer) ? null : employer;
        permit.UpdatedAt = now;
        await db.SaveAuditedAsync(new Actor(null, "public", "public", "", clientAddress), now, "population.permit.update", $"permit:{permit.Id}",
            phone is null ? "employer" : "phone,employer", ct);
        return (Outcome.Done, errors);
    }

    private static async Task<ResidencePermit?> InScopeAsync(PopulationDbContext db, long permitId, RegionScope scope, CancellationToken ct)
    {
        var p = await db.Permits.FirstOrDefaultAsync(x => x.Id == permitId, ct);
        return p is not null && scope.Contains(p.RegionPath) ? p : null;
    }

    /// <summary>Issues an applied permit with its number; the first endorsement falls due a year later. The holder gets an SMS.</summary>
    public static async Task<(Outcome, FieldErrors)> IssueAsync(PopulationDbContext db, PersonalDataProtector protector, Outbox outbox, long permitId, string? permitNumber,
        RegionScope scope, Actor actor, DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        permitNumber = permitNumber?.Trim();
        if (string.IsNullOrEmpty(permitNumber) || permitNumber.Length > 32)
            errors.Add("permitNumber", "签发须填写 1-32 位居住证编号", "a permit number of 1-32 characters is required to issue");
        if (errors.Any) return (Outcome.Invalid, errors);
        var p = await InScopeAsync(db, permitId, scope, ct);
        if (p is null) return (Outcome.NotFound, errors);
        if (p.Status != PermitStatus.Applied) return (Outcome.WrongState, errors);
        if (await db.Permits.AnyAsync(x => x.PermitNumber == permitNumber && x.Id != p.Id, ct))
        {
            errors.Add("permitNumber", "该居住证编号已被使用", "this permit number is already in use");
            return (Outcome.Invalid, errors);
        }
        var today = Today(now);
        p.Status = PermitStatus.Issued;
        p.PermitNumber = permitNumber;
        p.IssuedOn = today;
        p.EndorsementDue = today.AddYears(1);
        p.DecidedAt = now;
        p.DecidedBy = actor.UserName;
        if (p.Phone is not null)
            outbox.EnqueueSms(db, PopulationMessages.PermitIssued, protector.Decrypt(p.Phone), new Dictionary<string, string>
            {
                ["name"] = p.Name, ["number"] = permitNumber ?? "", ["due"] = p.EndorsementDue is { } due ? Kernel.Time.ChinaTime.Date(due) : "",
            }, p.RegionPath, $"population.permit_issued:{p.Id}");
        await db.SaveAuditedAsync(actor, now, "population.permit.issue", $"permit:{p.Id}", null, ct);
        return (Outcome.Done, errors);
    }

    public static async Task<(Outcome, FieldErrors)> RejectAsync(PopulationDbContext db, long permitId, string? reason, RegionScope scope, Actor actor,
        DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        reason = reason?.Trim();
        if (string.IsNullOrEmpty(reason) || reason.Length > 200)
            errors.Add("reason", "退回须填写 1-200 字的理由", "a reason of 1-200 characters is required");
        if (errors.Any) return (Outcome.Invalid, errors);
        var p = await InScopeAsync(db, permitId, scope, ct);
        if (p is null) return (Outcome.NotFound, errors);
        if (p.Status != PermitStatus.Applied) return (Outcome.WrongState, errors);
        p.Status = PermitStatus.Rejected;
        p.RejectReason = reason;
        p.DecidedAt = now;
        p.DecidedBy = actor.UserName;
        await db.SaveAuditedAsync(actor, now, "population.permit.reject", $"permit:{p.Id}", null, ct);
        return (Outcome.Done, errors);
    }

    /// <summary>Records the yearly endorsement (签注): the next one falls due a year after the one now done.</summary>
    public static async Task<Outcome> EndorseAsync(PopulationDbContext db, long permitId, RegionScope scope, Actor actor, DateTime now, CancellationToken ct)
    {
        var p = await InScopeAsync(db, permitId, scope, ct);
        if (p is null) return Outcome.NotFound;
        if (p.Status != PermitStatus.Issued || p.EndorsementDue is not { } due) return Outcome.WrongState;
        p.LastEndorsedOn = Today(now);
        p.EndorsementDue = due.AddYears(1);
        p.UpdatedAt = now;
        await db.SaveAuditedAsync(actor, now, "population.permit.endorse", $"permit:{p.Id}", $"due:{p.EndorsementDue:yyyy-MM-dd}", ct);
        return Outcome.Done;
    }
}
