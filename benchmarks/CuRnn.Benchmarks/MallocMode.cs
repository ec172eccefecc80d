using System.Runtime.InteropServices;

namespace CuRnn.Benchmarks;

/// <summary>
/// glibc's two behaviours for libtorch's large buffers: by default it returns them to the kernel (and they fault back
/// in on the next call); with <c>MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=…</c> it keeps them. The suite times
/// libtorch in both, the second in a child process started with those variables, and compares against the better.
/// </summary>
internal static class MallocMode
{
    /// <summary>The environment of the kept-buffers mode.</summary>
    public static IReadOnlyDictionary<string, string> KeepBuffers { get; } = new Dictionary<string, string>
    {
        ["MALLOC_MMAP_MAX_"] = "0",
        ["MALLOC_TRIM_THRESHOLD_"] = "17179869184",
    };

    /// <summary>Whether this process runs in the kept-buffers mode.</summary>
    public static bool KeepsBuffers => Environment.GetEnvironmentVariable("MALLOC_MMAP_MAX_") == "0";

    /// <summary>A label for reports.</summary>
    public static string Name => KeepsBuffers ? "kept buffers (MALLOC_MMAP_MAX_=0, MALLOC_TRIM_THRESHOLD_=16 GiB)" : "glibc default";

    public static bool IsGlibc => OperatingSystem.IsLinux() && RuntimeInformation.OSDescription.Contains("Linux", StringComparison.Ordinal);
}
