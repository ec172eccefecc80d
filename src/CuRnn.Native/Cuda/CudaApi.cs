using System.Runtime.InteropServices;

namespace CuRnn.Native.Cuda;

/// <summary>
/// The CUDA driver API functions CuRnn uses, bound by their exported (versioned) names. Every function returns a
/// <c>CUresult</c>; <see cref="Check"/> turns a failure into a <see cref="CudaException"/> naming the call.
/// </summary>
internal static unsafe partial class CudaApi
{
    private const string Lib = NativeLibraries.CudaDriverName;

    static CudaApi() => NativeLibraries.Register();

    public const uint StreamNonBlocking = 1;
    public const uint EventDisableTiming = 2;
    public const int AttributeMultiprocessorCount = 16;
    public const int AttributeComputeCapabilityMajor = 75;
    public const int AttributeComputeCapabilityMinor = 76;
    public const int MemoryTypeHost = 1;
    public const int MemoryTypeDevice = 2;

    [LibraryImport(Lib)] internal static partial int cuInit(uint flags);
    [LibraryImport(Lib)] internal static partial int cuDriverGetVersion(out int version);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetCount(out int count);
    [LibraryImport(Lib)] internal static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Lib)] internal static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Lib)] internal static partial int cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Lib)] internal static partial int cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(Lib)] internal static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Lib)] internal static partial int cuCtxSynchronize();
    [LibraryImport(Lib)] internal static partial int cuMemGetInfo_v2(out nuint free, out nuint total);
    [LibraryImport(Lib)] internal static partial int cuMemAlloc_v2(out ulong pointer, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemFree_v2(ulong pointer);
    [LibraryImport(Lib)] internal static partial int cuMemAllocHost_v2(out nint pointer, nuint bytes);
    [LibraryImport(Lib)] internal static partial int cuMemFreeHost(nint pointer);
    [LibraryImport(Lib)] internal static partial int cuMemcpyHtoDAsync_v2(ulong dst, void* src, nuint bytes, nint stream);
    [LibraryImport(Lib)] internal static partial int cuMemcpyDtoHAsync_v2(void* dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Lib)] internal static partial int cuMemcpyDtoDAsync_v2(ulong dst, ulong src, nuint bytes, nint stream);
    [LibraryImport(Lib)] internal static partial int cuMemcpy2DAsync_v2(in Memcpy2D copy, nint stream);
    [LibraryImport(Lib)] internal static partial int cuMemsetD8Async(ulong dst, byte value, nuint count, nint stream);
    [LibraryImport(Lib)] internal static partial int cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(Lib)] internal static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(Lib)] internal static partial int cuStreamDestroy_v2(nint stream);
    [LibraryImport(Lib)] internal static partial int cuStreamWaitEvent(nint stream, nint evt, uint flags);
    [LibraryImport(Lib)] internal static partial int cuEventCreate(out nint evt, uint flags);
    [LibraryImport(Lib)] internal static partial int cuEventRecord(nint evt, nint stream);
    [LibraryImport(Lib)] internal static partial int cuEventDestroy_v2(nint evt);
    [LibraryImport(Lib)] internal static partial int cuGetErrorString(int status, out nint text);

    /// <summary>Throws a <see cref="CudaException"/> naming <paramref name="call"/> unless <paramref name="status"/> is success.</summary>
    public static void Check(int status, string call)
    {
        if (status == 0) return;
        string? detail = null;
        try { if (cuGetErrorString(status, out nint text) == 0 && text != 0) detail = Marshal.PtrToStringUTF8(text); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        throw new CudaException(status, call, detail);
    }

    /// <summary>
    /// <c>CUDA_MEMCPY2D</c> as the <c>_v2</c> copy functions take it (64-bit sizes; CUDA 13.1 driver API reference):
    /// a copy of <see cref="Height"/> rows of <see cref="WidthInBytes"/> bytes between pitched regions.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct Memcpy2D
    {
        public nuint SrcXInBytes, SrcY;
        public int SrcMemoryType;
        public nint SrcHost;
        public ulong SrcDevice;
        public nint SrcArray;
        public nuint SrcPitch;
        public nuint DstXInBytes, DstY;
        public int DstMemoryType;
        public nint DstHost;
        public ulong DstDevice;
        public nint DstArray;
        public nuint DstPitch;
        public nuint WidthInBytes, Height;
    }
}
