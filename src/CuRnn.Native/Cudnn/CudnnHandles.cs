using CuRnn.Native.Cuda;

namespace CuRnn.Native.Cudnn;

/// <summary>A cuDNN handle, made in (and keeping alive) a primary context.</summary>
internal sealed class CudnnHandle : ContextBoundHandle
{
    public CudnnHandle(PrimaryContextHandle context) : base(context)
    {
        context.MakeCurrent();
        CudnnApi.Check(CudnnApi.cudnnCreate(out nint h), "cudnnCreate");
        SetHandle(h);
    }

    public nint Value => handle;
    public void SetStream(nint stream) => CudnnApi.Check(CudnnApi.cudnnSetStream(handle, stream), "cudnnSetStream");
    protected override bool Release(nint value) => CudnnApi.cudnnDestroy(value) == 0;
}

/// <summary>An N-d tensor descriptor (cuDNN's RNN API takes 3-d ones for h and c).</summary>
internal sealed unsafe class TensorDescriptorHandle : System.Runtime.InteropServices.SafeHandle
{
    public TensorDescriptorHandle() : base(0, ownsHandle: true)
    {
        CudnnApi.Check(CudnnApi.cudnnCreateTensorDescriptor(out nint d), "cudnnCreateTensorDescriptor");
        SetHandle(d);
    }

    public nint Value => handle;
    public override bool IsInvalid => handle == 0;

    /// <summary>Sets a fully packed 3-d shape (strides derived).</summary>
    public void Set3D(CudnnDataType type, int d0, int d1, int d2)
    {
        int* dims = stackalloc int[3] { d0, d1, d2 };
        int* strides = stackalloc int[3] { d1 * d2, d2, 1 };
        CudnnApi.Check(CudnnApi.cudnnSetTensorNdDescriptor(handle, type, 3, dims, strides), $"cudnnSetTensorNdDescriptor([{d0},{d1},{d2}])");
    }

    /// <summary>
    /// Sets a packed vector of <paramref name="elements"/> as a 4-d [1, n, 1, 1] shape: cuDNN's tensor operations
    /// (cudnnAddTensor) refuse descriptors of fewer than 4 dimensions.
    /// </summary>
    public void SetVector4D(CudnnDataType type, int elements)
    {
        int* dims = stackalloc int[4] { 1, elements, 1, 1 };
        int* strides = stackalloc int[4] { elements, 1, 1, 1 };
        CudnnApi.Check(CudnnApi.cudnnSetTensorNdDescriptor(handle, type, 4, dims, strides), $"cudnnSetTensorNdDescriptor([1,{elements},1,1])");
    }

    protected override bool ReleaseHandle() => CudnnApi.cudnnDestroyTensorDescriptor(handle) == 0;
}

/// <summary>A dropout descriptor and the device RNG states it points to (kept alive with it).</summary>
internal sealed class DropoutDescriptorHandle : System.Runtime.InteropServices.SafeHandle
{
    private DeviceMemoryHandle? _states;
    private bool _statesReferenced;

    public DropoutDescriptorHandle() : base(0, ownsHandle: true)
    {
        CudnnApi.Check(CudnnApi.cudnnCreateDropoutDescriptor(out nint d), "cudnnCreateDropoutDescriptor");
        SetHandle(d);
    }

    public nint Value => handle;
    public override bool IsInvalid => handle == 0;

    /// <summary>p = 0: no states (cuDNN's cheap "no dropout"). p &gt; 0: allocates and seeds the RNG states.</summary>
    public void Set(CudnnHandle cudnn, PrimaryContextHandle context, float probability, ulong seed)
    {
        if (probability == 0)
        {
            CudnnApi.Check(CudnnApi.cudnnSetDropoutDescriptor(handle, cudnn.Value, 0f, 0, 0, 0), "cudnnSetDropoutDescriptor(p=0)");
            return;
        }
        if (_states is null)
        {
            CudnnApi.Check(CudnnApi.cudnnDropoutGetStatesSize(cudnn.Value, out nuint size), "cudnnDropoutGetStatesSize");
            var states = new DeviceMemoryHandle(context, (long)size);
            states.DangerousAddRef(ref _statesReferenced);
            _states = states;
        }
        // Setting again with a new seed re-initialises the same states in place (a reseed).
        CudnnApi.Check(CudnnApi.cudnnSetDropoutDescriptor(handle, cudnn.Value, probability, _states.Pointer, (nuint)_states.Bytes, seed),
            $"cudnnSetDropoutDescriptor(p={probability})");
    }

    public long StateBytes => _states?.Bytes ?? 0;

    protected override bool ReleaseHandle()
    {
        bool ok = CudnnApi.cudnnDestroyDropoutDescriptor(handle) == 0;
        if (_statesReferenced) { _states!.DangerousRelease(); _states.Dispose(); }
        return ok;
    }
}

/// <summary>An RNN descriptor; holds its dropout descriptor alive, as cuDNN reads it on every call.</summary>
internal sealed class RnnDescriptorHandle : System.Runtime.InteropServices.SafeHandle
{
    private readonly DropoutDescriptorHandle _dropout;
    private bool _dropoutReferenced;

    public RnnDescriptorHandle(DropoutDescriptorHandle dropout) : base(0, ownsHandle: true)
    {
        CudnnApi.Check(CudnnApi.cudnnCreateRNNDescriptor(out nint d), "cudnnCreateRNNDescriptor");
        SetHandle(d);
        _dropout = dropout;
        dropout.DangerousAddRef(ref _dropoutReferenced);
    }

    public nint Value => handle;
    public nint Dropout => _dropout.Value;
    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        bool ok = CudnnApi.cudnnDestroyRNNDescriptor(handle) == 0;
        if (_dropoutReferenced) _dropout.DangerousRelease();
        return ok;
    }
}

/// <summary>An RNN data descriptor (layout, lengths, vector size of x, y, dx or dy).</summary>
internal sealed unsafe class RnnDataDescriptorHandle : System.Runtime.InteropServices.SafeHandle
{
    public RnnDataDescriptorHandle() : base(0, ownsHandle: true)
    {
        CudnnApi.Check(CudnnApi.cudnnCreateRNNDataDescriptor(out nint d), "cudnnCreateRNNDataDescriptor");
        SetHandle(d);
    }

    public nint Value => handle;
    public override bool IsInvalid => handle == 0;

    /// <summary>Sets the descriptor; cuDNN copies the lengths. Padding is left to the caller (outputs are zeroed before the call).</summary>
    public void Set(CudnnDataType type, CudnnRnnDataLayout layout, int maxSeqLength, ReadOnlySpan<int> lengths, int vectorSize)
    {
        fixed (int* len = lengths)
        {
            CudnnApi.Check(CudnnApi.cudnnSetRNNDataDescriptor(handle, type, layout, maxSeqLength, lengths.Length, vectorSize, len, null),
                $"cudnnSetRNNDataDescriptor({layout}, T={maxSeqLength}, B={lengths.Length}, vector={vectorSize})");
        }
    }

    protected override bool ReleaseHandle() => CudnnApi.cudnnDestroyRNNDataDescriptor(handle) == 0;
}
