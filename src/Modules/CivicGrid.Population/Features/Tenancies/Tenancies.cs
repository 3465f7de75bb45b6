using CivicGrid.Kernel;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Time;
using CivicGrid.Kernel.Web;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Residents;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Tenancies;

/// <summary>What a landlord reports when a tenant moves in (租住登记).</summary>
internal sealed class MoveInForm
{
    public long? PropertyId { get; set; }
    public string? Name { get; set; }
    public string? IdNumber { get; set; }
    public string? Phone { get; set; }
    public DateOnly? MoveIn { get; set; }
    public DateOnly? LeaseEnd { get; set; }
}

internal sealed class MoveOutForm
{
    public DateOnly? MoveOut { get; set; }
}

internal sealed record TenancyDto(long Id, long PropertyId, long AddressId, string TenantName, string TenantIdMasked, string? TenantPhoneMasked,
    DateOnly MoveIn, DateOnly? LeaseEnd, DateOnly? MoveOut, TenancySource Source, DateTime MoveInReportedAt, DateTime? MoveOutReportedAt)
{
    public static TenancyDto From(Tenancy t) => new(t.Id, t.RentalPropertyId, t.AddressId, t.TenantName, t.TenantIdMasked, t.TenantPhoneMasked,
        t.MoveIn, t.LeaseEnd, t.MoveOut, t.Source, t.MoveInReportedAt, t.MoveOutReportedAt);
}

/// <summary>
/// Tenancies reported by landlords: a move-in puts the tenant in the register (floating population, verified, closing their
/// residence elsewhere); a move-out closes that residence. A landlord only ever reaches their own properties' tenancies.
/// </summary>
internal static class Tenancies
{
    public enum Outcome { Created, Merged, Done, NotFound, Invalid, AlreadyMovedOut, Duplicate }

    public sealed record Result(Tenancy? Tenancy, FieldErrors Errors, Outcome Outcome);

    /// <summary>The answer to the losing one of two move-ins of the same tenant posted at the same instant.</summary>
    public const string DuplicateZh = "该租客在此出租房已有在租登记（可能重复提交），请刷新后查看";

    public const string DuplicateEn = "this tenant already has an open tenancy at this rental (submitted twice?); reload to see it";

    /// <summary>The calendar day in China (UTC+8) at <paramref name="utcNow"/>: deadlines are counted in local days.</summary>
    public static DateOnly Today(DateTime utcNow) => ChinaTime.DateOf(utcNow);

    public static IQueryable<Tenancy> OfLandlord(PopulationDbContext db, long landlordId) => db.Tenancies.Where(t => t.LandlordId == landlordId);

    /// <summary>Checks the move-in form; messages name the field in both languages and never repeat the value typed.</summary>
    public static FieldErrors Validate(MoveInForm form, DateOnly today, out string idNumber, out string? phone)
    {
        var errors = new FieldErrors();
        phone = null;
        if (form.PropertyId is null) errors.Add("propertyId", "请选择出租房", "propertyId is required");
        var name = form.Name?.Trim();
        if (string.IsNullOrEmpty(name) || name.Length > 32) errors.Add("name", "租客姓名必填，最多 32 字", "name is required, at most 32 characters");
        if (!CitizenId.TryNormalize(form.IdNumber, out idNumber, out var idError, today))
            errors.Add("idNumber", idError ?? Bilingual.Both("身份证号无效", "invalid ID number"));
        if (!string.IsNullOrWhiteSpace(form.Phone))
        {
            if (MobileNumber.TryNormalize(form.Phone, out var p, out var phoneError)) phone = p;
            else errors.Add("phone", phoneError ?? Bilingual.Both("手机号无效", "invalid mobile number"));
        }
        if (form.MoveIn is not { } moveIn)
            errors.Add("moveIn", "入住日期必填", "moveIn is required");
        else if (moveIn > today.AddDays(30) || moveIn < today.AddYears(-20))
            errors.Add("moveIn", "入住日期不合理（不能晚于 30 天后）", "moveIn is implausible (at most 30 days ahead)");
        if (form.LeaseEnd is { } end && form.MoveIn is { } start && end < start)
            errors.Add("leaseEnd", "租期截止日期不能早于入住日期", "leaseEnd must not be before moveIn");
        return errors;
    }

