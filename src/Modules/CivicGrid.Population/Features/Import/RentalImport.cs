using System.Globalization;
using CivicGrid.Kernel.Audit;
using CivicGrid.Kernel.Files;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Regions;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Residents;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Import;

/// <summary>
/// Imports of the rental service: landlords, rental properties and tenancies, with the residents import's rules: every row
/// is validated first (against the file and the database) and any error imports nothing; then all rows are written in one
/// transaction; re-importing the same file changes nothing. A landlord is found by the blind index of their ID number or by
/// the enterprise's credit code, a tenant by the blind index of theirs, so the same person across files is one person.
/// </summary>
internal static class RentalImport
{
    public sealed record Column(string Zh, string En, bool Required);

    public static readonly Column[] LandlordColumns =
        [new("类型", "kind", true), new("姓名或名称", "name", true), new("证件号码", "idNumber", true), new("手机号", "phone", true)];

    public static readonly Column[] PropertyColumns =
        [new("房东证件号码", "landlordId", true), new("门牌码", "doorplate", false), new("地址编号", "addressId", false), new("出租间数", "rooms", true)];

    public static readonly Column[] TenancyColumns =
    [
        new("房东证件号码", "landlordId", true), new("门牌码", "doorplate", false), new("地址编号", "addressId", false), new("租客姓名", "name", true),
        new("租客身份证号", "idNumber", true), new("租客手机号", "phone", false), new("入住日期", "moveIn", true), new("租期截止", "leaseEnd", false),
        new("退租日期", "moveOut", false),
    ];

    private const string LandlordKeyError = "须为有效的身份证号（个人）或统一社会信用代码（企业） / must be a valid ID number (person) or credit code (enterprise)";
    private const string AddressError = "地址不存在或不在您的辖区内 / unknown address or outside your area";

    /// <summary>A landlord's identity: the ID number's blind index for a person, the credit code for an enterprise.</summary>
    private readonly record struct LandlordKey(LandlordKind Kind, string Value);

    private sealed record ExistingLandlord(long Id, LandlordKind Kind, string? IdIndex, string? CreditCode, string Name, string PhoneIndex);

    private sealed class Sheet(IReadOnlyList<string[]> rows, Column[] columns, List<ImportError> errors)
    {
        private readonly Dictionary<string, int> map = MapHeaders(rows, columns, errors);
        public int Line;
        public bool Ok;

        public bool HeadersOk => errors.Count == 0;

        public string Cell(int row, string zh) => map.TryGetValue(zh, out var c) && c < rows[row].Length ? rows[row][c].Trim() : "";

        public void Fail(string column, string value, string reason)
        {
            errors.Add(new ImportError(Line, column, value, reason));
            Ok = false;
        }

        private static Dictionary<string, int> MapHeaders(IReadOnlyList<string[]> rows, Column[] columns, List<ImportError> errors)
        {
            var map = new Dictionary<string, int>();
            if (rows.Count == 0)
            {
                errors.Add(new ImportError(1, "", "", "文件为空 / the file is empty"));
                return map;
            }
            for (var c = 0; c < rows[0].Length; c++)
            {
                var h = rows[0][c].Trim().TrimStart('\uFEFF');
                var known = columns.FirstOrDefault(x => x.Zh == h || string.Equals(x.En, h, StringComparison.OrdinalIgnoreCase));
                if (known is not null) map.TryAdd(known.Zh, c);
            }
            foreach (var missing in columns.Where(h => h.Required && !map.ContainsKey(h.Zh)))
                errors.Add(new ImportError(1, missing.Zh, "", $"缺少必需的列“{missing.Zh}” / the required column '{missing.En}' is missing"));
            if (errors.Count == 0 && rows.Count == 1) errors.Add(new ImportError(2, "", "", ResidentImport.NoRows));
            return map;
        }
    }

