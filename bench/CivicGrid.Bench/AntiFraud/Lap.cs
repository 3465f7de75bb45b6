using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

namespace CivicGrid.Bench.AntiFraud;

/// <summary>
/// One timed run: CPU time of the calling thread (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID), so
/// "per core" figures do not depend on what else the shared machine runs) and wall time beside it.
/// Where the thread clock is not available, both are wall time.
/// </summary>
internal readonly record struct Lap(long StartCpuNs, long StartWall, int Thread, double CpuSeconds, double WallSeconds, int Events)
{
    public static Lap None { get; } = new(0, 0, 0, double.PositiveInfinity, double.PositiveInfinity, 0);

    public double Rate => Events / CpuSeconds;

    public static Lap Start() => new(ThreadCpuNs(), Stopwatch.GetTimestamp(), Environment.CurrentManagedThreadId, 0, 0, 0);

    public Lap Stop(int events)
    {
        var wall = Stopwatch.GetElapsedTime(StartWall).TotalSeconds;
        // An await that resumed on another thread would read another thread's clock: then wall time it is.
        var sameThread = Thread == Environment.CurrentManagedThreadId;
        var cpu = StartCpuNs < 0 || !sameThread ? wall : (ThreadCpuNs() - StartCpuNs) / 1e9;
        return this with { CpuSeconds = cpu, WallSeconds = wall, Events = events };
    }

    public static Lap Best(Lap a, Lap b) => b.Rate > a.Rate || a.Events == 0 ? b : a;

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Rate:N0} [{Events / WallSeconds:N0}]");

    private static long ThreadCpuNs()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }
        return NativeMethods.clock_gettime(3 /* CLOCK_THREAD_CPUTIME_ID */, out var ts) == 0 ? ts.Seconds * 1_000_000_000L + ts.Nanoseconds : -1;
    }

    private static class NativeMethods
    {
        [StructLayout(LayoutKind.Sequential)]
        internal struct Timespec
        {
            public long Seconds;
            public long Nanoseconds;
        }

        [DllImport("libc", SetLastError = false)]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern int clock_gettime(int clock, out Timespec time);
    }
}
