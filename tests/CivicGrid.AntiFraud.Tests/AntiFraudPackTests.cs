using CivicGrid.Streams;
using Microsoft.Extensions.Time.Testing;

namespace CivicGrid.AntiFraud.Tests;

public class AntiFraudPackTests
{
    [Fact]
    public void Load_ShippedPack_EveryFraudTypeHasRulesWithDescriptions()
    {
        var (rules, lists) = AntiFraudPack.Load();

        foreach (var type in FraudTypes.All)
        {
            Assert.Contains(rules.Rules, r => r.Category == type);
        }
        Assert.All(rules.Rules, r => Assert.False(string.IsNullOrWhiteSpace(r.Description), r.Id));
        Assert.True(lists.Get("flagged_numbers").Count >= 20);
        Assert.Equal(TimeSpan.FromHours(6), rules.Scoring.HalfLife);
    }

    [Fact]
    public void PoliceRule_OverseasCallThenSafeAccountTransfer_AlertsForVisit()
    {
        var (engine, alerts, time) = Engine();
        var call = Event(time, "call", ("number", "+639171234567"), ("direction", "in"), ("duration", 2400));
        engine.Process(call);
        time.Advance(TimeSpan.FromHours(1));
        var transfer = Event(time, "transfer_out", ("amount", 150000), ("account", "6217008812345678"));
        engine.Process(transfer);

        var alert = alerts.Single(a => a.RuleId == "police.call-no-verify-transfer");
        Assert.Equal(ResponseLevel.Visit, alert.Response);
        Assert.Equal([call.Id, transfer.Id], alert.Evidence.Select(e => e.Id));
    }

    [Fact]
    public void PoliceRule_VictimCalls110First_NoVisitAlert()
    {
        var (engine, alerts, time) = Engine();
        engine.Process(Event(time, "call", ("number", "+639171234567"), ("direction", "in"), ("duration", 2400)));
        time.Advance(TimeSpan.FromMinutes(30));
        engine.Process(Event(time, "call", ("number", "110"), ("direction", "out"), ("duration", 120)));
        time.Advance(TimeSpan.FromMinutes(30));
        engine.Process(Event(time, "transfer_out", ("amount", 150000), ("account", "6217008812345678")));

        Assert.DoesNotContain(alerts, a => a.RuleId == "police.call-no-verify-transfer");
    }

    [Fact]
    public void CommonRule_TransferToFlaggedAccount_AlertsAtOnce()
    {
        var (engine, alerts, time) = Engine();

        engine.Process(Event(time, "transfer_out", ("amount", 800), ("account", "6217000000000007")));

        Assert.Equal("common.flagged-account-transfer", Assert.Single(alerts).RuleId);
    }

    [Fact]
    public void BrushingRule_OneSmallCreditThenBigPayment_NotEnoughButTwoRebatesAre()
    {
        var (engine, alerts, time) = Engine();
        engine.Process(Event(time, "im_contact", ("contact", "wx-task"), ("source", "group"), ("new_contact", true)));
        time.Advance(TimeSpan.FromMinutes(20));
        engine.Process(Event(time, "transfer_in", ("amount", 30), ("account", "6217000011112222")));
        time.Advance(TimeSpan.FromMinutes(30));
        engine.Process(Event(time, "transfer_out", ("amount", 3000), ("account", "6217000033334444")));
        Assert.DoesNotContain(alerts, a => a.RuleId == "brushing.rebate-then-deposit"); // a red envelope, then rent

        time.Advance(TimeSpan.FromMinutes(10));
        engine.Process(Event(time, "transfer_in", ("amount", 45), ("account", "6217000055556666")));
        time.Advance(TimeSpan.FromMinutes(10));
        engine.Process(Event(time, "transfer_out", ("amount", 8000), ("account", "6217000077778888")));
        Assert.Contains(alerts, a => a.RuleId == "brushing.rebate-then-deposit");
    }

    [Fact]
    public void ShoppingRule_AppInstalledBeforePaying_IsNotAFakeShop()
    {
        var (engine, alerts, time) = Engine();
        engine.Process(Event(time, "sms", ("number", "10612345"), ("direction", "in"), ("domain", "cheap-loan-555.top")));
        time.Advance(TimeSpan.FromMinutes(5));
        engine.Process(Event(time, "url_visit", ("domain", "cheap-loan-555.top")));
        time.Advance(TimeSpan.FromMinutes(5));
        engine.Process(Event(time, "app_install", ("app", "com.daikuan55.app")));
        time.Advance(TimeSpan.FromMinutes(20));
        engine.Process(Event(time, "transfer_out", ("amount", 800), ("account", "6217008812345678")));

        Assert.DoesNotContain(alerts, a => a.Category == "虚假购物服务");
        Assert.Contains(alerts, a => a.RuleId == "loan.sms-link-install-pay");
    }

    [Fact]
    public void CustomerServiceRule_LongCallFromAbroadThenScreenShare_IsLeftToThePoliceRules()
    {
        var (engine, alerts, time) = Engine();
        engine.Process(Event(time, "call", ("number", "+639171234567"), ("direction", "in"), ("duration", 1500)));
        time.Advance(TimeSpan.FromMinutes(15));
        engine.Process(Event(time, "app_install", ("app", "com.oray.sunlogin")));

        Assert.DoesNotContain(alerts, a => a.Category == "冒充电商物流客服");
        Assert.Contains(alerts, a => a.RuleId == "police.overseas-long-call");
    }