    /// <summary>
    /// Records a move-in at one of the landlord's properties. The same person already living there (open tenancy, same ID
    /// number) is merged: their details are refreshed, nothing is duplicated.
    /// </summary>
    public static async Task<Result> ReportMoveInAsync(PopulationDbContext db, PersonalDataProtector protector, long landlordId, MoveInForm form,
        Actor actor, DateTime now, CancellationToken ct)
    {
        var errors = Validate(form, Today(now), out var idNumber, out var phone);
        if (errors.Any) return new Result(null, errors, Outcome.Invalid);
        // Only a verified claim lets a landlord report tenants: a pending claimant learns nothing about the address.
        var property = await Landlords.Landlords.Held(db, landlordId).FirstOrDefaultAsync(p => p.Id == form.PropertyId, ct);
        if (property is null) return new Result(null, errors, Outcome.NotFound);

        var idIndex = protector.BlindIndex("id", idNumber);
        var phoneIndex = phone is null ? null : protector.BlindIndex("phone", phone);
        var existing = await OpenOf(db.Tenancies, property.Id, idIndex).FirstOrDefaultAsync(ct);
        if (existing is not null)
        {
            existing.TenantName = form.Name!.Trim();
            if (phone is not null) (existing.TenantPhone, existing.TenantPhoneIndex, existing.TenantPhoneMasked) = (protector.Encrypt(phone), phoneIndex, Mask.Phone(phone));
            existing.LeaseEnd = form.LeaseEnd ?? existing.LeaseEnd;
            await db.SaveAuditedAsync(actor, now, "population.tenancy.update", $"tenancy:{existing.Id}", null, ct);
            return new Result(existing, errors, Outcome.Merged);
        }

        var person = new PersonRecord(form.Name!.Trim(), protector.Encrypt(idNumber), idIndex, Mask.IdNumber(idNumber),
            phone is null ? null : protector.Encrypt(phone), phoneIndex, phone is null ? null : Mask.Phone(phone));
        try
        {
            Tenancy? tenancy = null;
            await db.SaveAuditedAsync(actor, now, async ct =>
            {
                var (here, closed) = await Residences.MoveInAsync(db, protector, person, property.AddressId, property.RegionPath, form.MoveIn!.Value,
                    ResidenceKind.Floating, ct);
                await db.SaveChangesAsync(ct);
                tenancy = New(property, person, form.MoveIn!.Value, form.LeaseEnd, TenancySource.Landlord, here.Id, now);
                db.Tenancies.Add(tenancy);
                await db.SaveChangesAsync(ct);
                return [new AuditLine("population.tenancy.move_in", $"tenancy:{tenancy.Id}", $"property:{property.Id} resident:{here.Id} closed:{closed}")];
            }, ct);
            return new Result(tenancy, errors, Outcome.Created);
        }
        catch (DbUpdateException)
        {
            // The same move-in posted twice at once: both found no open tenancy above, the other one committed first and this
            // insert hit the open-tenancy index. Nothing of this request stays (the residence change rolls back with it).
            db.ChangeTracker.Clear();
            if (!await OpenOf(db.Tenancies.AsNoTracking(), property.Id, idIndex).AnyAsync(ct)) throw;
            return new Result(null, errors, Outcome.Duplicate);
        }
    }

    /// <summary>The open tenancy of a tenant (by ID blind index) at a rental: at most one (the index UX_tenancies_open_tenant).</summary>
    private static IQueryable<Tenancy> OpenOf(IQueryable<Tenancy> tenancies, long propertyId, string idIndex) =>
        tenancies.Where(t => t.RentalPropertyId == propertyId && t.TenantIdIndex == idIndex && t.MoveOut == null);

