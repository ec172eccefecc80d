using System.Runtime.InteropServices;

namespace CuRnn.Native;

/// <summary>What the GPU probe found: each library, the driver, the devices and cuDNN, with every attempt listed.</summary>
/// <param name="DriverLoaded">The CUDA driver library loaded.</param>
/// <param name="DriverVersion">cuDriverGetVersion (e.g. 13000), or 0.</param>
/// <param name="DeviceCount">CUDA devices the driver reports.</param>
/// <param name="CudnnVersion">cudnnGetVersion (e.g. 91000), or 0.</param>
/// <param name="CudnnPath">Where cuDNN loaded from.</param>
/// <param name="Trace">Every attempt and finding, one line each.</param>
public sealed record GpuProbeReport(bool DriverLoaded, int DriverVersion, int DeviceCount, long CudnnVersion, string? CudnnPath, IReadOnlyList<string> Trace)
{
    /// <summary>Whether cuDNN 9 or newer can run on a device here.</summary>
    public bool CudnnUsable => DriverLoaded && DeviceCount > 0 && CudnnVersion >= 90000;

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
        if (!NativeLibraryProbe.TryLoad(NativeLibraryNames.CudaDriver, trace, out nint cuda, out _))
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
            trace.Add($"cuInit(0) = {CudaStatusName(status)}");
            if (status == 0)
            {
                ((delegate* unmanaged<int*, int>)getVersion)(&driverVersion);
                int countStatus = ((delegate* unmanaged<int*, int>)getCount)(&devices);
                trace.Add($"CUDA driver {driverVersion / 1000}.{driverVersion % 1000 / 10}; cuDeviceGetCount = {CudaStatusName(countStatus)}, {devices} device(s)");
            }
        }
        else trace.Add("CUDA driver library lacks cuInit/cuDriverGetVersion/cuDeviceGetCount.");

        if (!NativeLibraryProbe.TryLoad(NativeLibraryNames.Cudnn, trace, out nint cudnn, out string? path))
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
        if (!NativeLibraryProbe.TryLoad(NativeLibraryNames.CudnnAdv, trace, out _, out _))
            trace.Add("cuDNN adv sub-library (RNN API) not found next to the dispatcher.");
        if (version is > 0 and < 90000) trace.Add($"cuDNN {version} is older than 9; CuRnn needs cuDNN 9.");
        return new GpuProbeReport(true, driverVersion, devices, version, path, trace);
    }

    /// <summary>The CUDA driver's name of a status code (the common ones; others as a number).</summary>
    public static string CudaStatusName(int status) => NativeStatus.CudaName(status);
}