    [Fact]
    public void AcquaintanceRule_StrangerThenUrgentTransferToNewAccount_Alerts()
    {
        var (engine, alerts, time) = Engine();
        var contact = Event(time, "im_contact", ("contact", "wx-boss2"), ("source", "stranger"), ("new_contact", true));
        engine.Process(contact);
        time.Advance(TimeSpan.FromMinutes(20));
        // An outgoing call in between: the feed does not say it reached the real boss (and had it, no one would pay).
        engine.Process(Event(time, "call", ("number", "13812345678"), ("direction", "out"), ("duration", 90)));
        time.Advance(TimeSpan.FromMinutes(25));
        var transfer = Event(time, "transfer_out", ("amount", 38000), ("account", "6217008812345678"), ("new_payee", true));
        engine.Process(transfer);

        var alert = alerts.Single(a => a.RuleId == "acquaintance.new-contact-urgent-transfer-new-payee");
        Assert.Equal([contact.Id, transfer.Id], alert.Evidence.Select(e => e.Id));
    }

    [Fact]
    public void AcquaintanceRule_StrangerThenPaymentToAccountPaidBefore_OrHoursLater_NoAlert()
    {
        var (engine, alerts, time) = Engine();
        // A stranger's friend request (a courier, a new neighbour), then the rent to the usual landlord.
        engine.Process(Event(time, "im_contact", ("contact", "wx-courier"), ("source", "stranger"), ("new_contact", true)));
        time.Advance(TimeSpan.FromMinutes(30));
        engine.Process(Event(time, "transfer_out", ("amount", 6500), ("account", "622212345678"), ("new_payee", false)));
        // A first payment to a new shop, but three hours after the contact: not the "urgent" request.
        time.Advance(TimeSpan.FromHours(3));
        engine.Process(Event(time, "transfer_out", ("amount", 8000), ("account", "merchant-77"), ("new_payee", true)));

        Assert.DoesNotContain(alerts, a => a.Category == FraudTypes.Acquaintance);
    }

    [Fact]
    public void InvestmentRule_DatingContactDepositProfitThenTopUp_Alerts()
    {
        var (engine, alerts, time) = Engine();
        // A platform the police have not listed: only the money tells the story.
        engine.Process(Event(time, "im_contact", ("contact", "wx-lover"), ("source", "dating"), ("new_contact", false)));
        time.Advance(TimeSpan.FromHours(5));
        engine.Process(Event(time, "app_install", ("app", "com.wealth42.app")));
        time.Advance(TimeSpan.FromHours(1));
        engine.Process(Event(time, "transfer_out", ("amount", 5000), ("account", "6217008812345678"), ("new_payee", true)));
        Assert.DoesNotContain(alerts, a => a.Category == FraudTypes.Investment);
        time.Advance(TimeSpan.FromHours(1));
        engine.Process(Event(time, "transfer_in", ("amount", 600), ("account", "6217008887654321")));
        time.Advance(TimeSpan.FromHours(2));
        engine.Process(Event(time, "transfer_out", ("amount", 80000), ("account", "6217008811112222"), ("new_payee", true)));

        Assert.Contains(alerts, a => a.RuleId == "investment.dating-contact-profit-then-deposit");
    }

    [Fact]
    public void InvestmentRule_DatingContactThenBigPayments_WithoutTheProfitHook_NoAlert()
    {
        var (engine, alerts, time) = Engine();
        engine.Process(Event(time, "im_contact", ("contact", "wx-date"), ("source", "dating"), ("new_contact", true)));
        time.Advance(TimeSpan.FromHours(3));
        // A red envelope from a friend, then a holiday booked at a new travel agency, then the rent.
        engine.Process(Event(time, "transfer_in", ("amount", 88), ("account", "622212345678")));
        time.Advance(TimeSpan.FromHours(2));
        engine.Process(Event(time, "transfer_out", ("amount", 11000), ("account", "merchant-120"), ("new_payee", true)));
        time.Advance(TimeSpan.FromHours(4));
        engine.Process(Event(time, "transfer_out", ("amount", 12000), ("account", "622287654321"), ("new_payee", false)));

        Assert.DoesNotContain(alerts, a => a.Category == FraudTypes.Investment);
    }

    private static int _id;

    private static StreamEvent Event(FakeTimeProvider time, string kind, params (string, object)[] attributes) =>
        StreamEvent.Create($"t{Interlocked.Increment(ref _id)}", "bi:0a1b2c3d4e5f", kind, time.GetUtcNow(), attributes);

    private static (StreamEngine Engine, List<Alert> Alerts, FakeTimeProvider Time) Engine()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2025, 3, 3, 10, 0, 0, TimeSpan.FromHours(8)));
        var (rules, _) = AntiFraudPack.Load(time);
        var alerts = new List<Alert>();
        return (new StreamEngine(rules, new EngineOptions { Time = time, OnAlert = alerts.Add }), alerts, time);
    }
}
