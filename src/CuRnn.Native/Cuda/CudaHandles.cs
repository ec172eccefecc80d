using System.Runtime.InteropServices;

namespace CuRnn.Native.Cuda;

/// <summary>A retained primary context of one device; released (not destroyed) when the handle closes.</summary>
internal sealed class PrimaryContextHandle : SafeHandle
{
    public PrimaryContextHandle(int device) : base(0, ownsHandle: true)
    {
        Device = device;
        CudaApi.Check(CudaApi.cuDevicePrimaryCtxRetain(out nint context, device), "cuDevicePrimaryCtxRetain");
        SetHandle(context);
    }

    public int Device { get; }
    public override bool IsInvalid => handle == 0;

    /// <summary>Makes the context current on the calling thread (cuDNN and the driver act on the current context).</summary>
    public void MakeCurrent() => CudaApi.Check(CudaApi.cuCtxSetCurrent(handle), "cuCtxSetCurrent");

    protected override bool ReleaseHandle() => CudaApi.cuDevicePrimaryCtxRelease_v2(Device) == 0;
}

/// <summary>
/// Base of handles whose release needs their context current (a finalizer thread has none). Holds a reference on
/// the context so it outlives every object made in it.
/// </summary>
internal abstract class ContextBoundHandle : SafeHandle
{
    private readonly PrimaryContextHandle _context;
    private bool _contextReferenced;

    protected ContextBoundHandle(PrimaryContextHandle context) : base(0, ownsHandle: true)
    {
        _context = context;
        context.DangerousAddRef(ref _contextReferenced);
    }

    public override bool IsInvalid => handle == 0;

    protected sealed override bool ReleaseHandle()
    {
        bool ok = CudaApi.cuCtxSetCurrent(_context.DangerousGetHandle()) == 0 && Release(handle);
        if (_contextReferenced) _context.DangerousRelease();
        return ok;
    }

    protected abstract bool Release(nint value);
}

/// <summary>Device memory from <c>cuMemAlloc_v2</c>.</summary>
internal sealed class DeviceMemoryHandle : ContextBoundHandle
{
    public DeviceMemoryHandle(PrimaryContextHandle context, long bytes) : base(context)
    {
        Bytes = bytes;
        if (bytes == 0) return;
        CudaApi.Check(CudaApi.cuMemAlloc_v2(out ulong pointer, (nuint)bytes), $"cuMemAlloc_v2({bytes} bytes)");
        SetHandle((nint)pointer);
    }

    public long Bytes { get; }
    public nint Pointer => handle;
    public override bool IsInvalid => false;   // a zero-byte buffer is valid and frees nothing
    protected override bool Release(nint value) => value == 0 || CudaApi.cuMemFree_v2((ulong)value) == 0;
}

/// <summary>Page-locked host memory from <c>cuMemAllocHost_v2</c> (copies to and from it run asynchronously).</summary>
internal sealed class PinnedHostMemoryHandle : ContextBoundHandle
{
    public PinnedHostMemoryHandle(PrimaryContextHandle context, long bytes) : base(context)
    {
        Bytes = bytes;
        if (bytes == 0) return;
        CudaApi.Check(CudaApi.cuMemAllocHost_v2(out nint pointer, (nuint)bytes), $"cuMemAllocHost_v2({bytes} bytes)");
        SetHandle(pointer);
    }

    public long Bytes { get; }
    public nint Pointer => handle;
    public override bool IsInvalid => false;
    protected override bool Release(nint value) => value == 0 || CudaApi.cuMemFreeHost(value) == 0;
}

/// <summary>A non-blocking CUDA stream.</summary>
internal sealed class CudaStreamHandle : ContextBoundHandle
{
    public CudaStreamHandle(PrimaryContextHandle context) : base(context)
    {
        CudaApi.Check(CudaApi.cuStreamCreate(out nint stream, CudaApi.StreamNonBlocking), "cuStreamCreate");
        SetHandle(stream);
    }

    public nint Value => handle;
    protected override bool Release(nint value) => CudaApi.cuStreamDestroy_v2(value) == 0;
}

/// <summary>A CUDA event (timing optional).</summary>
internal sealed class CudaEventHandle : ContextBoundHandle
{
    public CudaEventHandle(PrimaryContextHandle context, bool timing) : base(context)
    {
        CudaApi.Check(CudaApi.cuEventCreate(out nint evt, timing ? 0u : CudaApi.EventDisableTiming), "cuEventCreate");
        SetHandle(evt);
    }

    public nint Value => handle;
    protected override bool Release(nint value) => CudaApi.cuEventDestroy_v2(value) == 0;
}
