using System.Runtime.InteropServices;

/// <summary>
/// The few CUDA driver calls an app makes to hold device buffers of its own (any GPU library's allocations would do):
/// the device's primary context, which the layer shares, and memory with copies to and from the host.
/// </summary>
internal static partial class CudaDriver
{
    private const string Library = "libcuda.so.1";

    /// <summary>Makes device <paramref name="ordinal"/>'s primary context current on this thread; release with <see cref="Release"/>.</summary>
    public static void Retain(int ordinal)
    {
        Check(cuInit(0), "cuInit");
        Check(cuDeviceGet(out int device, ordinal), "cuDeviceGet");
        Check(cuDevicePrimaryCtxRetain(out nint context, device), "cuDevicePrimaryCtxRetain");
        Check(cuCtxSetCurrent(context), "cuCtxSetCurrent");
    }

    public static void Release(int ordinal)
    {
        Check(cuDeviceGet(out int device, ordinal), "cuDeviceGet");
        Check(cuDevicePrimaryCtxRelease_v2(device), "cuDevicePrimaryCtxRelease_v2");
    }

    /// <summary>A device buffer holding <paramref name="values"/>.</summary>
    public static unsafe nint Upload(ReadOnlySpan<float> values)
    {
        nint buffer = Allocate(values.Length);
        fixed (float* source = values) Check(cuMemcpyHtoD_v2(buffer, source, (nuint)values.Length * sizeof(float)), "cuMemcpyHtoD_v2");
        return buffer;
    }

    public static nint Allocate(int floats)
    {
        Check(cuMemAlloc_v2(out nint buffer, (nuint)floats * sizeof(float)), "cuMemAlloc_v2");
        return buffer;
    }

    /// <summary>Waits for the device, then copies <paramref name="destination"/>.Length floats from <paramref name="buffer"/>.</summary>
    public static unsafe void Download(nint buffer, Span<float> destination)
    {
        Check(cuCtxSynchronize(), "cuCtxSynchronize");
        fixed (float* target = destination) Check(cuMemcpyDtoH_v2(target, buffer, (nuint)destination.Length * sizeof(float)), "cuMemcpyDtoH_v2");
    }

    public static void Free(nint buffer)
    {
        if (buffer != 0) Check(cuMemFree_v2(buffer), "cuMemFree_v2");
    }

    private static void Check(int status, string call)
    {
        if (status != 0) throw new InvalidOperationException($"{call} failed with CUresult {status}.");
    }

    [LibraryImport(Library)] private static partial int cuInit(uint flags);
    [LibraryImport(Library)] private static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Library)] private static partial int cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Library)] private static partial int cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(Library)] private static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Library)] private static partial int cuCtxSynchronize();
    [LibraryImport(Library)] private static partial int cuMemAlloc_v2(out nint buffer, nuint bytes);
    [LibraryImport(Library)] private static partial int cuMemFree_v2(nint buffer);
    [LibraryImport(Library)] private static unsafe partial int cuMemcpyHtoD_v2(nint destination, void* source, nuint bytes);
    [LibraryImport(Library)] private static unsafe partial int cuMemcpyDtoH_v2(void* destination, nint source, nuint bytes);
}
