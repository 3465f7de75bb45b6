using System.Globalization;
using CivicGrid.Streams;

namespace CivicGrid.AntiFraud.Simulation;

internal sealed record SimulationOptions
{
    public int People { get; init; } = 5_000;
    public double Hours { get; init; } = 24;
    /// <summary>Everyday events per person per hour.</summary>
    public double EventsPerPersonPerHour { get; init; } = 1.5;
    /// <summary>Fraud scenarios injected per fraud type.</summary>
    public int ScenariosPerType { get; init; } = 20;
    public int Seed { get; init; } = 42;
    public DateTimeOffset Start { get; init; } = new(2025, 3, 3, 0, 0, 0, TimeSpan.FromHours(8));
}

/// <summary>One injected fraud, the ground truth the rule pack is measured against.</summary>
internal sealed record FraudScenario(string Type, string Subject, DateTimeOffset Start, DateTimeOffset End, string DecisiveEventId, DateTimeOffset DecisiveTime);

internal sealed record SimulationRun(IReadOnlyList<StreamEvent> Events, IReadOnlyList<FraudScenario> Scenarios, SimulationOptions Options);

/// <summary>
/// A deterministic (seeded) stream of everyday events for N residents, with fraud scenarios of each
/// type injected and labelled. Everyday life includes the look-alikes that make fraud hard to tell
/// apart: red envelopes, long calls, meeting apps installed for work, overseas relatives, big rent payments.
/// Fraudsters use entities the police already flagged (watchlists) only part of the time.
/// </summary>
internal static class Simulator
{
    private static readonly string[] TrustedDomains = ["taobao.com", "jd.com", "pinduoduo.com", "cainiao.com", "alipay.com", "95588.com", "zjzwfw.gov.cn", "meituan.com", "douyin.com", "baidu.com"];
    private static readonly string[] EverydayDomains = [.. TrustedDomains, "zhihu.com", "bilibili.com", "hangzhou.gov.cn", "xiaohongshu.com", "163.com", "qq.com"];
    private static readonly string[] CommonApps = ["com.tencent.mm", "com.taobao.taobao", "com.jingdong.app.mall", "com.xunmeng.pinduoduo", "com.ss.android.ugc.aweme", "com.sankuai.meituan", "com.autonavi.minimap", "gov.zj.zlb"];
    private static readonly string[] OtherApps = ["com.kugou.android", "com.youku.phone", "com.ctrip.android", "com.dianping.v1", "com.keep.fitness", "com.baidu.netdisk"];
    private static readonly string[] ScreenShareApps = ["com.tencent.wemeet", "us.zoom.videomeetings", "com.oray.sunlogin"];
    private static readonly string[] TrustedNumbers = ["95588", "95533", "10086", "95338", "9510211", "950618"];
    private static readonly string[] KnownInvestmentApps = ["com.goldwin.invest", "com.hjlicai.pro", "com.bitmax.trade", "com.caifu.vip"];
    private static readonly string[] KnownLoanApps = ["com.suda.loan", "com.kuaijie.daikuan", "com.xinyong.repair", "com.jisu.jiekuan"];
    private static readonly string[] KnownFraudDomains = ["tb-refund.top", "cheap-iphone.shop", "game-coin.xyz", "dianzan-task.top", "goldwin-invest.vip", "suda-loan.xyz"];

    public static SimulationRun Generate(SimulationOptions options)
    {
        var rng = new Random(options.Seed);
        var payees = new Random(unchecked(options.Seed * 31 + 7)); // who is paid in everyday life (see Everyday)
        var people = Enumerable.Range(0, options.People).Select(i => new Person(i, options.Seed, rng, payees)).ToArray();
        var events = new List<(long Ticks, StreamEvent Event)>();
        var nextId = 0;
        var span = TimeSpan.FromHours(options.Hours);

        StreamEvent Make(Person p, string kind, DateTimeOffset time, params (string, object)[] attributes)
        {
            var e = StreamEvent.Create($"sim-{options.Seed}-{nextId++}", p.Subject, kind, time, attributes);
            events.Add((time.UtcTicks, e));
            return e;
        }

        foreach (var p in people)
        {
            var count = Poisson(rng, options.EventsPerPersonPerHour * options.Hours);
            for (var i = 0; i < count; i++)
            {
                Everyday(rng, payees, p, options.Start + span * rng.NextDouble(), Make);
            }
        }

        var scenarios = new List<FraudScenario>();
        var victims = people.OrderBy(_ => rng.Next()).ToArray();
        var v = 0;
        var scenarioSpan = TimeSpan.FromHours(Math.Max(1, options.Hours - 10));
        foreach (var type in FraudTypes.All)
        {
            for (var i = 0; i < options.ScenariosPerType && v < victims.Length; i++)
            {
                var victim = victims[v++];
                var start = options.Start + scenarioSpan * rng.NextDouble();
                var fraud = new List<StreamEvent>();
                StreamEvent F(TimeSpan at, string kind, params (string, object)[] attributes)
                {
                    var e = Make(victim, kind, start + at, attributes);
                    fraud.Add(e);
                    return e;
                }
                var decisive = Inject(type, rng, victim, F);
                scenarios.Add(new FraudScenario(type, victim.Subject, start, fraud.Max(e => e.Time), decisive.Id, decisive.Time));
            }
        }

        events.Sort((a, b) => a.Ticks.CompareTo(b.Ticks));
        return new SimulationRun(events.Select(e => e.Event).ToArray(), scenarios, options);
    }

