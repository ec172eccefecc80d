using CuRnn.Native.Cuda;

namespace CuRnn.Checks;

/// <summary>The device a report names.</summary>
internal static class GpuInfo
{
    /// <summary>Name and compute capability of device 0, e.g. <c>NVIDIA H100 80GB HBM3 (sm_90)</c>.</summary>
    public static string DeviceName()
    {
        using var device = CudaDevice.Open(0);
        return $"{device.Name} (sm_{device.ComputeCapability})";
    }
}
