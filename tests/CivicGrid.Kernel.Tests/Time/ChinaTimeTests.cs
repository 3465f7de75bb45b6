using CivicGrid.Kernel.Time;
using Microsoft.Extensions.Time.Testing;

namespace CivicGrid.Kernel.Tests.Time;

public class ChinaTimeTests
{
    [Fact]
    public void DateOf_2330Utc_IsNextDayInChina()
    {
        var utc = new DateTime(2026, 12, 31, 23, 30, 0, DateTimeKind.Utc);
        Assert.Equal(new DateOnly(2027, 1, 1), ChinaTime.DateOf(utc));
        Assert.Equal("2027-01-01 07:30", ChinaTime.Minute(utc));
        Assert.Equal("2027-01-01", ChinaTime.Date(utc));
    }

    [Fact]
    public void DateOf_1559Utc_IsSameDayInChina()
    {
        Assert.Equal(new DateOnly(2026, 12, 7), ChinaTime.DateOf(new DateTime(2026, 12, 7, 15, 59, 59, DateTimeKind.Utc)));
        Assert.Equal(new DateOnly(2026, 12, 8), ChinaTime.DateOf(new DateTime(2026, 12, 7, 16, 0, 0, DateTimeKind.Utc)));
    }

    [Fact]
    public void StartOfDayUtc_ChinaMidnight_Is1600UtcDayBefore()
    {
        Assert.Equal(new DateTime(2026, 12, 6, 16, 0, 0, DateTimeKind.Utc), ChinaTime.StartOfDayUtc(new DateOnly(2026, 12, 7)));
        Assert.Equal(new DateTime(2026, 3, 1, 4, 0, 0), ChinaTime.ToUtc(new DateTime(2026, 3, 1, 12, 0, 0)));
    }

    [Fact]
    public void ChinaClock_FollowsTheInjectedTimeProvider()
    {
        var fake = new FakeTimeProvider(new DateTimeOffset(2026, 9, 30, 15, 30, 0, TimeSpan.Zero));
        var clock = new ChinaClock(fake);
        Assert.Equal(new DateOnly(2026, 9, 30), clock.Today);
        Assert.Equal(new DateTime(2026, 9, 30, 23, 30, 0), clock.Now);
        fake.Advance(TimeSpan.FromHours(8));
        Assert.Equal(new DateOnly(2026, 10, 1), clock.Today);
    }
}
