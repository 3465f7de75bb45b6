using CivicGrid.Streams;

namespace CivicGrid.AntiFraud;

/// <summary>The shipped rule pack and watchlists (Rules/*.yaml, Watchlists/*.csv, copied next to the binaries).</summary>
internal static class AntiFraudPack
{
    public static string RulesDirectory(string? baseDirectory = null) => Path.Combine(baseDirectory ?? AppContext.BaseDirectory, "Rules");

    public static string WatchlistsDirectory(string? baseDirectory = null) => Path.Combine(baseDirectory ?? AppContext.BaseDirectory, "Watchlists");

    /// <summary>Loads the watchlists, then the rules that refer to them. Throws <see cref="RuleLoadException"/> on a bad rule file.</summary>
    public static (RulePack Rules, Watchlists Watchlists) Load(TimeProvider? time = null, string? baseDirectory = null) =>
        LoadFrom(RulesDirectory(baseDirectory), WatchlistsDirectory(baseDirectory), time);

    /// <summary>Loads the watchlists of one folder, then the rules of another (a district's own copies of the pack).</summary>
    public static (RulePack Rules, Watchlists Watchlists) LoadFrom(string rulesDirectory, string watchlistsDirectory, TimeProvider? time = null)
    {
        var lists = new Watchlists(time);
        if (Directory.Exists(watchlistsDirectory))
        {
            lists.LoadDirectory(watchlistsDirectory);
        }
        return (RulePack.LoadDirectory(rulesDirectory, lists), lists);
    }
}

/// <summary>The fraud types of the Ministry of Public Security's reports that the rule pack covers (rule categories).</summary>
internal static class FraudTypes
{
    public const string Brushing = "刷单返利";
    public const string Investment = "虚假投资理财";
    public const string Loan = "虚假网络贷款/征信";
    public const string CustomerService = "冒充电商物流客服";
    public const string Police = "冒充公检法";
    public const string Acquaintance = "冒充领导熟人";
    public const string Shopping = "虚假购物服务";

    public static IReadOnlyList<string> All { get; } = [Brushing, Investment, Loan, CustomerService, Police, Acquaintance, Shopping];
}