    private delegate StreamEvent Emit(Person p, string kind, DateTimeOffset time, params (string, object)[] attributes);

    private static void Everyday(Random rng, Random payees, Person p, DateTimeOffset t, Emit make)
    {
        var roll = rng.NextDouble();
        if (roll < 0.35)
        {
            var incoming = rng.NextDouble() < 0.5;
            var who = rng.NextDouble();
            var number = who < 0.7 ? Pick(rng, p.Contacts)
                : who < 0.85 ? RandomMobile(rng)
                : who < 0.97 ? Pick(rng, TrustedNumbers)
                : who < 0.99 ? "+852" + rng.Next(20000000, 99999999).ToString(CultureInfo.InvariantCulture) // relatives abroad
                : "170" + rng.Next(10000000, 99999999).ToString(CultureInfo.InvariantCulture);
            var duration = incoming && rng.NextDouble() < 0.08 ? 0 : (int)Math.Min(7200, -Math.Log(1 - rng.NextDouble()) * 150);
            make(p, "call", t, ("number", number), ("direction", incoming ? "in" : "out"), ("duration", duration));
        }
        else if (roll < 0.52)
        {
            var withLink = rng.NextDouble() < 0.3;
            var number = rng.NextDouble() < 0.8 ? "106" + rng.Next(10000, 99999).ToString(CultureInfo.InvariantCulture) : Pick(rng, TrustedNumbers);
            if (withLink)
            {
                make(p, "sms", t, ("number", number), ("direction", "in"), ("domain", Pick(rng, TrustedDomains)));
            }
            else
            {
                make(p, "sms", t, ("number", number), ("direction", "in"));
            }
        }
        else if (roll < 0.67)
        {
            make(p, "url_visit", t, ("domain", Pick(rng, EverydayDomains)));
        }
        else if (roll < 0.70)
        {
            var r = rng.NextDouble();
            var app = r < 0.6 ? Pick(rng, CommonApps) : r < 0.92 ? Pick(rng, OtherApps) : Pick(rng, ScreenShareApps); // meetings for work
            make(p, "app_install", t, ("app", app));
        }
        else if (roll < 0.85)
        {
            var big = rng.NextDouble() < 0.03;
            var amount = big ? rng.Next(2000, 12000) : Math.Round(Math.Exp(rng.NextDouble() * 6), 2); // 1 to 400 yuan
            var account = rng.NextDouble() < 0.6 ? "merchant-" + rng.Next(1, 500).ToString(CultureInfo.InvariantCulture) : Pick(rng, p.ContactAccounts);
            // People mostly pay the shops and people they paid before: their usual merchants and relatives'
            // or friends' accounts; now and then a shop or a person they never paid (a new restaurant, a
            // tradesman, a second-hand seller). The payment platform knows whether the payer ever paid that
            // account before and says so in `new_payee` (the "首次转账" warning banks show): a fraudster's
            // account is always new to the victim, and this is its everyday look-alike. (Before, payments went
            // to any of 500 shops or six contact accounts and nothing told a first payment from a repeat one:
            // a victim paying a mule account looked like someone paying their mother.) Drawn from a second
            // generator so that the rest of the day stays exactly as it was (the figures compare the same day).
            if (account.StartsWith("merchant-", StringComparison.Ordinal))
            {
                account = payees.NextDouble() < 0.85 ? Pick(payees, p.Merchants) : account; // 9 % of payments: a shop new to them
            }
            else if (payees.NextDouble() < 0.1)
            {
                account = "6222" + payees.Next(10000000, 99999999).ToString(CultureInfo.InvariantCulture); // 4 %: a person never paid
            }
            var newPayee = !p.Merchants.Contains(account) && !p.ContactAccounts.Contains(account);
            make(p, "transfer_out", t, ("amount", amount), ("account", account), ("new_payee", newPayee));
        }
        else if (roll < 0.94)
        {
            var salary = rng.NextDouble() < 0.02;
            make(p, "transfer_in", t, ("amount", salary ? rng.Next(4000, 15000) : rng.Next(1, 200)), ("account", Pick(rng, p.ContactAccounts)));
        }
        else
        {
            var r = rng.NextDouble();
            var source = r < 0.75 ? "friend" : r < 0.9 ? "group" : r < 0.97 ? "stranger" : "dating";
            var isNew = source != "friend" && rng.NextDouble() < 0.5;
            make(p, "im_contact", t, ("contact", "wx-" + rng.Next().ToString("x8", CultureInfo.InvariantCulture)), ("source", source), ("new_contact", isNew));
        }
    }

