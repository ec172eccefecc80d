using CuRnn.Managed;
using CuRnn.Native.Cuda;
using CuRnn.Native.Cudnn;

namespace CuRnn.Engines.Cudnn;

/// <summary>
/// One cuDNN RNN configuration over a range of the layer's parameters: the whole layer (dynamic mode) or one layer
/// and direction (static mode). Owns its RNN descriptor(s), its weight space and the map between the weight space and
/// the flat PyTorch-ordered parameters, built from <c>cudnnGetRNNWeightParams</c> (same gate order as PyTorch).
/// </summary>
internal sealed unsafe class CudnnNetwork<T> : IDisposable where T : unmanaged
{
    /// <summary>One contiguous run shared by the flat parameters and the weight space.</summary>
    private readonly record struct Segment(int FlatOffset, long SpaceOffset, int Length);

    private readonly CudnnRuntime<T> _rt;
    private readonly RnnOptions _o;
    private readonly DropoutDescriptorHandle _dropout;
    private readonly Segment[] _segments;
    private readonly ParameterLayout _layout;
    private RnnDescriptorHandle? _paddedIo;
    private RnnDescriptorHandle? _smallHidden;
    private bool _smallHiddenRefused;

    // firstLayer, layers: the part of the layer's stack this network runs; direction: -1 for both directions as the
    // options say, 0 or 1 for only that direction (a unidirectional network).
    public CudnnNetwork(CudnnRuntime<T> rt, RnnOptions o, ParameterLayout layout, DropoutDescriptorHandle dropout,
        int firstLayer, int layers, int direction)
    {
        _rt = rt;
        _o = o;
        _dropout = dropout;
        _layout = layout;
        FirstLayer = firstLayer;
        Layers = layers;
        Direction = direction;
        Directions = direction < 0 ? o.Directions : 1;
        InputSize = firstLayer == 0 ? o.InputSize : o.OutputFeatures;
        Descriptor = CreateDescriptor(CudnnAuxFlags.PaddedIoDisabled);
        CudnnApi.Check(CudnnApi.cudnnGetRNNWeightSpaceSize(rt.Handle.Value, Descriptor.Value, out nuint bytes), "cudnnGetRNNWeightSpaceSize");
        WeightBytes = (long)bytes;
        Weights = rt.AllocateBytes(WeightBytes);
        _segments = MapWeights(Descriptor, layout);
    }

    public int FirstLayer { get; }
    public int Layers { get; }
    public int Direction { get; }
    public int Directions { get; }
    public int InputSize { get; }
    public RnnDescriptorHandle Descriptor { get; }
    public long WeightBytes { get; }
    public DeviceBuffer Weights { get; }
    /// <summary>Whether the weight space holds exactly the flat parameters, in the same order, with no gaps.</summary>
    public bool SpaceIsFlatLayout { get; private set; }

    /// <summary>The descriptor with padded I/O enabled (unpacked layouts with unequal lengths), made on first use.</summary>
    public RnnDescriptorHandle PaddedIoDescriptor
    {
        get
        {
            if (_paddedIo is not null) return _paddedIo;
            var d = CreateDescriptor(CudnnAuxFlags.PaddedIoEnabled);
            CudnnApi.Check(CudnnApi.cudnnGetRNNWeightSpaceSize(_rt.Handle.Value, d.Value, out nuint bytes), "cudnnGetRNNWeightSpaceSize");
            if ((long)bytes != WeightBytes)
                throw new InvalidOperationException($"cuDNN reports a weight space of {bytes} bytes with padded I/O and {WeightBytes} without; CuRnn shares one weight space between them.");
            return _paddedIo = d;
        }
    }

    /// <summary>
    /// cuDNN's persistent kernel for small hidden sizes (PERSIST_STATIC_SMALL_H, padded I/O, as PyTorch picks it):
    /// one launch for the whole sequence instead of a few per step, for batches whose sequences all have the same
    /// length. Null where it does not apply (projection, double, a large hidden size, or cuDNN refused it here).
    /// </summary>
    /// <param name="training">Training calls run backward with the same descriptor, so they take the backward's limits.</param>
    public RnnDescriptorHandle? SmallHiddenDescriptor(bool training)
    {
        if (_smallHiddenRefused || !SmallHiddenFits(training)) return null;
        if (_smallHidden is not null) return _smallHidden;
        var d = CreateDescriptor(CudnnAuxFlags.PaddedIoEnabled, CudnnRnnAlgo.PersistStaticSmallH);
        CudnnApi.Check(CudnnApi.cudnnGetRNNWeightSpaceSize(_rt.Handle.Value, d.Value, out nuint bytes), "cudnnGetRNNWeightSpaceSize(PERSIST_STATIC_SMALL_H)");
        // One weight space serves every descriptor: take this one only if cuDNN lays the weights out the same way.
        bool flat = SpaceIsFlatLayout;
        bool same = (long)bytes == WeightBytes && MapWeights(d, _layout).AsSpan().SequenceEqual(_segments);
        SpaceIsFlatLayout = flat;
        if (!same)
        {
            d.Dispose();
            _smallHiddenRefused = true;
            return null;
        }
        return _smallHidden = d;
    }

