using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CuRnn.Distributed.Nccl;

/// <summary>NCCL 2.x (libnccl.so.2, as PyTorch's nvidia/nccl/lib ships it); every call returns ncclResult_t (0 = success).</summary>
internal static unsafe partial class NcclNative
{
    private const string Library = "libnccl";

    [LibraryImport(Library)] public static partial int ncclGetVersion(out int version);
    [LibraryImport(Library)] public static partial int ncclGetUniqueId(out NcclUniqueId id);
    [LibraryImport(Library)] public static partial int ncclCommInitRank(out nint comm, int ranks, NcclUniqueId id, int rank);
    [LibraryImport(Library)] public static partial int ncclCommDestroy(nint comm);
    [LibraryImport(Library)] public static partial int ncclAllReduce(nint send, nint receive, nuint count, int datatype, int op, nint comm, nint stream);
    [LibraryImport(Library)] public static partial int ncclBroadcast(nint send, nint receive, nuint count, int datatype, int root, nint comm, nint stream);
    [LibraryImport(Library)] public static partial nint ncclGetErrorString(int result);

    public const int Sum = 0, Avg = 4;      // ncclRedOp_t; ncclAvg since 2.10

    public static void Check(int status, string call)
    {
        if (status == 0) return;
        string text = Marshal.PtrToStringUTF8(ncclGetErrorString(status)) ?? $"ncclResult {status}";
        throw new CommunicatorException("NCCL", call, status, text);
    }
}

/// <summary>ncclUniqueId: 128 opaque bytes, passed by value.</summary>
[InlineArray(128)]
internal struct NcclUniqueId
{
    private byte _first;
}

/// <summary>The CUDA driver calls a communicator needs: the device's primary context, current on this thread, and stream waits.</summary>
internal static partial class CudaDriver
{
    private const string Library = "libcuda";

    [LibraryImport(Library)] public static partial int cuInit(uint flags);
    [LibraryImport(Library)] public static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Library)] public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Library)] public static partial int cuDevicePrimaryCtxRelease_v2(int device);
    [LibraryImport(Library)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Library)] public static partial int cuStreamSynchronize(nint stream);

    public static void Check(int status, string call)
    {
        if (status != 0) throw new CommunicatorException("CUDA driver", call, status, $"CUresult {status}");
    }
}
