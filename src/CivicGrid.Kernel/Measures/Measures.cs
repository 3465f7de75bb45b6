using CivicGrid.Kernel.Regions;

namespace CivicGrid.Kernel.Measures;

/// <summary>
/// Whether a measure is a count of what exists at a moment (addresses, residents) or of what happened in a period
/// (declarations submitted, visits made).
/// </summary>
public enum MeasureKind
{
    /// <summary>A stock, read as of the end of the period (today when the period ends today).</summary>
    Stock,

    /// <summary>A flow: what happened from the period's first day to its last, both included (China dates).</summary>
    Flow,
}

/// <summary>
/// One figure a module publishes for scoring and the cockpit: a code that never changes ("population.residents"), its Chinese
/// (and English) name, its unit, whether it is a stock or a flow, and the page that lists what it counts.
/// </summary>
/// <param name="Code">Stable key, "module.name".</param>
/// <param name="Name">Chinese name shown on screens.</param>
/// <param name="NameEn">English name for the API and the English screens.</param>
/// <param name="Unit">Chinese unit: 个, 人, 户, 件, 次.</param>
/// <param name="Kind">Stock or flow.</param>
/// <param name="ListPath">The page listing what it counts, with <c>{region}</c> for the region id; null when there is none.</param>
public sealed record MeasureDefinition(string Code, string Name, string NameEn, string Unit, MeasureKind Kind, string? ListPath)
{
    public string? ListLink(int regionId) => ListPath?.Replace("{region}", regionId.ToString(System.Globalization.CultureInfo.InvariantCulture),
        StringComparison.Ordinal);
}

/// <summary>A period of China calendar days, both ends included.</summary>
public sealed record MeasurePeriod(DateOnly From, DateOnly To)
{
    public static MeasurePeriod Day(DateOnly day) => new(day, day);

    public bool IsValid => From <= To;
}

/// <summary>The value of one measure for one region (its whole subtree) and period, with the link to the list behind it.</summary>
public sealed record MeasureValue(string Code, int RegionId, MeasurePeriod Period, decimal Value, string? ListLink);

/// <summary>
/// A module's measures. Each module implements it once in its <c>Contracts/</c> and registers it with
/// <see cref="MeasureRegistration.AddMeasureSource{T}"/>; scoring and the cockpit read all of them through <see cref="MeasureCatalog"/>.
/// </summary>
public interface IMeasureSource
{
    IReadOnlyList<MeasureDefinition> Definitions { get; }

    /// <summary>The values of <paramref name="codes"/> (all of this source's when null) for the region's subtree and the period.</summary>
    Task<IReadOnlyList<MeasureValue>> ReadAsync(RegionScope region, MeasurePeriod period, IReadOnlySet<string>? codes, CancellationToken ct);
}

/// <summary>Every module's measures in one place.</summary>
public sealed class MeasureCatalog(IEnumerable<IMeasureSource> sources)
{
    private readonly IReadOnlyList<IMeasureSource> all = sources.ToList();

    public IReadOnlyList<MeasureDefinition> Definitions => all.SelectMany(s => s.Definitions).OrderBy(d => d.Code, StringComparer.Ordinal).ToList();

    public MeasureDefinition? Find(string code) => all.SelectMany(s => s.Definitions).FirstOrDefault(d => d.Code == code);

    /// <summary>The values for a region and period, in code order; only the sources that publish one of <paramref name="codes"/> are asked.</summary>
    public async Task<IReadOnlyList<MeasureValue>> ReadAsync(RegionScope region, MeasurePeriod period, IReadOnlyCollection<string>? codes, CancellationToken ct)
    {
        if (!period.IsValid) throw new ArgumentException("The period ends before it starts.", nameof(period));
        var wanted = codes?.ToHashSet(StringComparer.Ordinal);
        var values = new List<MeasureValue>();
        foreach (var source in all)
        {
            if (wanted is not null && !source.Definitions.Any(d => wanted.Contains(d.Code))) continue;
            values.AddRange(await source.ReadAsync(region, period, wanted, ct));
        }
        return values.OrderBy(v => v.Code, StringComparer.Ordinal).ToList();
    }
}

public static class MeasureRegistration
{
    public static Microsoft.Extensions.DependencyInjection.IServiceCollection AddMeasureSource<T>(this Microsoft.Extensions.DependencyInjection.IServiceCollection services)
        where T : class, IMeasureSource
    {
        Microsoft.Extensions.DependencyInjection.Extensions.ServiceCollectionDescriptorExtensions.TryAddSingleton<MeasureCatalog>(services);
        return Microsoft.Extensions.DependencyInjection.ServiceCollectionServiceExtensions.AddSingleton<IMeasureSource, T>(services);
    }
}
