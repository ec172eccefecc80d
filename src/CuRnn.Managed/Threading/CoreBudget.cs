using System.Diagnostics;
using System.Numerics;

namespace CuRnn.Managed.Threading;

/// <summary>
/// The cores this process may run on: the least of the runtime's processor count, the CPU affinity mask and a
/// container's CPU quota (cgroup v2 <c>cpu.max</c>, or v1 <c>cpu.cfs_quota_us</c> / <c>cpu.cfs_period_us</c>,
/// rounded up). Read once; what <c>MaxThreads = 0</c> means.
/// </summary>
internal static class CoreBudget
{
    private static readonly Lazy<int> s_available = new(Measure);

    /// <summary>At least 1.</summary>
    public static int Available => s_available.Value;

    private static int Measure()
    {
        int cores = Environment.ProcessorCount;
        try
        {
            if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows())
            {
                long mask = (long)Process.GetCurrentProcess().ProcessorAffinity;
                int affinity = BitOperations.PopCount((ulong)mask);
                if (affinity > 0) cores = Math.Min(cores, affinity);
            }
        }
        catch (Exception e) when (e is PlatformNotSupportedException or InvalidOperationException or System.ComponentModel.Win32Exception) { }
        if (OperatingSystem.IsLinux() && QuotaFromCgroups() is int quota) cores = Math.Min(cores, quota);
        return Math.Max(1, cores);
    }

    private static int? QuotaFromCgroups()
    {
        try
        {
            foreach (string line in File.ReadLines("/proc/self/cgroup"))
            {
                var (controllers, path) = ParseCgroupLine(line);
                if (controllers is null) continue;
                if (controllers.Length == 0)
                {
                    // cgroup v2: the process's group, else the root.
                    foreach (string dir in new[] { "/sys/fs/cgroup" + path, "/sys/fs/cgroup" })
                    {
                        string file = Path.Combine(dir, "cpu.max");
                        if (File.Exists(file)) return ParseCpuMax(File.ReadAllText(file));
                    }
                }
                else if (controllers.Split(',').Contains("cpu"))
                {
                    foreach (string mount in new[] { "/sys/fs/cgroup/cpu", "/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpuacct,cpu" })
                    {
                        string dir = mount + path;
                        string quota = Path.Combine(dir, "cpu.cfs_quota_us"), period = Path.Combine(dir, "cpu.cfs_period_us");
                        if (File.Exists(quota) && File.Exists(period)) return ParseCfs(File.ReadAllText(quota), File.ReadAllText(period));
                    }
                }
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    /// <summary>"hierarchy:controllers:path" → (controllers, path); null controllers for a malformed line.</summary>
    internal static (string? Controllers, string Path) ParseCgroupLine(string line)
    {
        int first = line.IndexOf(':'), second = first < 0 ? -1 : line.IndexOf(':', first + 1);
        if (second < 0) return (null, "");
        return (line[(first + 1)..second], line[(second + 1)..].Trim());
    }

    /// <summary>cgroup v2 <c>cpu.max</c> ("max 100000" or "quota period") → cores, rounded up; null without a limit.</summary>
    internal static int? ParseCpuMax(string text)
    {
        var parts = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length < 1 || parts[0] == "max") return null;
        if (!long.TryParse(parts[0], out long quota)) return null;
        long period = parts.Length >= 2 && long.TryParse(parts[1], out long p) ? p : 100_000;
        return Cores(quota, period);
    }

    /// <summary>cgroup v1 quota and period in microseconds → cores, rounded up; null without a limit (quota -1).</summary>
    internal static int? ParseCfs(string quotaText, string periodText)
    {
        if (!long.TryParse(quotaText.Trim(), out long quota) || !long.TryParse(periodText.Trim(), out long period)) return null;
        return Cores(quota, period);
    }

    private static int? Cores(long quota, long period)
    {
        if (quota <= 0 || period <= 0) return null;
        return (int)Math.Clamp((quota + period - 1) / period, 1, int.MaxValue);
    }
}