    /// <summary>cuDNN answered NOT_SUPPORTED for the small-hidden descriptor: use the standard one from now on.</summary>
    public void RefuseSmallHidden() => _smallHiddenRefused = true;

    // PyTorch's limits for this algorithm (forward: tanh/ReLU <= 384, LSTM/GRU <= 192; backward: 256 / 128; SM >= 6.0).
    private bool SmallHiddenFits(bool training)
    {
        if (_o.ProjectionSize > 0 || _rt.DataType == CudnnDataType.Double || _rt.Device.ComputeCapability < 60) return false;
        bool plain = _o.Cell is RnnCellKind.RnnTanh or RnnCellKind.RnnRelu;
        int limit = training ? (plain ? 256 : 128) : (plain ? 384 : 192);
        return _o.HiddenSize <= limit;
    }

    private RnnDescriptorHandle CreateDescriptor(uint auxFlags, CudnnRnnAlgo algo = CudnnRnnAlgo.Standard)
    {
        var d = new RnnDescriptorHandle(_dropout);
        var mode = _o.Cell switch
        {
            RnnCellKind.RnnRelu => CudnnRnnMode.Relu,
            RnnCellKind.RnnTanh => CudnnRnnMode.Tanh,
            RnnCellKind.Lstm => CudnnRnnMode.Lstm,
            _ => CudnnRnnMode.Gru,
        };
        // STANDARD: the only algorithm that takes projection and unequal lengths in one batch.
        CudnnApi.Check(CudnnApi.cudnnSetRNNDescriptor_v8(d.Value, algo, mode,
            _o.Bias ? CudnnRnnBiasMode.Double : CudnnRnnBiasMode.NoBias,
            Directions == 2 ? CudnnDirectionMode.Bidirectional : CudnnDirectionMode.Unidirectional,
            CudnnRnnInputMode.Linear, _rt.DataType, _rt.MathPrecision, _rt.MathType,
            InputSize, _o.HiddenSize, _o.OutputSize, Layers, _dropout.Value, auxFlags),
            $"cudnnSetRNNDescriptor_v8({algo}, {_o.Cell}, I={InputSize}, H={_o.HiddenSize}, P={_o.OutputSize}, L={Layers}, D={Directions})");
        return d;
    }

    // For each pseudo-layer and linear-layer ID, where cuDNN keeps the block and where PyTorch's name keeps it.
    private Segment[] MapWeights(RnnDescriptorHandle desc, ParameterLayout layout)
    {
        int g = _o.Cell.GateCount(), h = _o.HiddenSize;
        bool projection = _o.ProjectionSize > 0;
        int ids = 2 * g + (projection ? 1 : 0);
        var segments = new List<Segment>();
        using var mDesc = new TensorDescriptorHandle();
        using var bDesc = new TensorDescriptorHandle();
        for (int pseudo = 0; pseudo < Layers * Directions; pseudo++)
        {
            int layer = FirstLayer + pseudo / Directions;
            int dir = Direction >= 0 ? Direction : pseudo % Directions;
            for (int id = 0; id < ids; id++)
            {
                CudnnApi.Check(CudnnApi.cudnnGetRNNWeightParams(_rt.Handle.Value, desc.Value, pseudo, (nuint)WeightBytes, Weights.Pointer, id,
                    mDesc.Value, out nint mAddr, bDesc.Value, out nint bAddr), $"cudnnGetRNNWeightParams(pseudoLayer {pseudo}, linLayerID {id})");
                bool isProjection = projection && id == 2 * g;
                bool recurrent = !isProjection && id >= g;
                int gate = isProjection ? 0 : id % g;
                var matrixKind = isProjection ? RnnParameterKind.ProjectionWeight : recurrent ? RnnParameterKind.RecurrentWeight : RnnParameterKind.InputWeight;
                var matrix = layout.Find(layer, dir, matrixKind)!;
                int blockLength = isProjection ? matrix.Length : h * matrix.Columns;
                Add(segments, mAddr, mDesc, matrix.Offset + gate * blockLength, blockLength, $"{matrix.Name} gate {gate}");
                if (isProjection || !_o.Bias) continue;
                var bias = layout.Find(layer, dir, recurrent ? RnnParameterKind.RecurrentBias : RnnParameterKind.InputBias)!;
                Add(segments, bAddr, bDesc, bias.Offset + gate * h, h, $"{bias.Name} gate {gate}");
            }
        }
        segments.Sort((a, b) => a.FlatOffset.CompareTo(b.FlatOffset));
        long expected = 0;
        int flatStart = segments.Count == 0 ? 0 : segments[0].FlatOffset;
        bool flat = true;
        foreach (var s in segments)
        {
            flat &= s.SpaceOffset == expected && s.FlatOffset - flatStart == expected;
            expected += s.Length;
        }
        SpaceIsFlatLayout = flat && expected * _rt.ElementBytes == WeightBytes;
        return segments.ToArray();
    }

