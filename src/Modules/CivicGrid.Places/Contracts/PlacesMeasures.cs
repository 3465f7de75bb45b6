using CivicGrid.Kernel.Measures;
using CivicGrid.Kernel.Regions;

namespace CivicGrid.Places.Contracts;

/// <summary>The measures of Places: villages, grids and addresses (smart doorplates) below a region. All are stocks.</summary>
public sealed class PlacesMeasures(RegionDirectory regions, AddressDirectory addresses) : IMeasureSource
{
    public const string Villages = "places.villages", Grids = "places.grids", Addresses = "places.addresses";

    public IReadOnlyList<MeasureDefinition> Definitions { get; } =
    [
        new(Villages, "村社", "Villages and communities", "个", MeasureKind.Stock, "/regions/{region}"),
        new(Grids, "网格", "Grids", "个", MeasureKind.Stock, "/regions/{region}"),
        new(Addresses, "地址（智慧门牌）", "Addresses (doorplates)", "个", MeasureKind.Stock, "/regions/{region}"),
    ];

    public async Task<IReadOnlyList<MeasureValue>> ReadAsync(RegionScope region, MeasurePeriod period, IReadOnlySet<string>? codes, CancellationToken ct)
    {
        bool Wants(string code) => codes is null || codes.Contains(code);
        var values = new List<MeasureValue>();
        MeasureValue Value(string code, decimal value) =>
            new(code, region.RegionId, period, value, Definitions.First(d => d.Code == code).ListLink(region.RegionId));
        if (Wants(Villages) || Wants(Grids))
        {
            // The region itself is not below itself: a village's own count of villages is 0, its grids are counted.
            var counts = await regions.CountBelowAsync(region, ct);
            if (Wants(Villages)) values.Add(Value(Villages, counts.Villages));
            if (Wants(Grids)) values.Add(Value(Grids, counts.Grids));
        }
        if (Wants(Addresses)) values.Add(Value(Addresses, await addresses.CountInScopeAsync(region, ct)));
        return values;
    }
}
