using System.Runtime.InteropServices;

namespace CuRnn.Distributed.Nccl;

/// <summary>A retain of a device's primary context; releasing it drops the retain.</summary>
internal sealed class PrimaryContextHandle : SafeHandle
{
    private readonly int _device;

    private PrimaryContextHandle(nint context, int device) : base(0, ownsHandle: true)
    {
        SetHandle(context);
        _device = device;
    }

    public override bool IsInvalid => handle == 0;

    /// <summary>Retains device <paramref name="ordinal"/>'s primary context and makes it current on this thread.</summary>
    public static PrimaryContextHandle RetainAndMakeCurrent(int ordinal)
    {
        NativeLoader.Require("libcuda", "NCCL needs an NVIDIA driver");
        CudaDriver.Check(CudaDriver.cuInit(0), "cuInit");
        CudaDriver.Check(CudaDriver.cuDeviceGet(out int device, ordinal), "cuDeviceGet");
        CudaDriver.Check(CudaDriver.cuDevicePrimaryCtxRetain(out nint context, device), "cuDevicePrimaryCtxRetain");
        var handle = new PrimaryContextHandle(context, device);
        try
        {
            CudaDriver.Check(CudaDriver.cuCtxSetCurrent(context), "cuCtxSetCurrent");
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    protected override bool ReleaseHandle() => CudaDriver.cuDevicePrimaryCtxRelease_v2(_device) == 0;
}

/// <summary>An NCCL communicator (ncclComm_t); releasing it destroys it.</summary>
internal sealed class NcclCommHandle : SafeHandle
{
    public NcclCommHandle(nint comm) : base(0, ownsHandle: true) => SetHandle(comm);

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle() => NcclNative.ncclCommDestroy(handle) == 0;
}