    private static bool TryLandlordKey(string raw, PersonalDataProtector protector, out LandlordKey key, out string shown)
    {
        if (CitizenId.TryNormalize(raw, out var id, out _))
        {
            (key, shown) = (new LandlordKey(LandlordKind.Individual, protector.BlindIndex("id", id)), Mask.IdNumber(id));
            return true;
        }
        if (CreditCode.TryNormalize(raw, out var code, out _))
        {
            // Credit codes are public business data: shown as they are.
            (key, shown) = (new LandlordKey(LandlordKind.Enterprise, code), code);
            return true;
        }
        (key, shown) = (default, Mask.IdNumber(raw));
        return false;
    }

    private static bool TryDate(string text, out DateOnly day) =>
        DateOnly.TryParseExact(text, ["yyyy-MM-dd", "yyyy/M/d", "yyyy-M-d", "yyyyMMdd"], CultureInfo.InvariantCulture, DateTimeStyles.None, out day) && day.Year >= 1900;

    private static async Task<Dictionary<LandlordKey, ExistingLandlord>> LandlordsByKeyAsync(PopulationDbContext db, IEnumerable<LandlordKey> keys, CancellationToken ct)
    {
        var list = keys.Distinct().ToList();
        var indexes = list.Where(k => k.Kind == LandlordKind.Individual).Select(k => k.Value).ToList();
        var codes = list.Where(k => k.Kind == LandlordKind.Enterprise).Select(k => k.Value).ToList();
        var found = await db.Landlords.AsNoTracking()
            .Where(l => (l.IdIndex != null && indexes.Contains(l.IdIndex)) || (l.CreditCode != null && codes.Contains(l.CreditCode)))
            .Select(l => new ExistingLandlord(l.Id, l.Kind, l.IdIndex, l.CreditCode, l.Name, l.PhoneIndex)).ToListAsync(ct);
        var map = new Dictionary<LandlordKey, ExistingLandlord>();
        foreach (var l in found)
        {
            if (l.IdIndex is not null) map.TryAdd(new LandlordKey(LandlordKind.Individual, l.IdIndex), l);
            if (l.CreditCode is not null) map.TryAdd(new LandlordKey(LandlordKind.Enterprise, l.CreditCode), l);
        }
        return map;
    }

    /// <summary>The importer's addresses: by doorplate token and by id. Anything outside the area is unknown.</summary>
    private static async Task<(Dictionary<string, (long Id, string RegionPath)> ByToken, Dictionary<long, string> ById)> AddressesAsync(AddressDirectory directory,
        RegionScope scope, CancellationToken ct)
    {
        var rows = await directory.KeysInScopeAsync(scope, ct);
        return (rows.ToDictionary(a => a.DoorplateToken, a => (a.Id, a.RegionPath)), rows.ToDictionary(a => a.Id, a => a.RegionPath));
    }

    private static (long Id, string RegionPath)? Address(Sheet s, int i, Dictionary<string, (long Id, string RegionPath)> byToken, Dictionary<long, string> byId)
    {
        var token = s.Cell(i, "门牌码");
        var idText = s.Cell(i, "地址编号");
        if (token.Length > 0)
        {
            if (byToken.TryGetValue(token, out var a)) return a;
            s.Fail("门牌码", token, AddressError);
        }
        else if (idText.Length > 0)
        {
            if (long.TryParse(idText, NumberStyles.None, CultureInfo.InvariantCulture, out var id) && byId.TryGetValue(id, out var path)) return (id, path);
            s.Fail("地址编号", idText, AddressError);
        }
        else s.Fail("门牌码", "", "门牌码或地址编号必填其一 / a doorplate token or an address id is required");
        return null;
    }

    private static ImportSummary Rejected(int rows, List<ImportError> errors) => new(rows, 0, 0, 0, errors);

    // ---------------------------------------------------------------------------------------------------------------- landlords

    private sealed record LandlordRow(int Line, LandlordKey Key, string Name, string? IdNumber, string? CreditCode, string Phone, string PhoneIndex);

