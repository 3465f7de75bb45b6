using System.Globalization;

namespace CivicGrid.Bench.Places;

/// <summary>
/// How much of a timed stretch this thread spent waiting for a CPU (Linux /proc/thread-self/schedstat). The 2-core machine
/// is shared: when other work is runnable the scheduler takes the core away for whole time slices (milliseconds), which
/// shows up in throughput and in latency tails, so each figure's log line says how long that was.
/// </summary>
internal readonly record struct Machine(int Thread, long RunNs, long WaitNs)
{
    public static Machine Now()
    {
        try
        {
            var f = File.ReadAllText("/proc/thread-self/schedstat").Split(' ');
            return new Machine(Environment.CurrentManagedThreadId, long.Parse(f[0], CultureInfo.InvariantCulture), long.Parse(f[1], CultureInfo.InvariantCulture));
        }
        catch (IOException)
        {
            return new Machine(-1, 0, 0);
        }
    }

    /// <summary>"ran X ms, waited Y ms for a CPU (load Z)" since <paramref name="start"/>, on the same thread.</summary>
    public static string Since(Machine start)
    {
        var end = Now();
        var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";
        return start.Thread < 0 || end.Thread != start.Thread
            ? $"load {load}"
            : $"thread ran {(end.RunNs - start.RunNs) / 1e6:0} ms and waited {(end.WaitNs - start.WaitNs) / 1e6:0} ms for a CPU, load {load}";
    }
}

/// <summary>CPU time of the calling thread (Linux clock_gettime(CLOCK_THREAD_CPUTIME_ID)); about a microsecond per call.</summary>
internal static partial class ThreadClock
{
    private const int ClockThreadCpuTime = 3;
    private static readonly bool Available = OperatingSystem.IsLinux() && Probe();

    /// <summary>Nanoseconds of CPU this thread has used, or -1 where the clock is not available.</summary>
    public static long Nanoseconds() => Available && clock_gettime(ClockThreadCpuTime, out var t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanoseconds : -1;

    private static bool Probe()
    {
        try
        {
            return clock_gettime(ClockThreadCpuTime, out _) == 0;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    [System.Runtime.InteropServices.DefaultDllImportSearchPaths(System.Runtime.InteropServices.DllImportSearchPath.SafeDirectories)]
    private static extern int clock_gettime(int clock, out TimeSpec time);
}
