using System.Diagnostics;
using CivicGrid.Kernel.Calendar;

namespace CivicGrid.Bench.Platform;

/// <summary>
/// Platform services. <c>platform.working_days_add_ns</c>: adding N working days (N = 5, 20, 250) to China dates spread over
/// the shipped years 2020–2026 (the date-to-date primitive; the instant-based deadline adds two time-zone conversions), the worst of the three per call; goal ≤ 200 ns.
/// </summary>
public sealed class PlatformSuite : BenchSuite
{
    public override string Name => "platform";

    public override Task RunAsync(string[] args)
    {
        var calendar = new WorkCalendar(CalendarFile.ShippedRows());
        var starts = Enumerable.Range(0, 4096).Select(i => new DateOnly(2020, 1, 1).AddDays(i * 7 % 2500)).ToArray();
        var calls = Quick(args) ? 400_000 : 4_000_000;
        var worst = 0.0;
        foreach (var n in new[] { 5, 20, 250 })
        {
            Run(calendar, starts, n, calls / 10); // warm-up
            var ns = Run(calendar, starts, n, calls);
            Console.WriteLine(FormattableString.Invariant($"working days +{n}: {ns:0.0} ns per call"));
            worst = Math.Max(worst, ns);
        }
        Result("working_days_add_ns", worst, "ns");
        return Task.CompletedTask;
    }

    private static double Run(WorkCalendar calendar, DateOnly[] starts, int n, int calls)
    {
        long checksum = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            checksum += calendar.AddWorkingDays(starts[i & 4095], n).LastDay.DayNumber;
        }
        watch.Stop();
        if (checksum == 42) Console.WriteLine("(checksum)");
        return watch.Elapsed.TotalNanoseconds / calls;
    }
}
