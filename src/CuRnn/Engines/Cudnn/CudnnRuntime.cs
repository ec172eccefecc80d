using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using CuRnn.Native.Cuda;
using CuRnn.Native.Cudnn;

namespace CuRnn.Engines.Cudnn;

/// <summary>
/// What every cuDNN call of one layer shares: the device and its primary context, the cuDNN handle, a compute and a
/// copy stream, the device element type, and page-locked staging for host transfers.
/// </summary>
internal sealed unsafe class CudnnRuntime<T> : IDisposable where T : unmanaged
{
    private PinnedHostMemoryHandle? _staging;

    public CudnnRuntime(RnnOptions options)
    {
        if (options.Precision != RnnPrecision.Strict && typeof(T) != typeof(float))
            throw new ArgumentException($"Precision {options.Precision} needs Rnn<float>; Rnn<{typeof(T).Name}> runs in strict {typeof(T).Name}.", nameof(options));
        Device = CudaDevice.Open(options.DeviceOrdinal);
        Handle = new CudnnHandle(Device.Context);
        Stream = new CudaStreamHandle(Device.Context);
        CopyStream = new CudaStreamHandle(Device.Context);
        Handle.SetStream(Stream.Value);
        Precision = options.Precision;
        DataType = typeof(T) == typeof(double) ? CudnnDataType.Double : options.Precision == RnnPrecision.Half ? CudnnDataType.Half : CudnnDataType.Float;
        MathPrecision = DataType == CudnnDataType.Double ? CudnnDataType.Double : CudnnDataType.Float;
        // FMA math forbids TF32 for FP32 (as PyTorch does when TF32 is off); DEFAULT lets cuDNN use TF32 tensor cores.
        MathType = options.Precision switch
        {
            RnnPrecision.TensorFloat32 => CudnnMathType.Default,
            RnnPrecision.Half => CudnnMathType.TensorOp,
            _ => DataType == CudnnDataType.Double ? CudnnMathType.Default : CudnnMathType.Fma,
        };
        ElementBytes = DataType switch { CudnnDataType.Double => 8, CudnnDataType.Half => 2, _ => 4 };
    }

    public CudaDevice Device { get; }
    public CudnnHandle Handle { get; }
    public CudaStreamHandle Stream { get; }
    public CudaStreamHandle CopyStream { get; }
    public RnnPrecision Precision { get; }
    public CudnnDataType DataType { get; }
    public CudnnDataType MathPrecision { get; }
    public CudnnMathType MathType { get; }
    /// <summary>Bytes of one element on the device (2 for FP16, else sizeof(T)).</summary>
    public int ElementBytes { get; }

    /// <summary>The stream cuDNN runs on: the layer's own, or the app's for device-pointer calls.</summary>
    public nint CurrentStream { get; private set; }

    /// <summary>Makes the context current on this thread and points cuDNN at <paramref name="appStream"/> (0: the layer's stream).</summary>
    public void Enter(nint appStream = 0)
    {
        Device.Context.MakeCurrent();
        CurrentStream = appStream == 0 ? Stream.Value : appStream;
        Handle.SetStream(CurrentStream);
    }

    public DeviceBuffer Allocate(long elements) => Device.Allocate(elements * ElementBytes);
    public DeviceBuffer AllocateBytes(long bytes) => Device.Allocate(bytes);

    /// <summary>Page-locked staging of at least <paramref name="bytes"/>, reused across calls (grows, never shrinks).</summary>
    public nint Staging(long bytes)
    {
        if (_staging is null || _staging.Bytes < bytes)
        {
            _staging?.Dispose();
            _staging = null;
            _staging = new PinnedHostMemoryHandle(Device.Context, Math.Max(bytes, 1 << 16));
        }
        return _staging.Pointer;
    }

    public PinnedHostMemoryHandle AllocatePinned(long bytes) => new(Device.Context, bytes);

    /// <summary>Host <typeparamref name="T"/> → device element format at <paramref name="dst"/> (host memory).</summary>
    public void Encode(ReadOnlySpan<T> src, nint dst)
    {
        if (DataType == CudnnDataType.Half)
            TensorPrimitives.ConvertToHalf(MemoryMarshal.Cast<T, float>(src), new Span<Half>((void*)dst, src.Length));
        else
            src.CopyTo(new Span<T>((void*)dst, src.Length));
    }

    /// <summary>Device element format at <paramref name="src"/> (host memory) → host <typeparamref name="T"/>.</summary>
    public void Decode(nint src, Span<T> dst)
    {
        if (DataType == CudnnDataType.Half)
            TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>((void*)src, dst.Length), MemoryMarshal.Cast<T, float>(dst));
        else
            new ReadOnlySpan<T>((void*)src, dst.Length).CopyTo(dst);
    }

    /// <summary>A view of device-format host memory as <typeparamref name="T"/> (only when no conversion applies).</summary>
    public bool SameFormat => DataType != CudnnDataType.Half;

    /// <summary>Uploads host elements through the staging buffer and waits (the staging buffer is reused).</summary>
    public void Upload(ReadOnlySpan<T> src, nint dst)
    {
        if (src.IsEmpty) return;
        nint stage = Staging((long)src.Length * ElementBytes);
        Encode(src, stage);
        CudaCopy.HostToDevice(dst, stage, (long)src.Length * ElementBytes, CurrentStream);
        CudaCopy.Synchronize(CurrentStream);
    }

    /// <summary>Downloads device elements into host <typeparamref name="T"/> (waits for the stream).</summary>
    public void Download(nint src, Span<T> dst)
    {
        if (dst.IsEmpty) return;
        nint stage = Staging((long)dst.Length * ElementBytes);
        CudaCopy.DeviceToHost(stage, src, (long)dst.Length * ElementBytes, CurrentStream);
        CudaCopy.Synchronize(CurrentStream);
        Decode(stage, dst);
    }

    /// <summary>c += a over <paramref name="elements"/> device elements (cuDNN's cudnnAddTensor; no custom kernel).</summary>
    public void AddInto(nint c, nint a, long elements)
    {
        if (elements == 0) return;
        using var desc = new TensorDescriptorHandle();
        desc.SetVector4D(DataType, checked((int)elements));
        if (DataType == CudnnDataType.Double)
        {
            double one = 1;
            CudnnApi.Check(CudnnApi.cudnnAddTensor(Handle.Value, &one, desc.Value, a, &one, desc.Value, c), "cudnnAddTensor");
        }
        else
        {
            float one = 1;   // FP32 scaling factors for float and half data
            CudnnApi.Check(CudnnApi.cudnnAddTensor(Handle.Value, &one, desc.Value, a, &one, desc.Value, c), "cudnnAddTensor");
        }
    }

    public void Dispose()
    {
        try { Device.Context.MakeCurrent(); CudaCopy.Synchronize(Stream.Value); CudaCopy.Synchronize(CopyStream.Value); }
        catch (CuRnn.Native.CudaException) { }
        _staging?.Dispose();
        CopyStream.Dispose();
        Stream.Dispose();
        Handle.Dispose();
        Device.Dispose();
    }
}