    /// <summary>Emits one scenario of the given type for the victim; returns the decisive event (the money leaving).</summary>
    private static StreamEvent Inject(string type, Random rng, Person victim, Func<TimeSpan, string, (string, object)[], StreamEvent> f)
    {
        StreamEvent F(double minutes, string kind, params (string, object)[] a) => f(TimeSpan.FromMinutes(minutes), kind, a);
        bool Chance(double p) => rng.NextDouble() < p;
        // The fraudster's (mule) account: part of the time one the police already flagged. The victim never
        // paid it before, so every fraud transfer is `new_payee` (see Everyday).
        string Account() => Chance(0.3)
            ? "62170000000000" + rng.Next(1, 31).ToString("00", CultureInfo.InvariantCulture)
            : "62170088" + rng.Next(10000000, 99999999).ToString(CultureInfo.InvariantCulture);
        string Domain(string known, string novelSuffix) => Chance(0.5) ? known : $"{novelSuffix}-{rng.Next(100, 999)}.top";
        var contact = ("contact", (object)("wx-" + rng.Next().ToString("x8", CultureInfo.InvariantCulture)));

        switch (type)
        {
            case FraudTypes.Brushing:
            {
                F(0, "im_contact", contact, ("source", "group"), ("new_contact", true));
                var m = 10.0;
                for (var i = 0; i < rng.Next(2, 5); i++)
                {
                    F(m += rng.Next(5, 40), "transfer_in", ("amount", rng.Next(10, 60)), ("account", Account()), ("new_payee", true));
                }
                if (Chance(0.5))
                {
                    F(m += 5, "url_visit", ("domain", Domain("dianzan-task.top", "task")));
                }
                var decisive = F(m += rng.Next(10, 60), "transfer_out", ("amount", rng.Next(1000, 20000)), ("account", Account()), ("new_payee", true));
                F(m + rng.Next(20, 90), "transfer_out", ("amount", rng.Next(5000, 50000)), ("account", Account()), ("new_payee", true));
                return decisive;
            }
            case FraudTypes.Investment:
            {
                F(0, "im_contact", contact, ("source", "dating"), ("new_contact", true));
                var m = rng.Next(60, 360);
                if (Chance(0.6))
                {
                    F(m, "app_install", ("app", Chance(0.7) ? Pick(rng, KnownInvestmentApps) : "com.wealth" + rng.Next(10, 99) + ".app"));
                }
                else
                {
                    F(m, "url_visit", ("domain", Domain("goldwin-invest.vip", "invest")));
                }
                var decisive = F(m += rng.Next(30, 120), "transfer_out", ("amount", rng.Next(2000, 10000)), ("account", Account()), ("new_payee", true));
                F(m += rng.Next(30, 120), "transfer_in", ("amount", rng.Next(100, 1500)), ("account", Account()), ("new_payee", true));
                F(m + rng.Next(30, 180), "transfer_out", ("amount", rng.Next(20000, 200000)), ("account", Account()), ("new_payee", true));
                return decisive;
            }
            case FraudTypes.Loan:
            {
                var domain = Domain("suda-loan.xyz", "loan");
                F(0, "sms", ("number", "106" + rng.Next(10000, 99999)), ("direction", "in"), ("domain", domain));
                var m = rng.Next(5, 120);
                F(m, "url_visit", ("domain", domain));
                F(m += rng.Next(2, 20), "app_install", ("app", Chance(0.6) ? Pick(rng, KnownLoanApps) : "com.daikuan" + rng.Next(10, 99) + ".app"));
                var decisive = F(m += rng.Next(20, 120), "transfer_out", ("amount", rng.Next(300, 5000)), ("account", Account()), ("new_payee", true));
                if (Chance(0.6))
                {
                    F(m + rng.Next(30, 180), "transfer_out", ("amount", rng.Next(1000, 20000)), ("account", Account()), ("new_payee", true));
                }
                return decisive;
            }
            case FraudTypes.CustomerService:
            {
                var number = Chance(0.3) ? "170123400" + rng.Next(1, 21).ToString("00", CultureInfo.InvariantCulture) : Pick(rng, ["170", "171", "165"]) + rng.Next(10000000, 99999999);
                F(0, "call", ("number", number), ("direction", "in"), ("duration", rng.Next(600, 2400)));
                var m = rng.Next(8, 30);
                F(m, "app_install", ("app", Pick(rng, ScreenShareApps)));
                var decisive = F(m += rng.Next(5, 40), "transfer_out", ("amount", rng.Next(2000, 50000)), ("account", Account()), ("new_payee", true));
                if (Chance(0.5))
                {
                    F(m + rng.Next(5, 30), "transfer_out", ("amount", rng.Next(2000, 50000)), ("account", Account()), ("new_payee", true));
                }
                return decisive;
            }
            case FraudTypes.Police:
            {
                var number = Chance(0.3) ? "+8526123400" + rng.Next(1, 11).ToString("00", CultureInfo.InvariantCulture) : Pick(rng, ["+63", "+855", "00852", "+95"]) + rng.Next(10000000, 99999999);
                F(0, "call", ("number", number), ("direction", "in"), ("duration", rng.Next(1200, 5400)));
                var m = rng.Next(60, 180);
                if (Chance(0.4))
                {
                    F(m - 30, "app_install", ("app", Pick(rng, ScreenShareApps)));
                }
                var decisive = F(m, "transfer_out", ("amount", rng.Next(20000, 300000)), ("account", Account()), ("new_payee", true));
                return decisive;
            }
            case FraudTypes.Acquaintance:
            {
                F(0, "im_contact", contact, ("source", "stranger"), ("new_contact", true));
                return F(rng.Next(10, 90), "transfer_out", ("amount", rng.Next(5000, 80000)), ("account", Account()), ("new_payee", true));
            }
            default: // FraudTypes.Shopping
            {
                var domain = Domain(Pick(rng, ["cheap-iphone.shop", "game-coin.xyz"]), "shop");
                if (Chance(0.5))
                {
                    F(0, "sms", ("number", "106" + rng.Next(10000, 99999)), ("direction", "in"), ("domain", domain));
                }
                else
                {
                    F(0, "im_contact", contact, ("source", "second_hand"), ("new_contact", true), ("domain", domain));
                }
                var m = rng.Next(2, 30);
                F(m, "url_visit", ("domain", domain));
                return F(m + rng.Next(5, 40), "transfer_out", ("amount", rng.Next(200, 6000)), ("account", Account()), ("new_payee", true));
            }
        }
    }