    public static async Task<ImportSummary> LandlordsAsync(PopulationDbContext db, PersonalDataProtector protector, IReadOnlyList<string[]> sheet,
        Actor actor, DateTime now, IProgress<int>? progress, CancellationToken ct)
    {
        var errors = new List<ImportError>();
        var s = new Sheet(sheet, LandlordColumns, errors);
        if (!s.HeadersOk) return Rejected(Math.Max(0, sheet.Count - 1), errors);
        var rows = new List<LandlordRow>();
        var byKey = new Dictionary<LandlordKey, LandlordRow>();
        var byPhone = new Dictionary<string, LandlordRow>();
        var repeats = 0;
        for (var i = 1; i < sheet.Count && errors.Count < ResidentImport.MaxErrors; i++)
        {
            (s.Line, s.Ok) = (i + 1, true);
            var kindText = s.Cell(i, "类型");
            LandlordKind? kind = kindText switch { "个人" or "individual" => LandlordKind.Individual, "企业" or "enterprise" => LandlordKind.Enterprise, _ => null };
            if (kind is null) s.Fail("类型", kindText, "类型须为“个人”或“企业” / kind must be 个人 or 企业");
            var name = s.Cell(i, "姓名或名称");
            if (name.Length is 0 or > 64) s.Fail("姓名或名称", name, "姓名或名称必填，最多 64 字 / name is required, at most 64 characters");
            var rawKey = s.Cell(i, "证件号码");
            string? id = null, code = null;
            LandlordKey key = default;
            if (kind == LandlordKind.Enterprise)
            {
                if (CreditCode.TryNormalize(rawKey, out var c, out var error)) (code, key) = (c, new LandlordKey(LandlordKind.Enterprise, c));
                else s.Fail("证件号码", rawKey, error!);
            }
            else if (kind == LandlordKind.Individual)
            {
                if (CitizenId.TryNormalize(rawKey, out var n, out var error, Tenancies.Tenancies.Today(now)))
                    (id, key) = (n, new LandlordKey(LandlordKind.Individual, protector.BlindIndex("id", n)));
                else s.Fail("证件号码", Mask.IdNumber(rawKey), error!);
            }
            var rawPhone = s.Cell(i, "手机号");
            string? phone = null;
            if (MobileNumber.TryNormalize(rawPhone, out var p, out var phoneError)) phone = p;
            else s.Fail("手机号", Mask.Phone(rawPhone), phoneError ?? "手机号必填 / phone is required");
            if (!s.Ok) continue;
            var row = new LandlordRow(s.Line, key, name, id, code, phone!, protector.BlindIndex("phone", phone!));
            if (byKey.TryGetValue(key, out var same))
            {
                // The same landlord repeated in the file is one landlord, as long as the rows agree.
                if (same.Name != row.Name || same.PhoneIndex != row.PhoneIndex)
                    s.Fail("证件号码", id is null ? code! : Mask.IdNumber(id), $"与第 {same.Line} 行为同一房东，但姓名或手机号不同 / same landlord as row {same.Line} with another name or phone");
                else repeats++;
                continue;
            }
            if (byPhone.TryGetValue(row.PhoneIndex, out var other))
            {
                s.Fail("手机号", Mask.Phone(phone), $"与第 {other.Line} 行的房东手机号相同 / same phone as the landlord of row {other.Line}");
                continue;
            }
            (byKey[key], byPhone[row.PhoneIndex]) = (row, row);
            rows.Add(row);
            if (i % 10_000 == 0) progress?.Report(i);
        }
        // Against the database (the rows valid so far, so one report lists everything): a phone is one landlord's sign-in,
        // and a registered landlord's phone is theirs to change.
        var existing = await LandlordsByKeyAsync(db, rows.Select(r => r.Key), ct);
        var phoneIndexes = rows.Select(r => r.PhoneIndex).ToList();
        var phoneOwners = await db.Landlords.AsNoTracking().Where(l => phoneIndexes.Contains(l.PhoneIndex)).ToDictionaryAsync(l => l.PhoneIndex, l => l.Id, ct);
        foreach (var row in rows)
        {
            s.Line = row.Line;
            var shown = row.IdNumber is null ? row.CreditCode! : Mask.IdNumber(row.IdNumber);
            var known = existing.GetValueOrDefault(row.Key);
            if (known is not null && known.PhoneIndex != row.PhoneIndex)
                s.Fail("手机号", Mask.Phone(row.Phone), "该房东已登记其他手机号，须由房东本人登录修改 / this landlord is registered with another phone: only they can change it");
            else if (phoneOwners.TryGetValue(row.PhoneIndex, out var owner) && owner != known?.Id)
                s.Fail("手机号", Mask.Phone(row.Phone), $"该手机号已被其他房东使用（证件 {shown}） / the phone belongs to another landlord");
        }
        if (errors.Count > 0) return Rejected(sheet.Count - 1, errors);

        var (inserted, updated, unchanged) = (0, 0, repeats);
        // Every chunk and the audit line commit together, or nothing of the file is written.
        await db.SaveAuditedAsync(actor, now, async ct =>
        {
            foreach (var chunk in rows.Chunk(1000))
            {
                foreach (var row in chunk)
                {
                    var known = existing.GetValueOrDefault(row.Key);
                    if (known is null)
                    {
                        db.Landlords.Add(new Landlord
                        {
                            Kind = row.Key.Kind, Name = row.Name, Phone = protector.Encrypt(row.Phone), PhoneIndex = row.PhoneIndex, PhoneMasked = Mask.Phone(row.Phone),
                            IdNumber = row.IdNumber is null ? null : protector.Encrypt(row.IdNumber), IdIndex = row.IdNumber is null ? null : row.Key.Value,
                            IdMasked = row.IdNumber is null ? null : Mask.IdNumber(row.IdNumber), CreditCode = row.CreditCode, RegisteredAt = now,
                        });
                        inserted++;
                    }
                    else if (known.Name != row.Name)
                    {
                        var tracked = await db.Landlords.FirstAsync(l => l.Id == known.Id, ct);
                        tracked.Name = row.Name;
                        updated++;
                    }
                    else unchanged++;
                }
                await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
                progress?.Report(rows.Count + inserted + updated + unchanged);
            }
            return [new AuditLine("population.import.landlords", "landlords", $"rows={sheet.Count - 1} inserted={inserted} updated={updated} unchanged={unchanged}")];
        }, ct);
        return new ImportSummary(sheet.Count - 1, inserted, updated, unchanged, errors);
    }

