using CivicGrid.Kernel.Context;
using CivicGrid.Kernel.PersonalData;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Import;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Contracts;

/// <summary>How an import ended: counts, and the error report (an Excel workbook, row by row) when nothing was imported.</summary>
/// <param name="Rows">Data rows in the file.</param>
/// <param name="Inserted">Rows written as new records.</param>
/// <param name="Updated">Rows that changed an existing record.</param>
/// <param name="Unchanged">Rows equal to what the register held.</param>
/// <param name="Errors">Rows or cells refused; when above zero nothing was written.</param>
/// <param name="ErrorReport">The errors as a workbook (row, column, value, reason), or null when there were none.</param>
public sealed record ImportOutcome(int Rows, int Inserted, int Updated, int Unchanged, int Errors, byte[]? ErrorReport)
{
    public bool Succeeded => Errors == 0;
}

/// <summary>
/// The register's bulk import for the host's <c>import</c> command-line verb (the page and API queue jobs instead): one
/// sheet of residents, landlords, rental properties or tenancies, checked whole, written in one transaction or not at all.
/// </summary>
public sealed class RegisterImports(IDbContextFactory<PopulationDbContext> factory, AddressDirectory addresses, PersonalDataProtector protector)
{
    /// <summary>The kinds a sheet can hold: residents, landlords, properties, tenancies.</summary>
    public static IReadOnlyList<string> Kinds => ImportKinds.All;

    public async Task<ImportOutcome> RunAsync(string kind, IReadOnlyList<string[]> sheet, Acting acting, DateTime now, IProgress<int>? progress,
        CancellationToken ct)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var summary = await ImportKinds.RunAsync(kind, db, addresses, protector, sheet, acting.RequiredScope, acting.Actor, now, progress, ct);
        return new ImportOutcome(summary.Rows, summary.Inserted, summary.Updated, summary.Unchanged, summary.Errors.Count,
            summary.Succeeded ? null : ResidentImport.ErrorReport(summary.Errors));
    }
}
