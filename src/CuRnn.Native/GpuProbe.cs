using System.Runtime.InteropServices;

namespace CuRnn.Native;

/// <summary>What the GPU probe found: each library, the driver, the devices and cuDNN, with every attempt listed.</summary>
/// <param name="DriverLoaded">The CUDA driver library loaded.</param>
/// <param name="DriverVersion">cuDriverGetVersion (e.g. 13000), or 0.</param>
/// <param name="DeviceCount">CUDA devices the driver reports.</param>
/// <param name="CudnnVersion">cudnnGetVersion (e.g. 91000), or 0.</param>
/// <param name="CudnnPath">Where cuDNN loaded from.</param>
/// <param name="Trace">Every attempt and finding, one line each.</param>
/// <param name="SubLibrariesLoaded">cuDNN's graph, ops and adv version checks passed (its sub-libraries load).</param>
public sealed record GpuProbeReport(bool DriverLoaded, int DriverVersion, int DeviceCount, long CudnnVersion, string? CudnnPath,
    IReadOnlyList<string> Trace, bool SubLibrariesLoaded = false)
{
    /// <summary>Whether cuDNN 9 or newer, with its sub-libraries, can run on a device here.</summary>
    public bool CudnnUsable => DriverLoaded && DeviceCount > 0 && CudnnVersion >= 90000 && SubLibrariesLoaded;

    /// <summary>The report as text, one finding per line.</summary>
    public override string ToString() => string.Join(Environment.NewLine, Trace);
}

/// <summary>
/// Probes the CUDA driver and cuDNN without creating any device state beyond <c>cuInit</c>. Results are
/// cached: libraries stay loaded for the process.
/// </summary>
public static unsafe class GpuProbe
{
    private static readonly Lazy<GpuProbeReport> s_report = new(Run);

    /// <summary>The probe's findings (run once per process).</summary>
    public static GpuProbeReport Report => s_report.Value;

    private static GpuProbeReport Run()
    {
        var trace = new List<string>();
        nint cuda = NativeLibraries.CudaDriver();
        trace.AddRange(NativeLibraries.Trace);
        if (cuda == 0)
        {
            trace.Add("CUDA driver: not available (no NVIDIA driver library found).");
            return new GpuProbeReport(false, 0, 0, 0, null, trace);
        }
        int driverVersion = 0, devices = 0;
        if (NativeLibrary.TryGetExport(cuda, "cuInit", out nint init) &&
            NativeLibrary.TryGetExport(cuda, "cuDriverGetVersion", out nint getVersion) &&
            NativeLibrary.TryGetExport(cuda, "cuDeviceGetCount", out nint getCount))
        {
            int status = ((delegate* unmanaged<uint, int>)init)(0);
            trace.Add($"cuInit(0) = {NativeStatus.CudaName(status)}");
            if (status == 0)
            {
                ((delegate* unmanaged<int*, int>)getVersion)(&driverVersion);
                int countStatus = ((delegate* unmanaged<int*, int>)getCount)(&devices);
                trace.Add($"CUDA driver {driverVersion / 1000}.{driverVersion % 1000 / 10}; cuDeviceGetCount = {NativeStatus.CudaName(countStatus)}, {devices} device(s)");
            }
        }
        else trace.Add("CUDA driver library lacks cuInit/cuDriverGetVersion/cuDeviceGetCount.");

        int before = NativeLibraries.Trace.Count;
        nint cudnn = NativeLibraries.Cudnn();
        string? path = NativeLibraries.CudnnPath;
        trace.AddRange(NativeLibraries.Trace.Skip(before));
        if (cudnn == 0)
        {
            trace.Add("cuDNN 9: not available (no libcudnn 9 found).");
            return new GpuProbeReport(true, driverVersion, devices, 0, null, trace);
        }
        long version = 0;
        if (NativeLibrary.TryGetExport(cudnn, "cudnnGetVersion", out nint getCudnnVersion))
        {
            version = (long)((delegate* unmanaged<nuint>)getCudnnVersion)();
            trace.Add($"cudnnGetVersion() = {version} from {path}");
        }
        if (version is > 0 and < 90000) trace.Add($"cuDNN {version} is older than 9; CuRnn needs cuDNN 9.");
        // cuDNN 9's start-up self-test: each check loads its sub-library (adv holds the RNN API).
        bool subLibraries = version >= 90000;
        if (subLibraries)
        {
            foreach (string check in new[] { "cudnnGraphVersionCheck", "cudnnOpsVersionCheck", "cudnnAdvVersionCheck" })
            {
                int status = NativeLibrary.TryGetExport(cudnn, check, out nint f) ? ((delegate* unmanaged<int>)f)() : -1;
                trace.Add($"{check}() = {(status == -1 ? "missing export" : NativeStatus.CudnnName(status))}");
                subLibraries &= status == 0;
            }
        }
        return new GpuProbeReport(true, driverVersion, devices, version, path, trace, subLibraries);
    }
}
