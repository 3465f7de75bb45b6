using System.Globalization;
using CivicGrid.Kernel.Jobs;

namespace CivicGrid.Kernel.Tests.Jobs;

public class JobScheduleTests
{
    [Fact]
    public void Parse_TimeSpanOrCron_GivesIntervalOrCron()
    {
        Assert.Equal(JobSchedule.Every(TimeSpan.FromMinutes(30)), JobSchedule.Parse("00:30:00"));
        Assert.Equal(JobSchedule.Every(TimeSpan.FromSeconds(2)), JobSchedule.Parse("00:00:02"));
        Assert.Equal(JobSchedule.AtCron("0 30 3 * * ?"), JobSchedule.Parse(" 0 30 3 * * ? "));
        // Zero is no interval: it is read as a cron expression, which Resolve refuses rather than firing in a loop.
        Assert.Null(JobSchedule.Parse("00:00:00").Interval);
    }

    [Fact]
    public void Code_SameScheduleSameCode_DifferentScheduleDifferentCode()
    {
        Assert.Equal("every:01:00:00", JobSchedule.Every(TimeSpan.FromHours(1)).Code);
        Assert.Equal(JobSchedule.Parse("01:00:00").Code, JobSchedule.Every(TimeSpan.FromHours(1)).Code);
        Assert.NotEqual(JobSchedule.Every(TimeSpan.FromHours(1)).Code, JobSchedule.Every(TimeSpan.FromHours(2)).Code);
        Assert.Equal("cron:0 30 3 * * ?", JobSchedule.AtCron("0 30 3 * * ?").Code);
    }

    [Fact]
    public void Describe_InChinese_NamesTheUnit()
    {
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo("zh-CN");
        try
        {
            Assert.Equal("每隔 1 小时", JobSchedule.Every(TimeSpan.FromHours(1)).Describe());
            Assert.Equal("每隔 5 分钟", JobSchedule.Every(TimeSpan.FromMinutes(5)).Describe());
            Assert.Equal("每隔 90 秒", JobSchedule.Every(TimeSpan.FromSeconds(90)).Describe());
            Assert.Contains("北京时间", JobSchedule.AtCron("0 30 3 * * ?").Describe());
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    [Fact]
    public void BuildTrigger_Interval_FirstFireOneIntervalAfterStart()
    {
        var now = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
        var trigger = PlatformJobs.BuildTrigger(new PlatformJobDefinition("k", "名", "name", JobSchedule.Every(TimeSpan.FromHours(1)), typeof(object)), now);
        Assert.Equal(now.AddHours(1), trigger.StartTimeUtc);
        Assert.Equal("every:01:00:00", trigger.Description);
    }

    [Fact]
    public void BuildTrigger_Cron_FiresInChinaTime()
    {
        var now = new DateTimeOffset(2026, 12, 7, 0, 0, 0, TimeSpan.Zero);
        var trigger = PlatformJobs.BuildTrigger(new PlatformJobDefinition("k", "名", "name", JobSchedule.AtCron("0 30 3 * * ?"), typeof(object)), now);
        // 03:30 in Shanghai is 19:30 UTC the day before.
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 19, 30, 0, TimeSpan.Zero), trigger.GetFireTimeAfter(now));
    }

    [Fact]
    public void Resolve_ConfiguredSchedule_ReplacesTheBuiltInOne()
    {
        var d = new PlatformJobDefinition("audit_retention", "名", "name", JobSchedule.AtCron("0 30 3 * * ?"), typeof(object));
        var options = new JobOptions { Schedules = { ["audit_retention"] = "00:00:01" } };
        Assert.Equal(TimeSpan.FromSeconds(1), Assert.Single(PlatformJobs.Resolve([d], options)).Schedule.Interval);
        Assert.Equal(d, Assert.Single(PlatformJobs.Resolve([d], new JobOptions())));
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("every hour")]
    public void Resolve_ScheduleThatIsNeitherIntervalNorCron_FailsNamingTheSetting(string text)
    {
        var d = new PlatformJobDefinition("audit_retention", "名", "name", JobSchedule.AtCron("0 30 3 * * ?"), typeof(object));
        var e = Assert.Throws<InvalidOperationException>(() => PlatformJobs.Resolve([d], new JobOptions { Schedules = { ["audit_retention"] = text } }));
        Assert.Contains("CivicGrid:Jobs:Schedules:audit_retention", e.Message);
    }
}
