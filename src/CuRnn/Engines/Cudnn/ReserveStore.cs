using CuRnn.Native.Cuda;

namespace CuRnn.Engines.Cudnn;

/// <summary>
/// Where the reserve spaces of a static-mode training forward live, one per step (key = step in execution order;
/// backward visits the keys in reverse). Without swap: one device arena. With swap: a ring of a few device slots;
/// each step's reserve goes to page-locked host memory on the copy stream as soon as the step is done and comes back
/// ahead of its backward, ordered by events (no host waits), so device memory stays flat as T grows.
/// </summary>
internal sealed class ReserveStore<T> : IDisposable where T : unmanaged
{
    private const int RingSlots = 3;
    private readonly CudnnRuntime<T> _rt;
    private readonly long[] _offsets;
    private readonly long[] _sizes;
    private readonly DeviceBuffer _device;
    private readonly PinnedHostMemoryHandle? _host;
    private readonly CudaEventHandle[] _computeDone = [];
    private readonly CudaEventHandle[] _copyDone = [];
    private readonly long _slotBytes;

    public ReserveStore(CudnnRuntime<T> rt, ReadOnlySpan<long> sizes, bool swap)
    {
        _rt = rt;
        _sizes = sizes.ToArray();
        _offsets = new long[sizes.Length];
        long total = 0;
        for (int i = 0; i < sizes.Length; i++) { _offsets[i] = total; total += Align(sizes[i]); }
        Swapped = swap && sizes.Length > RingSlots;
        if (!Swapped)
        {
            _device = rt.AllocateBytes(total);
            return;
        }
        foreach (long s in sizes) _slotBytes = Math.Max(_slotBytes, Align(s));
        _device = rt.AllocateBytes(_slotBytes * RingSlots);
        _host = rt.AllocatePinned(total);
        _computeDone = new CudaEventHandle[RingSlots];
        _copyDone = new CudaEventHandle[RingSlots];
        for (int s = 0; s < RingSlots; s++)
        {
            _computeDone[s] = new CudaEventHandle(rt.Device.Context, timing: false);
            _copyDone[s] = new CudaEventHandle(rt.Device.Context, timing: false);
        }
        HostBytes = total;
    }

    public bool Swapped { get; }
    public long DeviceBytes => _device.Bytes;
    public long HostBytes { get; }
    public long Size(int key) => _sizes[key];

    private static long Align(long bytes) => (bytes + 255) & ~255L;

    /// <summary>Forward: the device memory step <paramref name="key"/> writes its reserve to.</summary>
    public nint ForForward(int key)
    {
        if (!Swapped) return _device.At(_offsets[key]);
        int slot = key % RingSlots;
        if (key >= RingSlots) CudaCopy.Wait(_rt.CurrentStream, _copyDone[slot]);   // slot's previous reserve is on the host
        return _device.At(slot * _slotBytes);
    }

    /// <summary>Forward: step <paramref name="key"/> has been queued; its reserve leaves for the host behind it.</summary>
    public void Produced(int key)
    {
        if (!Swapped) return;
        int slot = key % RingSlots;
        nint copy = _rt.CopyStream.Value;
        CudaCopy.Record(_computeDone[slot], _rt.CurrentStream);
        CudaCopy.Wait(copy, _computeDone[slot]);
        CudaCopy.DeviceToHost(_host!.Pointer + (nint)_offsets[key], _device.At(slot * _slotBytes), _sizes[key], copy);
        CudaCopy.Record(_copyDone[slot], copy);
    }

    /// <summary>Backward: queues the first reserves (the last steps) back to the device.</summary>
    public void BeginBackward()
    {
        if (!Swapped) return;
        for (int key = _sizes.Length - 1; key >= Math.Max(0, _sizes.Length - RingSlots); key--) Load(key);
    }

    /// <summary>Backward: the device memory holding step <paramref name="key"/>'s reserve, once it is there.</summary>
    public nint ForBackward(int key)
    {
        if (!Swapped) return _device.At(_offsets[key]);
        int slot = key % RingSlots;
        CudaCopy.Wait(_rt.CurrentStream, _copyDone[slot]);
        return _device.At(slot * _slotBytes);
    }

    /// <summary>Backward: step <paramref name="key"/> is done with its reserve; the slot fetches the step that comes RingSlots later.</summary>
    public void Consumed(int key)
    {
        if (!Swapped) return;
        int slot = key % RingSlots;
        CudaCopy.Record(_computeDone[slot], _rt.CurrentStream);
        if (key - RingSlots >= 0) Load(key - RingSlots);
    }

    private void Load(int key)
    {
        int slot = key % RingSlots;
        nint copy = _rt.CopyStream.Value;
        CudaCopy.Wait(copy, _computeDone[slot]);   // the slot's previous user (forward copy-out or backward step) is done
        CudaCopy.HostToDevice(_device.At(slot * _slotBytes), _host!.Pointer + (nint)_offsets[key], _sizes[key], copy);
        CudaCopy.Record(_copyDone[slot], copy);
    }

    public void Dispose()
    {
        try { _rt.Device.Context.MakeCurrent(); CudaCopy.Synchronize(_rt.CopyStream.Value); CudaCopy.Synchronize(_rt.Stream.Value); }
        catch (CuRnn.Native.CudaException) { }
        _device.Dispose();
        _host?.Dispose();
        foreach (var e in _computeDone) e.Dispose();
        foreach (var e in _copyDone) e.Dispose();
    }
}