    // --------------------------------------------------------------------------------------------------------------- properties

    private sealed record PropertyRow(int Line, long LandlordId, long AddressId, string RegionPath, int Rooms);

    public static async Task<ImportSummary> PropertiesAsync(PopulationDbContext db, AddressDirectory directory, PersonalDataProtector protector,
        IReadOnlyList<string[]> sheet, RegionScope scope, Actor actor, DateTime now, IProgress<int>? progress, CancellationToken ct)
    {
        var errors = new List<ImportError>();
        var s = new Sheet(sheet, PropertyColumns, errors);
        if (!s.HeadersOk) return Rejected(Math.Max(0, sheet.Count - 1), errors);
        var (byToken, byId) = await AddressesAsync(directory, scope, ct);
        var landlords = await LandlordsByKeyAsync(db, Keys(sheet, s, protector), ct);
        var rows = new List<PropertyRow>();
        var seen = new Dictionary<(long, long), int>();
        for (var i = 1; i < sheet.Count && errors.Count < ResidentImport.MaxErrors; i++)
        {
            (s.Line, s.Ok) = (i + 1, true);
            var landlord = Landlord(s, i, protector, landlords);
            var address = Address(s, i, byToken, byId);
            var roomsText = s.Cell(i, "出租间数");
            if (!int.TryParse(roomsText, NumberStyles.None, CultureInfo.InvariantCulture, out var rooms) || rooms is < 1 or > 500)
                s.Fail("出租间数", roomsText, "出租间数须为 1 到 500 的整数 / rooms must be a whole number from 1 to 500");
            if (!s.Ok) continue;
            if (seen.TryGetValue((landlord!.Id, address!.Value.Id), out var first))
            {
                s.Fail("门牌码", s.Cell(i, "门牌码"), $"与第 {first} 行为同一出租房 / repeats the rental of row {first}");
                continue;
            }
            seen[(landlord.Id, address.Value.Id)] = s.Line;
            rows.Add(new PropertyRow(s.Line, landlord.Id, address.Value.Id, address.Value.RegionPath, rooms));
            if (i % 10_000 == 0) progress?.Report(i);
        }
        if (errors.Count > 0) return Rejected(sheet.Count - 1, errors);

        var (inserted, updated, unchanged) = (0, 0, 0);
        // Every chunk and the audit line commit together, or nothing of the file is written.
        await db.SaveAuditedAsync(actor, now, async ct =>
        {
            foreach (var chunk in rows.Chunk(1000))
            {
                var landlordIds = chunk.Select(r => r.LandlordId).Distinct().ToList();
                var existing = (await db.RentalProperties.Where(p => landlordIds.Contains(p.LandlordId)).ToListAsync(ct)).ToDictionary(p => (p.LandlordId, p.AddressId));
                foreach (var row in chunk)
                {
                    if (existing.TryGetValue((row.LandlordId, row.AddressId), out var property))
                    {
                        if (property.Rooms == row.Rooms) { unchanged++; continue; }
                        property.Rooms = row.Rooms;
                        updated++;
                        continue;
                    }
                    db.RentalProperties.Add(new RentalProperty { LandlordId = row.LandlordId, AddressId = row.AddressId, RegionPath = row.RegionPath, Rooms = row.Rooms, RegisteredAt = now });
                    inserted++;
                }
                await db.SaveChangesAsync(ct);
                db.ChangeTracker.Clear();
                progress?.Report(rows.Count + inserted + updated + unchanged);
            }
            return [new AuditLine("population.import.properties", "rental_properties", $"rows={rows.Count} inserted={inserted} updated={updated} unchanged={unchanged}")];
        }, ct);
        return new ImportSummary(rows.Count, inserted, updated, unchanged, errors);
    }

