using System.Text;

namespace CuRnn.Native.Cuda;

/// <summary>
/// One CUDA device on its primary context (shared with the CUDA runtime inside cuDNN and with other libraries in the
/// process), with a tracked allocator: the high-water mark of what CuRnn allocated and of what the driver reports used.
/// </summary>
internal sealed unsafe class CudaDevice : IDisposable
{
    private long _current, _peak, _peakDriverUsed;

    private CudaDevice(int ordinal)
    {
        CudaApi.Check(CudaApi.cuInit(0), "cuInit");
        CudaApi.Check(CudaApi.cuDeviceGet(out int device, ordinal), $"cuDeviceGet({ordinal})");
        Ordinal = ordinal;
        byte* name = stackalloc byte[256];
        CudaApi.Check(CudaApi.cuDeviceGetName(name, 256, device), "cuDeviceGetName");
        Name = Encoding.UTF8.GetString(name, new ReadOnlySpan<byte>(name, 256).IndexOf((byte)0) is var n and >= 0 ? n : 256);
        CudaApi.Check(CudaApi.cuDeviceGetAttribute(out int major, CudaApi.AttributeComputeCapabilityMajor, device), "cuDeviceGetAttribute(major)");
        CudaApi.Check(CudaApi.cuDeviceGetAttribute(out int minor, CudaApi.AttributeComputeCapabilityMinor, device), "cuDeviceGetAttribute(minor)");
        ComputeCapability = major * 10 + minor;
        Context = new PrimaryContextHandle(device);
        Context.MakeCurrent();
        SampleDriverUsage();
    }

    /// <summary>Opens device <paramref name="ordinal"/> and retains its primary context.</summary>
    public static CudaDevice Open(int ordinal = 0) => new(ordinal);

    public int Ordinal { get; }
    public string Name { get; }
    /// <summary>Compute capability as major*10 + minor (90 for an H100).</summary>
    public int ComputeCapability { get; }
    public PrimaryContextHandle Context { get; }

    /// <summary>Bytes CuRnn holds on the device now, and the most it held at once.</summary>
    public long CurrentBytes => Interlocked.Read(ref _current);
    public long PeakBytes => Interlocked.Read(ref _peak);
    /// <summary>The most device memory the driver reported used (by every user of the device) at CuRnn's allocations.</summary>
    public long PeakDriverUsedBytes => Interlocked.Read(ref _peakDriverUsed);

    public void ResetPeaks()
    {
        Interlocked.Exchange(ref _peak, CurrentBytes);
        Interlocked.Exchange(ref _peakDriverUsed, 0);
        SampleDriverUsage();
    }

    /// <summary>Free and total device memory as the driver reports them.</summary>
    public (long Free, long Total) MemoryInfo()
    {
        Context.MakeCurrent();
        CudaApi.Check(CudaApi.cuMemGetInfo_v2(out nuint free, out nuint total), "cuMemGetInfo_v2");
        return ((long)free, (long)total);
    }

    /// <summary>Allocates tracked device memory (zero bytes gives a valid empty buffer).</summary>
    public DeviceBuffer Allocate(long bytes)
    {
        Context.MakeCurrent();
        var handle = new DeviceMemoryHandle(Context, bytes);
        long now = Interlocked.Add(ref _current, bytes);
        long peak;
        while (now > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
        SampleDriverUsage();
        return new DeviceBuffer(this, handle);
    }

    internal void Released(long bytes) => Interlocked.Add(ref _current, -bytes);

    // Sampled after every allocation: the driver's used bytes are highest right after CuRnn allocates.
    private void SampleDriverUsage()
    {
        if (CudaApi.cuMemGetInfo_v2(out nuint free, out nuint total) != 0) return;
        long used = (long)total - (long)free, peak;
        while (used > (peak = Interlocked.Read(ref _peakDriverUsed)) && Interlocked.CompareExchange(ref _peakDriverUsed, used, peak) != peak) { }
    }

    public void Dispose() => Context.Dispose();
}

/// <summary>Device memory counted by its <see cref="CudaDevice"/>; freed (and uncounted) once, on dispose or finalization.</summary>
internal sealed class DeviceBuffer : IDisposable
{
    private readonly CudaDevice _device;
    private readonly DeviceMemoryHandle _handle;
    private int _released;

    internal DeviceBuffer(CudaDevice device, DeviceMemoryHandle handle)
    {
        _device = device;
        _handle = handle;
    }

    public long Bytes => _handle.Bytes;
    /// <summary>The device address (0 for an empty buffer).</summary>
    public nint Pointer => _handle.Pointer;
    public nint At(long byteOffset) => Bytes == 0 ? 0 : _handle.Pointer + (nint)byteOffset;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        _device.Context.MakeCurrent();
        _handle.Dispose();
        _device.Released(Bytes);
    }
}