    private static T Pick<T>(Random rng, T[] items) => items[rng.Next(items.Length)];

    private static string RandomMobile(Random rng) =>
        Pick(rng, ["138", "139", "150", "158", "186", "188", "135"]) + rng.Next(10000000, 99999999).ToString(CultureInfo.InvariantCulture);

    private static int Poisson(Random rng, double mean)
    {
        // Normal approximation is fine for the means used here (tens of events).
        if (mean > 30)
        {
            var z = Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
            return Math.Max(0, (int)Math.Round(mean + z * Math.Sqrt(mean)));
        }
        var l = Math.Exp(-mean);
        var k = 0;
        for (var p = rng.NextDouble(); p > l; p *= rng.NextDouble())
        {
            k++;
        }
        return k;
    }

    private sealed class Person
    {
        public Person(int index, int seed, Random rng, Random payees)
        {
            // Looks like a blind-index key (a keyed hash): opaque, never the phone or ID number itself.
            Subject = "bi:" + (((ulong)index + 1) * 0x9E3779B97F4A7C15UL ^ (ulong)seed * 0xC2B2AE3D27D4EB4FUL).ToString("x16", CultureInfo.InvariantCulture)
                + index.ToString("x8", CultureInfo.InvariantCulture);
            Contacts = Enumerable.Range(0, 12).Select(_ => RandomMobile(rng)).ToArray();
            ContactAccounts = Enumerable.Range(0, 6).Select(_ => "6222" + rng.Next(10000000, 99999999).ToString(CultureInfo.InvariantCulture)).ToArray();
            Merchants = Enumerable.Range(0, 15).Select(_ => "merchant-" + payees.Next(1, 500).ToString(CultureInfo.InvariantCulture)).ToArray();
        }

        public string Subject { get; }
        public string[] Contacts { get; }
        public string[] ContactAccounts { get; }
        /// <summary>The shops this person usually pays (the rest of the 500 are new to them).</summary>
        public string[] Merchants { get; }
    }
}