    private void Add(List<Segment> segments, nint address, TensorDescriptorHandle desc, int flatOffset, int length, string what)
    {
        if (address == 0) throw new InvalidOperationException($"cuDNN returned no address for {what}.");
        int* dims = stackalloc int[8];
        int* strides = stackalloc int[8];
        CudnnApi.Check(CudnnApi.cudnnGetTensorNdDescriptor(desc.Value, 8, out _, out int nb, dims, strides), "cudnnGetTensorNdDescriptor");
        long count = 1;
        for (int i = 0; i < nb; i++) count *= dims[i];
        if (count != length)
            throw new InvalidOperationException($"cuDNN's block for {what} has {count} elements; CuRnn expects {length} (PyTorch's shape).");
        long offset = (long)(address - Weights.Pointer);
        if (offset % _rt.ElementBytes != 0 || offset < 0 || offset + (long)length * _rt.ElementBytes > WeightBytes)
            throw new InvalidOperationException($"cuDNN placed {what} at byte {offset}, outside its {WeightBytes}-byte weight space.");
        segments.Add(new Segment(flatOffset, offset / _rt.ElementBytes, length));
    }

    /// <summary>Element count of the weight space.</summary>
    public long SpaceElements => WeightBytes / _rt.ElementBytes;

    /// <summary>Writes the flat parameters into the weight space (unmapped bytes stay zero).</summary>
    public void Upload(ReadOnlySpan<T> flat)
    {
        nint stage = _rt.Staging(WeightBytes);
        new Span<byte>((void*)stage, checked((int)WeightBytes)).Clear();
        foreach (var s in _segments)
            _rt.Encode(flat.Slice(s.FlatOffset, s.Length), stage + (nint)(s.SpaceOffset * _rt.ElementBytes));
        CudaCopy.HostToDevice(Weights.Pointer, stage, WeightBytes, _rt.CurrentStream);
        CudaCopy.Synchronize(_rt.CurrentStream);
    }

    /// <summary>Adds (or writes) a gradient space's contents into the flat gradient buffer.</summary>
    public void DownloadGradients(nint gradientSpace, Span<T> flat, bool overwrite, Span<T> scratch)
    {
        nint stage = _rt.Staging(WeightBytes);
        CudaCopy.DeviceToHost(stage, gradientSpace, WeightBytes, _rt.CurrentStream);
        CudaCopy.Synchronize(_rt.CurrentStream);
        foreach (var s in _segments)
        {
            var dst = flat.Slice(s.FlatOffset, s.Length);
            var tmp = scratch[..s.Length];
            _rt.Decode(stage + (nint)(s.SpaceOffset * _rt.ElementBytes), tmp);
            if (overwrite) tmp.CopyTo(dst);
            else Accumulate(dst, tmp);
        }
    }

    /// <summary>Copies a gradient space into a flat device buffer laid out as the parameters (device to device, per block).</summary>
    public void CopyGradientsToFlat(nint gradientSpace, nint flatDevice)
    {
        foreach (var s in _segments)
            CudaCopy.DeviceToDevice(flatDevice + (nint)((long)s.FlatOffset * _rt.ElementBytes), gradientSpace + (nint)(s.SpaceOffset * _rt.ElementBytes),
                (long)s.Length * _rt.ElementBytes, _rt.CurrentStream);
    }

    /// <summary>The largest block (scratch length for <see cref="DownloadGradients"/>).</summary>
    public int LargestBlock => _segments.Length == 0 ? 0 : _segments.Max(s => s.Length);

    private static void Accumulate(Span<T> dst, ReadOnlySpan<T> add)
    {
        if (typeof(T) == typeof(float))
            System.Numerics.Tensors.TensorPrimitives.Add(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(dst), System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(add), System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(dst));
        else
            System.Numerics.Tensors.TensorPrimitives.Add(System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(dst), System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(add), System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(dst));
    }

    public void Dispose()
    {
        _paddedIo?.Dispose();
        _smallHidden?.Dispose();
        Descriptor.Dispose();
        Weights.Dispose();
    }
}
