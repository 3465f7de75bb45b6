using CivicGrid.Kernel.Measures;
using CivicGrid.Kernel.Regions;
using CivicGrid.Kernel.Time;
using CivicGrid.Places.Contracts;
using CivicGrid.Population.Data;
using CivicGrid.Population.Features.Figures;
using Microsoft.EntityFrameworkCore;

namespace CivicGrid.Population.Contracts;

/// <summary>
/// The measures of Population: the seed's four numbers (individual and enterprise landlords, resident records,
/// self-declared residents) and the register's other counts as stocks; declarations submitted and visits made as flows.
/// </summary>
public sealed class PopulationMeasures(IDbContextFactory<PopulationDbContext> factory, RegionDirectory regions) : IMeasureSource
{
    public const string Residents = "population.residents", Declared = "population.declared", Floating = "population.floating",
        Household = "population.household", Verified = "population.verified", IndividualLandlords = "population.landlords_individual",
        EnterpriseLandlords = "population.landlords_enterprise", Rentals = "population.rentals", PendingDeclarations = "population.declarations_pending",
        DeclarationsSubmitted = "population.declarations_submitted", Visits = "population.visits";

    private static readonly string[] Stocks = [Residents, Declared, Floating, Household, Verified, IndividualLandlords, EnterpriseLandlords, Rentals,
        PendingDeclarations];

    public IReadOnlyList<MeasureDefinition> Definitions { get; } =
    [
        new(Residents, "居住人员", "Resident records", "人", MeasureKind.Stock, "/population/figures?region={region}"),
        new(Declared, "自主申报人员", "Self-declared residents", "人", MeasureKind.Stock, "/population/figures?region={region}"),
        new(Floating, "流动人口", "Floating residents", "人", MeasureKind.Stock, "/population/figures?region={region}"),
        new(Household, "户籍人口", "Household-registered residents", "人", MeasureKind.Stock, "/population/figures?region={region}"),
        new(Verified, "已核实人员", "Verified residents", "人", MeasureKind.Stock, "/population/figures?region={region}"),
        new(IndividualLandlords, "个人房东", "Individual landlords", "人", MeasureKind.Stock, "/rentals"),
        new(EnterpriseLandlords, "企业房东", "Enterprise landlords", "家", MeasureKind.Stock, "/rentals"),
        new(Rentals, "出租房", "Rental properties", "处", MeasureKind.Stock, "/rentals"),
        new(PendingDeclarations, "待核实居住申报", "Declarations waiting for confirmation", "件", MeasureKind.Stock, "/declarations"),
        new(DeclarationsSubmitted, "居住申报", "Declarations submitted", "件", MeasureKind.Flow, "/declarations"),
        new(Visits, "走访", "Visits made", "次", MeasureKind.Flow, "/visits"),
    ];

    public async Task<IReadOnlyList<MeasureValue>> ReadAsync(RegionScope region, MeasurePeriod period, IReadOnlySet<string>? codes, CancellationToken ct)
    {
        bool Wants(string code) => codes is null || codes.Contains(code);
        var values = new List<MeasureValue>();
        void Add(string code, decimal value) =>
            values.Add(new MeasureValue(code, region.RegionId, period, value, Definitions.First(d => d.Code == code).ListLink(region.RegionId)));
        await using var db = await factory.CreateDbContextAsync(ct);
        if (codes is not null && codes.Intersect(Stocks).SequenceEqual([Residents]))
        {
            // The home page asks for residents alone: one count on the covering index, not every figure.
            Add(Residents, await db.Residents.AsNoTracking().InScope(region).CountAsync(r => r.Until == null, ct));
        }
        else if (Stocks.Any(Wants) && await regions.FindAsync(region.RegionId, ct) is { } info)
        {
            // Stocks are the register as it is now: the same figures as the figures page (one grouped query per kind).
            var f = (await RegisterFigures.ComputeAsync(db, regions, info, ct)).Totals;
            if (Wants(Residents)) Add(Residents, f.Residents);
            if (Wants(Declared)) Add(Declared, f.Declared);
            if (Wants(Floating)) Add(Floating, f.Floating);
            if (Wants(Household)) Add(Household, f.Household);
            if (Wants(Verified)) Add(Verified, f.Verified);
            if (Wants(IndividualLandlords)) Add(IndividualLandlords, f.IndividualLandlords);
            if (Wants(EnterpriseLandlords)) Add(EnterpriseLandlords, f.EnterpriseLandlords);
            if (Wants(Rentals)) Add(Rentals, f.RentalProperties);
            if (Wants(PendingDeclarations)) Add(PendingDeclarations, f.PendingDeclarations);
        }
        // Flows count China days: from the first day's midnight in Beijing to the midnight after the last.
        var (from, until) = (ChinaTime.StartOfDayUtc(period.From), ChinaTime.StartOfDayUtc(period.To.AddDays(1)));
        if (Wants(DeclarationsSubmitted))
            Add(DeclarationsSubmitted, await db.Declarations.AsNoTracking().InScope(region).CountAsync(d => d.SubmittedAt >= from && d.SubmittedAt < until, ct));
        if (Wants(Visits))
            Add(Visits, await db.Visits.AsNoTracking().InScope(region).CountAsync(v => v.VisitedAt >= from && v.VisitedAt < until, ct));
        return values;
    }
}
