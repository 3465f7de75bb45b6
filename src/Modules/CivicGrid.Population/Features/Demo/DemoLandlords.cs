using CivicGrid.Kernel.Data;
using CivicGrid.Kernel.Demo;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Demo;

/// <summary>
/// Synthetic landlords for the demo district, in the seed's proportions (about 206,000 individual and 4,600 enterprise
/// landlords at district scale): every inhabited address is let by someone — a person for houses, rentals, shops and
/// offices, a company for three factories in four — with one rental property each. Phone numbers are unique (they are the
/// landlords' sign-in) and drawn from 1990xxxxxxx, a range nobody else in the demo uses.
/// </summary>
internal static class DemoLandlords
{
    public sealed record Rental(long PropertyId, long LandlordId);

    public sealed record Result(int Individuals, int Enterprises, IReadOnlyDictionary<long, Rental> ByAddress);

    public static async Task<Result> SeedAsync(PopulationDbContext db, PersonalDataProtector protector, IReadOnlyList<SeededAddress> addresses,
        int seed, DateTime now, CancellationToken ct)
    {
        var random = new Random(seed + 7);
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            var deferred = BulkInsert.DeferIndexes(connection, tx, "landlords").Concat(BulkInsert.DeferIndexes(connection, tx, "rental_properties")).ToList();
            var byAddress = new Dictionary<long, Rental>();
            var (individuals, enterprises) = (0, 0);
            using (var landlords = new BulkInsert(connection, tx, "landlords", "Id", "Kind", "Name", "IdNumber", "IdIndex", "IdMasked", "CreditCode",
                       "Phone", "PhoneIndex", "PhoneMasked", "RegisteredAt"))
            using (var properties = new BulkInsert(connection, tx, "rental_properties", "Id", "LandlordId", "AddressId", "RegionPath", "Rooms", "RegisteredAt"))
            {
                long id = 0;
                foreach (var address in addresses)
                {
                    if (address.Kind == AddressKind.Other) continue;
                    var enterprise = address.Kind == AddressKind.Factory && random.Next(4) > 0;
                    id++;
                    var phone = FormattableString.Invariant($"1990{id:D7}");
                    var registered = now.AddDays(-random.Next(30, 1500));
                    if (enterprise)
                    {
                        var code = CreditCode.Create("330109", (int)id);
                        landlords.Add(id, (int)LandlordKind.Enterprise, $"杭州萧山{DemoNames.Person(random)[..1]}氏{Trades[random.Next(Trades.Length)]}有限公司",
                            null, null, null, code, protector.Encrypt(phone), protector.BlindIndex("phone", phone), Mask.Phone(phone), registered);
                        enterprises++;
                    }
                    else
                    {
                        // Landlords are local: born in Xiaoshan (330109), 1945–1990; birth day and sequence from the running number.
                        var idNumber = CitizenId.Create("330109", new DateOnly(1945, 1, 1).AddDays((int)(id % 16000)), (int)(id / 16000 % 499) * 2 + 1);
                        landlords.Add(id, (int)LandlordKind.Individual, DemoNames.Person(random), protector.Encrypt(idNumber), protector.BlindIndex("id", idNumber),
                            Mask.IdNumber(idNumber), null, protector.Encrypt(phone), protector.BlindIndex("phone", phone), Mask.Phone(phone), registered);
                        individuals++;
                    }
                    var rooms = address.Kind switch { AddressKind.Rental => random.Next(4, 16), AddressKind.Factory => random.Next(10, 60), _ => random.Next(1, 4) };
                    properties.Add(id, id, address.AddressId, address.RegionPath, rooms, registered);
                    byAddress[address.AddressId] = new Rental(id, id);
                }
                BulkInsert.RestoreIndexes(connection, tx, deferred);
                await tx.CommitAsync(ct);
            }
            await BulkInsert.AdvanceIdentityAsync(connection, "landlords", ct);
            await BulkInsert.AdvanceIdentityAsync(connection, "rental_properties", ct);
            return new Result(individuals, enterprises, byAddress);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private static readonly string[] Trades = ["纺织", "机械", "汽配", "建材", "服装", "电子", "化纤", "五金"];
}