    private static IEnumerable<LandlordKey> Keys(IReadOnlyList<string[]> sheet, Sheet s, PersonalDataProtector protector)
    {
        for (var i = 1; i < sheet.Count; i++)
            if (TryLandlordKey(s.Cell(i, "房东证件号码"), protector, out var key, out _)) yield return key;
    }

    private static ExistingLandlord? Landlord(Sheet s, int i, PersonalDataProtector protector, Dictionary<LandlordKey, ExistingLandlord> landlords)
    {
        var raw = s.Cell(i, "房东证件号码");
        if (!TryLandlordKey(raw, protector, out var key, out var shown))
        {
            s.Fail("房东证件号码", shown, LandlordKeyError);
            return null;
        }
        if (landlords.TryGetValue(key, out var landlord)) return landlord;
        s.Fail("房东证件号码", shown, "房东不存在，请先登记或导入房东 / unknown landlord: register or import the landlord first");
        return null;
    }

    // ---------------------------------------------------------------------------------------------------------------- tenancies

    private sealed record TenancyRow(int Line, RentalProperty Property, string Name, string IdNumber, string IdIndex, string? Phone, DateOnly MoveIn,
        DateOnly? LeaseEnd, DateOnly? MoveOut);

    public static async Task<ImportSummary> TenanciesAsync(PopulationDbContext db, AddressDirectory directory, PersonalDataProtector protector,
        IReadOnlyList<string[]> sheet, RegionScope scope, Actor actor, DateTime now, IProgress<int>? progress, CancellationToken ct)
    {
        var errors = new List<ImportError>();
        var s = new Sheet(sheet, TenancyColumns, errors);
        if (!s.HeadersOk) return Rejected(Math.Max(0, sheet.Count - 1), errors);
        var today = Tenancies.Tenancies.Today(now);
        var (byToken, byId) = await AddressesAsync(directory, scope, ct);
        var landlords = await LandlordsByKeyAsync(db, Keys(sheet, s, protector), ct);
        var landlordIds = landlords.Values.Select(l => l.Id).Distinct().ToList();
        var properties = (await db.RentalProperties.AsNoTracking().Where(p => landlordIds.Contains(p.LandlordId)).ToListAsync(ct))
            .ToDictionary(p => (p.LandlordId, p.AddressId));
        var rows = new List<TenancyRow>();
        var seen = new Dictionary<(long, string, DateOnly), int>();
        var openInFile = new Dictionary<string, int>();
        for (var i = 1; i < sheet.Count && errors.Count < ResidentImport.MaxErrors; i++)
        {
            (s.Line, s.Ok) = (i + 1, true);
            var landlord = Landlord(s, i, protector, landlords);
            var address = Address(s, i, byToken, byId);
            RentalProperty? property = null;
            if (landlord is not null && address is not null && !properties.TryGetValue((landlord.Id, address.Value.Id), out property))
                s.Fail("门牌码", s.Cell(i, "门牌码"), "该房东在此地址没有登记出租房，请先导入出租房 / this landlord has no rental at this address: import the rental first");
            var name = s.Cell(i, "租客姓名");
            if (name.Length is 0 or > 32) s.Fail("租客姓名", name, "租客姓名必填，最多 32 字 / name is required, at most 32 characters");
            var rawId = s.Cell(i, "租客身份证号");
            if (!CitizenId.TryNormalize(rawId, out var id, out var idError, today)) s.Fail("租客身份证号", Mask.IdNumber(rawId), idError!);
            var rawPhone = s.Cell(i, "租客手机号");
            string? phone = null;
            if (rawPhone.Length > 0)
            {
                if (MobileNumber.TryNormalize(rawPhone, out var p, out var phoneError)) phone = p;
                else s.Fail("租客手机号", Mask.Phone(rawPhone), phoneError!);
            }
            DateOnly? Day(string column, bool required)
            {
                var text = s.Cell(i, column);
                if (text.Length == 0)
                {
                    if (required) s.Fail(column, "", $"{column}必填 / {column} is required");
                    return null;
                }
                if (TryDate(text, out var day) && day <= today) return day;
                s.Fail(column, text, "日期须为 yyyy-MM-dd，且不晚于今天 / date must be yyyy-MM-dd and not in the future");
                return null;
            }
            var moveIn = Day("入住日期", true);
            var leaseText = s.Cell(i, "租期截止");
            DateOnly? leaseEnd = null;
            if (leaseText.Length > 0)
            {
                // A lease may end in the future; only the format is checked, and that it ends after the move-in.
                if (TryDate(leaseText, out var end)) leaseEnd = end;
                else s.Fail("租期截止", leaseText, "日期须为 yyyy-MM-dd / date must be yyyy-MM-dd");
            }
            var moveOut = Day("退租日期", false);
            if (moveIn is not null && leaseEnd < moveIn) s.Fail("租期截止", leaseText, "租期截止不能早于入住日期 / the lease cannot end before the move-in");
            if (moveIn is not null && moveOut < moveIn) s.Fail("退租日期", s.Cell(i, "退租日期"), "退租日期不能早于入住日期 / move-out cannot be before the move-in");
            if (!s.Ok) continue;
            var idIndex = protector.BlindIndex("id", id);
            if (seen.TryGetValue((property!.Id, idIndex, moveIn!.Value), out var first))
            {
                s.Fail("租客身份证号", Mask.IdNumber(id), $"与第 {first} 行重复 / repeats row {first}");
                continue;
            }
            if (moveOut is null && openInFile.TryGetValue(idIndex, out var open))
            {
                s.Fail("租客身份证号", Mask.IdNumber(id), $"与第 {open} 行同为未退租，一人只能在一处在租 / also renting at row {open}: one person rents in one place at a time");
                continue;
            }
            seen[(property.Id, idIndex, moveIn.Value)] = s.Line;
            if (moveOut is null) openInFile[idIndex] = s.Line;
            rows.Add(new TenancyRow(s.Line, property, name, id, idIndex, phone, moveIn.Value, leaseEnd, moveOut));
            if (i % 10_000 == 0) progress?.Report(i);
        }
        if (errors.Count > 0) return Rejected(sheet.Count - 1, errors);

        var (inserted, updated, unchanged) = (0, 0, 0);
        // Every chunk and the audit line commit together, or nothing of the file is written.
        await db.SaveAuditedAsync(actor, now, async ct =>
        {
            // Oldest first, so a person's later tenancy moves them on from an earlier one.
            foreach (var row in rows.OrderBy(r => r.MoveIn).ThenBy(r => r.Line))
            {
                var phoneIndex = row.Phone is null ? null : protector.BlindIndex("phone", row.Phone);
                var candidates = await db.Tenancies.Where(t => t.RentalPropertyId == row.Property.Id && t.TenantIdIndex == row.IdIndex).ToListAsync(ct);
                var tenancy = candidates.FirstOrDefault(t => t.MoveIn == row.MoveIn) ?? candidates.FirstOrDefault(t => t.MoveOut == null);
                if (tenancy is not null)
                {
                    if (tenancy.TenantName == row.Name && tenancy.MoveIn == row.MoveIn && tenancy.LeaseEnd == row.LeaseEnd && tenancy.MoveOut == row.MoveOut
                        && (phoneIndex is null || phoneIndex == tenancy.TenantPhoneIndex))
                    {
                        unchanged++;
                        continue;
                    }
                    (tenancy.TenantName, tenancy.MoveIn, tenancy.LeaseEnd) = (row.Name, row.MoveIn, row.LeaseEnd);
                    if (row.Phone is not null) (tenancy.TenantPhone, tenancy.TenantPhoneIndex, tenancy.TenantPhoneMasked) = (protector.Encrypt(row.Phone), phoneIndex, Mask.Phone(row.Phone));
                    if (row.MoveOut is { } day && tenancy.MoveOut is null) await Tenancies.Tenancies.MoveOutAsync(db, tenancy, day, now, ct);
                    else tenancy.MoveOut = row.MoveOut ?? tenancy.MoveOut;
                    updated++;
                }
                else
                {
                    var person = new PersonRecord(row.Name, protector.Encrypt(row.IdNumber), row.IdIndex, Mask.IdNumber(row.IdNumber),
                        row.Phone is null ? null : protector.Encrypt(row.Phone), phoneIndex, row.Phone is null ? null : Mask.Phone(row.Phone));
                    tenancy = Tenancies.Tenancies.New(row.Property, person, row.MoveIn, row.LeaseEnd, TenancySource.Import, null, now);
                    db.Tenancies.Add(tenancy);
                    if (row.MoveOut is { } day) await Tenancies.Tenancies.MoveOutAsync(db, tenancy, day, now, ct);
                    // A current tenancy enters the register, unless the person has since been registered somewhere else: then the
                    // landlord's missing move-out is what the reminders are for, and the newer residence stands.
                    else if (!await db.Residents.AnyAsync(r => r.IdIndex == row.IdIndex && r.Until == null && r.AddressId != row.Property.AddressId && r.Since > row.MoveIn, ct))
                    {
                        var (here, _) = await Residences.MoveInAsync(db, protector, person, row.Property.AddressId, row.Property.RegionPath, row.MoveIn, ResidenceKind.Floating, ct);
                        await db.SaveChangesAsync(ct);
                        tenancy.ResidentId = here.Id;
                    }
                    inserted++;
                }
                await db.SaveChangesAsync(ct);
                if ((inserted + updated + unchanged) % 1000 == 0)
                {
                    db.ChangeTracker.Clear();
                    progress?.Report(rows.Count + inserted + updated + unchanged);
                }
            }
            return [new AuditLine("population.import.tenancies", "tenancies", $"rows={rows.Count} inserted={inserted} updated={updated} unchanged={unchanged}")];
        }, ct);
        return new ImportSummary(rows.Count, inserted, updated, unchanged, errors);
    }

    public static byte[] Template(Column[] columns, string sheetName, IEnumerable<IReadOnlyList<object?>> examples) =>
        TabularFile.WriteXlsx(sheetName, columns.Select(c => c.Zh).ToList(), examples);
}
