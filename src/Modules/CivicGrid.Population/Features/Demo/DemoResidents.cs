using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Demo;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Kernel.Time;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Demo;

/// <summary>
/// Synthetic residents for the demo district: about six per address (1.2M at district scale), with plausible names
/// and ID numbers that pass the GB 11643 checksum, encrypted before they reach the database. About 37% declared themselves
/// (the seed: 437,000 of 1,178,000); floating residents at a let address are that landlord's tenants (a tenancy each,
/// one in ten not yet checked by the grid worker).
/// </summary>
internal static class DemoResidents
{
    private static readonly string[] BirthAreas = ["330109", "330106", "330102", "341222", "411521", "510722", "522125", "433127", "362421"];

    public static async Task<int> SeedAsync(PopulationDbContext db, PersonalDataProtector protector, IReadOnlyList<SeededAddress> addresses,
        int seed, CancellationToken ct, IProgress<int>? progress = null, IReadOnlyDictionary<long, DemoLandlords.Rental>? rentals = null,
        DateTime? now = null)
    {
        var clock = now ?? DateTime.UtcNow;
        var today = ChinaTime.DateOf(clock);
        var random = new Random(seed);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        await using var tx = await connection.BeginTransactionAsync(ct);
        // The table is empty (ids start at 1): build its indexes once at the end instead of row by row.
        var deferred = BulkInsert.DeferIndexes(connection, tx, "residents").Concat(BulkInsert.DeferIndexes(connection, tx, "tenancies")).ToList();
        using var insert = new BulkInsert(connection, tx, "residents", "Id", "Name", "IdNumber", "IdIndex", "IdMasked", "Phone", "PhoneIndex",
            "PhoneMasked", "Male", "BirthDate", "AddressId", "RegionPath", "Kind", "Synthetic", "Declared", "Verified", "Since");
        using var tenancies = new BulkInsert(connection, tx, "tenancies", "Id", "RentalPropertyId", "LandlordId", "AddressId", "RegionPath",
            "TenantName", "TenantIdNumber", "TenantIdIndex", "TenantIdMasked", "TenantPhone", "TenantPhoneIndex", "TenantPhoneMasked", "MoveIn",
            "LeaseEnd", "MoveInReportedAt", "Source", "ResidentId", "CheckedAt");
        long tenancyId = 0;
        long id = 0;
        foreach (var address in addresses)
        {
            var people = address.Kind switch
            {
                AddressKind.Residence => random.Next(4, 10),
                AddressKind.Rental => random.Next(4, 12),
                AddressKind.Factory => random.Next(2, 6),
                _ => random.Next(0, 3),
            };
            for (var p = 0; p < people; p++)
            {
                id++;
                var floating = address.Kind == AddressKind.Rental ? random.Next(10) < 8 : random.Next(10) < 2;
                var area = floating ? BirthAreas[1 + random.Next(BirthAreas.Length - 1)] : BirthAreas[0];
                // Birth day and sequence are both taken from the running number, so no two synthetic people share
                // an ID number (30,000 days × 499 sequences covers 15M people); odd sequence means male.
                var birth = new DateOnly(1940, 1, 1).AddDays((int)(id % 30000));
                var male = random.Next(2) == 0;
                var idNumber = CitizenId.Create(area, birth, (int)(id / 30000 % 499) * 2 + (male ? 1 : 0));
                string? phone = random.Next(10) < 9 ? "1" + "3578"[random.Next(4)] + random.Next(100000000, 999999999) : null;
                var name = DemoNames.Person(random);
                var (idBlob, idIndex, idMasked) = (protector.Encrypt(idNumber), protector.BlindIndex("id", idNumber), Mask.IdNumber(idNumber));
                var (phoneBlob, phoneIndex, phoneMasked) = phone is null ? (null, null, null)
                    : (protector.Encrypt(phone), protector.BlindIndex("phone", phone), Mask.Phone(phone));
                var declared = random.Next(1000) < 371;
                var tenant = floating && rentals is not null && rentals.TryGetValue(address.AddressId, out var rental) ? rental : null;
                DateOnly? since = tenant is null ? null : today.AddDays(-random.Next(10, 1100));
                insert.Add(id, name, idBlob, idIndex, idMasked, phoneBlob, phoneIndex, phoneMasked, male, birth, address.AddressId, address.RegionPath,
                    floating ? 1 : 0, true, declared, declared ? random.Next(10) < 9 : true, since);
                if (tenant is not null)
                {
                    var moveIn = since!.Value;
                    var reported = moveIn.ToDateTime(new TimeOnly(10, 0)).AddHours(-8).AddDays(random.Next(0, 2));
                    tenancies.Add(++tenancyId, tenant.PropertyId, tenant.LandlordId, address.AddressId, address.RegionPath, name, idBlob, idIndex, idMasked,
                        phoneBlob, phoneIndex, phoneMasked, moveIn, today.AddDays(random.Next(30, 400)), reported, (int)TenancySource.Import, id,
                        random.Next(10) == 0 ? null : reported.AddDays(random.Next(1, 20)));
                }
                if (id % 100_000 == 0) progress?.Report((int)id);
            }
        }
        BulkInsert.RestoreIndexes(connection, tx, deferred);
        await tx.CommitAsync(ct);
        insert.Dispose();
        tenancies.Dispose();
        await BulkInsert.AdvanceIdentityAsync(connection, "residents", ct);
        await BulkInsert.AdvanceIdentityAsync(connection, "tenancies", ct);
        await db.Database.CloseConnectionAsync();
        return (int)id;
    }
}
