using CivicGrid.Kernel.PersonalData;
using CivicGrid.Population.Data;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Features.Residents;

/// <summary>A person as the register stores them: ID number and phone already encrypted, with blind indexes and masked copies.</summary>
internal sealed record PersonRecord(string Name, byte[] IdNumber, string IdIndex, string IdMasked, byte[]? Phone, string? PhoneIndex, string? PhoneMasked);

/// <summary>Moves in the register, shared by confirmed declarations and tenancies reported by landlords.</summary>
internal static class Residences
{
    /// <summary>
    /// The person moves in at the address on <paramref name="since"/>: their open residence elsewhere is closed the day before
    /// (or on the day, when it started that day), and the residence here is created, or refreshed when they already live
    /// here. Verified. Changes are added to the context; the caller saves them in its transaction.
    /// </summary>
    public static async Task<(Resident Here, int Closed)> MoveInAsync(PopulationDbContext db, PersonalDataProtector protector, PersonRecord person,
        long addressId, string regionPath, DateOnly since, ResidenceKind kind, CancellationToken ct)
    {
        var open = await db.Residents.Where(r => r.IdIndex == person.IdIndex && r.Until == null).ToListAsync(ct);
        var here = open.FirstOrDefault(r => r.AddressId == addressId);
        foreach (var elsewhere in open.Where(r => r.AddressId != addressId))
        {
            elsewhere.Until = since.AddDays(-1) < (elsewhere.Since ?? DateOnly.MinValue) ? since : since.AddDays(-1);
        }
        if (here is null)
        {
            // Birth date and sex come from the ID number, decrypted here only to derive them; it is never shown or kept in clear.
            var idNumber = protector.Decrypt(person.IdNumber);
            here = new Resident
            {
                Name = person.Name, IdNumber = person.IdNumber, IdIndex = person.IdIndex, IdMasked = person.IdMasked, AddressId = addressId,
                RegionPath = regionPath, Since = since, BirthDate = CitizenId.BirthDate(idNumber), Male = (idNumber[16] - '0') % 2 == 1, Kind = kind,
            };
            db.Residents.Add(here);
        }
        here.Name = person.Name;
        here.Phone = person.Phone ?? here.Phone;
        here.PhoneIndex = person.PhoneIndex ?? here.PhoneIndex;
        here.PhoneMasked = person.PhoneMasked ?? here.PhoneMasked;
        here.Verified = true;
        return (here, open.Count(r => r.AddressId != addressId));
    }
}