    /// <summary>Records the move-out of a tenancy of the landlord's and closes the tenant's residence there.</summary>
    public static async Task<Result> ReportMoveOutAsync(PopulationDbContext db, long landlordId, long tenancyId, MoveOutForm form, Actor actor,
        DateTime now, CancellationToken ct)
    {
        var errors = new FieldErrors();
        var tenancy = await OfLandlord(db, landlordId).FirstOrDefaultAsync(t => t.Id == tenancyId, ct);
        if (tenancy is null) return new Result(null, errors, Outcome.NotFound);
        if (tenancy.MoveOut is not null) return new Result(tenancy, errors, Outcome.AlreadyMovedOut);
        var today = Today(now);
        if (form.MoveOut is not { } day)
            errors.Add("moveOut", "退租日期必填", "moveOut is required");
        else if (day < tenancy.MoveIn)
            errors.Add("moveOut", "退租日期不能早于入住日期", "moveOut must not be before the move-in day");
        else if (day > today)
            errors.Add("moveOut", "退租日期不能晚于今天", "moveOut must not be in the future");
        if (errors.Any) return new Result(null, errors, Outcome.Invalid);
        await MoveOutAsync(db, tenancy, form.MoveOut!.Value, now, ct);
        await db.SaveAuditedAsync(actor, now, "population.tenancy.move_out", $"tenancy:{tenancy.Id}", null, ct);
        return new Result(tenancy, errors, Outcome.Done);
    }

    /// <summary>Sets the move-out and closes the tenant's open residence at the address (the day before, as a move elsewhere does).</summary>
    public static async Task MoveOutAsync(PopulationDbContext db, Tenancy tenancy, DateOnly day, DateTime now, CancellationToken ct)
    {
        tenancy.MoveOut = day;
        tenancy.MoveOutReportedAt = now;
        var residence = await db.Residents.FirstOrDefaultAsync(r => r.IdIndex == tenancy.TenantIdIndex && r.AddressId == tenancy.AddressId && r.Until == null, ct);
        if (residence is not null)
            residence.Until = day.AddDays(-1) < (residence.Since ?? DateOnly.MinValue) ? day : day.AddDays(-1);
    }

    public static Tenancy New(RentalProperty property, PersonRecord person, DateOnly moveIn, DateOnly? leaseEnd, TenancySource source, long? residentId,
        DateTime now) => new()
    {
        RentalPropertyId = property.Id, LandlordId = property.LandlordId, AddressId = property.AddressId, RegionPath = property.RegionPath,
        TenantName = person.Name, TenantIdNumber = person.IdNumber, TenantIdIndex = person.IdIndex, TenantIdMasked = person.IdMasked,
        TenantPhone = person.Phone, TenantPhoneIndex = person.PhoneIndex, TenantPhoneMasked = person.PhoneMasked,
        MoveIn = moveIn, LeaseEnd = leaseEnd, MoveInReportedAt = now, Source = source, ResidentId = residentId,
    };

    /// <summary>
    /// A landlord confirms a declaration made at their rental: the declaration is confirmed as staff would, and the tenancy is
    /// recorded in the same transaction (Source = Declaration) unless that person already has an open tenancy there, so
    /// the landlord never has to report the same tenant again. The owner's own declaration is no tenancy.
    /// </summary>
    public static Task<Declarations.Declarations.DecisionOutcome> ConfirmDeclarationAsync(PopulationDbContext db, PersonalDataProtector protector,
        long landlordId, Declaration d, Actor actor, DateTime now, CancellationToken ct) =>
        Declarations.Declarations.ConfirmAsync(db, protector, d, actor, now, async here =>
        {
            if (d.Relation == Relation.Owner) return;
            var property = await Landlords.Landlords.Held(db, landlordId).FirstOrDefaultAsync(p => p.AddressId == d.AddressId, ct);
            if (property is null) return;
            var open = await OpenOf(db.Tenancies, property.Id, d.IdIndex).AnyAsync(ct);
            if (open) return;
            db.Tenancies.Add(New(property, new PersonRecord(d.Name, d.IdNumber, d.IdIndex, d.IdMasked, d.Phone, d.PhoneIndex, d.PhoneMasked),
                d.MoveInDate, null, TenancySource.Declaration, here.Id, now));
        }, ct);

    public static string SourceTitle(TenancySource s) => s switch
    {
        TenancySource.Landlord => Bilingual.Pick("房东登记", "Reported by landlord"),
        TenancySource.Import => Bilingual.Pick("批量导入", "Imported"),
        _ => Bilingual.Pick("租客申报", "Tenant's declaration"),
    };
}
