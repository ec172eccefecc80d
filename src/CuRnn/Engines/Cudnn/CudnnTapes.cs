using CuRnn.Native.Cuda;
using CuRnn.Native.Cudnn;

namespace CuRnn.Engines.Cudnn;

/// <summary>
/// A dynamic-mode training forward's saved state: x, y, h0, c0 and the reserve space, on the device, or (swap) in
/// page-locked host memory from the end of the forward until the backward brings them back.
/// </summary>
internal sealed class CudnnDynamicTape<T>(PackedShape shape, RnnDataPlan? plan, RnnDescriptorHandle? rnn = null) : EngineTape where T : unmanaged
{
    private PinnedHostMemoryHandle?[]? _host;
    private CudaEventHandle? _produced;

    public PackedShape Shape { get; } = shape;
    public RnnDataPlan? Plan { get; } = plan;
    /// <summary>The descriptor the forward ran with; backward must use the same one.</summary>
    public RnnDescriptorHandle? Rnn { get; } = rnn;
    public DeviceBuffer? X, Y, Hx, Cx, Reserve;

    private DeviceBuffer?[] Saved => [X, Y, Hx, Cx, Reserve];

    public override (long Host, long Device) SavedBytes
    {
        get
        {
            long device = Saved.Sum(b => b?.Bytes ?? 0);
            long host = _host?.Sum(h => h?.Bytes ?? 0) ?? 0;
            return (host, device);
        }
    }

    /// <summary>Queues every saved buffer to page-locked host memory on the copy stream, behind the forward.</summary>
    public void SwapOut(CudnnRuntime<T> rt)
    {
        var saved = Saved;
        _host = new PinnedHostMemoryHandle?[saved.Length];
        _produced = new CudaEventHandle(rt.Device.Context, timing: false);
        CudaCopy.Record(_produced, rt.CurrentStream);
        CudaCopy.Wait(rt.CopyStream.Value, _produced);
        for (int i = 0; i < saved.Length; i++)
        {
            if (saved[i] is not { } b) continue;
            _host[i] = rt.AllocatePinned(b.Bytes);
            CudaCopy.DeviceToHost(_host[i]!.Pointer, b.Pointer, b.Bytes, rt.CopyStream.Value);
        }
    }

    /// <summary>Waits for the copies and frees the device copies.</summary>
    public void FinishSwapOut(CudnnRuntime<T> rt)
    {
        CudaCopy.Synchronize(rt.CopyStream.Value);
        X?.Dispose(); Y?.Dispose(); Hx?.Dispose(); Cx?.Dispose(); Reserve?.Dispose();
        X = Y = Hx = Cx = Reserve = null;
        _produced?.Dispose();
        _produced = null;
    }

    /// <summary>Brings swapped buffers back to the device on the copy stream; the compute stream waits on an event.</summary>
    public void SwapIn(CudnnRuntime<T> rt)
    {
        if (_host is null) return;
        var back = new DeviceBuffer?[_host.Length];
        for (int i = 0; i < _host.Length; i++)
        {
            if (_host[i] is not { } h) continue;
            back[i] = rt.AllocateBytes(h.Bytes);
            CudaCopy.HostToDevice(back[i]!.Pointer, h.Pointer, h.Bytes, rt.CopyStream.Value);
        }
        using var loaded = new CudaEventHandle(rt.Device.Context, timing: false);
        CudaCopy.Record(loaded, rt.CopyStream.Value);
        CudaCopy.Wait(rt.CurrentStream, loaded);
        (X, Y, Hx, Cx, Reserve) = (back[0], back[1], back[2], back[3], back[4]);
        // The host copies stay until the tape is disposed: the copies above may still be reading them.
    }

    public override void Dispose()
    {
        X?.Dispose(); Y?.Dispose(); Hx?.Dispose(); Cx?.Dispose(); Reserve?.Dispose();
        X = Y = Hx = Cx = Reserve = null;
        if (_host is not null) foreach (var h in _host) h?.Dispose();
        _host = null;
        _produced?.Dispose();
        Plan?.Dispose();
    }
}
