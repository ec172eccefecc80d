using CuRnn.Native.Cuda;
using CuRnn.Native.Cudnn;

namespace CuRnn.Engines.Cudnn;

// Static mode: one cuDNN call per time step, per layer and direction (sequence length 1, states carried between
// calls). Descriptors for each step batch size are made once and kept; each call's buffers are allocated once.
internal sealed partial class CudnnEngine<T>
{
    private readonly Dictionary<(int Layer, int Batch), RnnDataPlan> _stepPlans = [];

    /// <summary>The descriptors of one step of <paramref name="batch"/> rows in <paramref name="layer"/> (made once, kept).</summary>
    private RnnDataPlan StepPlan(int layer, int batch)
    {
        if (_stepPlans.TryGetValue((layer, batch), out var plan)) return plan;
        var ones = new int[batch];
        Array.Fill(ones, 1);
        var net = StaticNetworks[layer, 0];
        plan = new RnnDataPlan(_rt.DataType, _rt.Handle.Value, net.Descriptor, CudnnRnnDataLayout.SequenceMajorPacked, 1, ones,
            net.InputSize, _o.OutputSize, 1, _o.OutputSize, _o.HiddenSize, IsLstm);
        _stepPlans[(layer, batch)] = plan;
        return plan;
    }

    private long E => _rt.ElementBytes;

    private int StepOrder(int d, int k, int steps) => d == 0 ? k : steps - 1 - k;

    private (long Workspace, long Saved, long Device, long Host, string Remarks) StaticShape(in PackedShape shape, bool training)
    {
        _ = StaticNetworks;
        var sizes = shape.Source.StepBatchSizes;
        long ws = 0, reserve = 0, maxReserve = 0;
        for (int l = 0; l < _o.NumLayers; l++)
            for (int t = 0; t < sizes.Length; t++)
            {
                var p = StepPlan(l, sizes[t]);
                ws = Math.Max(ws, training ? p.TrainingWorkspaceBytes : p.InferenceWorkspaceBytes);
                long r = training ? p.ReserveBytes * _o.Directions : 0;
                reserve += r;
                maxReserve = Math.Max(maxReserve, p.ReserveBytes);
            }
        long n = shape.Rows, bp = shape.Batch, slots = training ? shape.Steps + 1 : 2;
        long stateRows = (long)_o.NumLayers * _o.Directions * slots * bp * (_o.OutputSize + (IsLstm ? _o.HiddenSize : 0));
        long layerIo = 0;
        for (int l = 0; l < _o.NumLayers; l++) layerIo += n * ((l == 0 ? _o.InputSize : _o.OutputFeatures) + 2L * _o.OutputFeatures);
        long activations = (layerIo + stateRows) * E;
        bool swap = training && _o.SwapActivations && shape.Steps * _o.NumLayers * _o.Directions > 3;
        long device = ws + activations + (swap ? 3 * maxReserve : reserve);
        return (ws, training ? reserve + activations : 0, device, swap ? reserve : 0,
            swap ? "static: each step's reserve space moves to page-locked host memory as the step finishes (a ring of 3 device slots); layer inputs, outputs and the state history stay on the device."
                 : "static: workspace, layer inputs and outputs, the state history and (training) every step's reserve space on the device.");
    }

    private void RunStatic(SequenceBatch batch, in ForwardIo<T> io, CudnnStaticTape<T>? tape)
    {
        var shape = new PackedShape(batch);
        bool training = tape is not null;
        if (shape.Batch == 0)
        {
            io.Y.Clear();
            PassThrough(io.H0, io.HN);
            PassThrough(io.C0, io.CN);
            return;
        }
        _rt.Enter();
        _ = StaticNetworks;
        SyncWeights();
        var local = new List<DeviceBuffer>();
        var keep = tape?.Buffers ?? local;
        try
        {
            int n = shape.Rows, bp = shape.Batch, steps = shape.Steps, L = _o.NumLayers, D = _o.Directions, hout = _o.OutputSize;
            var sizes = batch.StepBatchSizes;
            if (training)
            {
                var reserveSizes = new long[L * D * steps];
                for (int l = 0; l < L; l++)
                    for (int d = 0; d < D; d++)
                        for (int k = 0; k < steps; k++) reserveSizes[(l * D + d) * steps + k] = StepPlan(l, sizes[StepOrder(d, k, steps)]).ReserveBytes;
                tape!.Reserves = new ReserveStore<T>(_rt, reserveSizes, _o.SwapActivations);
                tape.Layers = new StaticLayer[L];
            }
            DeviceBuffer? h0 = null, c0 = null;
            if (!io.H0.IsEmpty) { h0 = Keep(keep, (long)Slabs * bp * hout); UploadState(shape, io.H0, Slabs, hout, h0.Pointer); }
            if (!io.C0.IsEmpty) { c0 = Keep(keep, (long)Slabs * bp * _o.HiddenSize); UploadState(shape, io.C0, Slabs, _o.HiddenSize, c0.Pointer); }
            var hFinal = Keep(local, (long)Slabs * bp * hout);
            var cFinal = IsLstm ? Keep(local, (long)Slabs * bp * _o.HiddenSize) : null;
            var x = Keep(keep, (long)n * _o.InputSize);
            UploadRows(batch, io.X, _o.InputSize, x.Pointer);
            var ws = _rt.AllocateBytes(StaticShape(shape, training).Workspace);
            local.Add(ws);   // freed after the final synchronisation
            DeviceBuffer layerOut = x;
            for (int l = 0; l < L; l++)
            {
                var layer = new StaticLayer { X = x, Y = new DeviceBuffer[D], HHist = new DeviceBuffer[D], CHist = new DeviceBuffer?[D] };
                for (int d = 0; d < D; d++)
                {
                    layer.Y[d] = Keep(keep, (long)n * hout);
                    long slots = training ? steps + 1 : 2;
                    layer.HHist[d] = Keep(keep, slots * bp * hout);
                    layer.CHist[d] = IsLstm ? Keep(keep, slots * bp * _o.HiddenSize) : null;
                    int slab = l * D + d;
                    ForwardDirection(shape, l, d, layer, training ? tape : null, ws,
                        At(h0, (long)slab * bp * hout), At(c0, (long)slab * bp * _o.HiddenSize),
                        hFinal.At((long)slab * bp * hout * E), At(cFinal, (long)slab * bp * _o.HiddenSize));
                }
                layerOut = D == 1 ? layer.Y[0] : Interleave(keep, layer.Y, n);
                layer.Output = layerOut;
                x = layerOut;
                if (training && l < L - 1 && !ReferenceEquals(_dropout, _noDropout))
                {
                    x = Keep(keep, (long)n * _o.OutputFeatures);
                    layer.DropoutReserve = DropoutForward(keep, layerOut.Pointer, x.Pointer, n);
                }
                if (tape is not null) tape.Layers![l] = layer;
            }
            DownloadRows(batch, layerOut.Pointer, io.Y, _o.OutputFeatures);
            DownloadState(shape, hFinal.Pointer, io.H0, Slabs, hout, io.HN);
            if (cFinal is not null) DownloadState(shape, cFinal.Pointer, io.C0, Slabs, _o.HiddenSize, io.CN);
            if (tape is not null) { tape.H0 = h0; tape.C0 = c0; }
        }
        finally
        {
            CudaCopy.Synchronize(_rt.CurrentStream);
            foreach (var b in local) b.Dispose();
        }
    }

    private DeviceBuffer Keep(List<DeviceBuffer> list, long elements)
    {
        var b = Alloc(elements);
        list.Add(b);
        return b;
    }

    private nint At(DeviceBuffer? b, long elements) => b is null ? 0 : b.At(elements * E);

    /// <summary>Per-direction outputs [N, Hout] → the layer's output [N, D*Hout] (one pitched copy per direction).</summary>
    private DeviceBuffer Interleave(List<DeviceBuffer> keep, DeviceBuffer[] parts, int rows)
    {
        long hout = _o.OutputSize * E, width = parts.Length * hout;
        var joined = Keep(keep, (long)rows * _o.OutputFeatures);
        for (int d = 0; d < parts.Length; d++)
            CudaCopy.DeviceToDevice2D(joined.At(d * hout), width, parts[d].Pointer, hout, hout, rows, _rt.CurrentStream);
        return joined;
    }

    private void ForwardDirection(in PackedShape shape, int l, int d, StaticLayer layer, CudnnStaticTape<T>? tape, DeviceBuffer ws,
        nint h0, nint c0, nint hFinal, nint cFinal)
    {
        var net = StaticNetworks[l, d];
        var sizes = shape.Source.StepBatchSizes;
        var offsets = shape.Source.StepOffsets;
        int steps = shape.Steps, bp = shape.Batch, input = net.InputSize, hout = _o.OutputSize, h = _o.HiddenSize;
        bool training = tape is not null;
        nint stream = _rt.CurrentStream;
        int prev = 0;
        for (int k = 0; k < steps; k++)
        {
            int t = StepOrder(d, k, steps), bs = sizes[t], off = offsets[t];
            var sp = StepPlan(l, bs);
            int slot = training ? k : k % 2, next = training ? k + 1 : (k + 1) % 2;
            nint hx = layer.HHist[d].At((long)slot * bp * hout * E), hy = layer.HHist[d].At((long)next * bp * hout * E);
            nint cx = At(layer.CHist[d], (long)slot * bp * h), cy = At(layer.CHist[d], (long)next * bp * h);
            if (bs > prev)
            {
                // Sequences that start here (all at t = 0 forward; the shorter ones later in reverse) begin from h0 / c0.
                JoinRows(hx, h0, prev, bs, hout, stream);
                if (IsLstm) JoinRows(cx, c0, prev, bs, h, stream);
            }
            int key = (l * _o.Directions + d) * steps + k;
            nint reserve = training ? tape!.Reserves!.ForForward(key) : 0;
            CudnnApi.Check(CudnnApi.cudnnRNNForward(_rt.Handle.Value, net.Descriptor.Value,
                training ? CudnnForwardMode.Training : CudnnForwardMode.Inference, 0,
                sp.X.Value, layer.X.At((long)off * input * E), sp.Y.Value, layer.Y[d].At((long)off * hout * E),
                sp.H.Value, hx, hy, sp.CValue, cx, cy, (nuint)net.WeightBytes, net.Weights.Pointer,
                (nuint)ws.Bytes, ws.Pointer, (nuint)(training ? sp.ReserveBytes : 0), reserve), $"cudnnRNNForward(step {t}, layer {l}, direction {d})");
            if (training) tape!.Reserves!.Produced(key);
            int after = k + 1 < steps ? sizes[StepOrder(d, k + 1, steps)] : 0;
            if (after < bs)
            {
                // Sequences whose last step this was: their final state.
                CudaCopy.DeviceToDevice(hFinal + (nint)(after * hout * E), hy + (nint)(after * hout * E), (bs - after) * hout * E, stream);
                if (IsLstm) CudaCopy.DeviceToDevice(cFinal + (nint)(after * h * E), cy + (nint)(after * h * E), (bs - after) * h * E, stream);
            }
            prev = bs;
        }
    }

    /// <summary>Rows [from, to) of a state buffer ← the same rows of <paramref name="source"/>, or zeros without one.</summary>
    private void JoinRows(nint dst, nint source, int from, int to, int width, nint stream)
    {
        long offset = from * width * E, bytes = (to - from) * width * E;
        if (source == 0) CudaCopy.Zero(dst + (nint)offset, bytes, stream);
        else CudaCopy.DeviceToDevice(dst + (nint)offset, source + (nint)offset, bytes, stream);
    }

    private unsafe DeviceBuffer DropoutForward(List<DeviceBuffer> keep, nint x, nint y, int rows)
    {
        using var desc = new TensorDescriptorHandle();
        desc.SetVector4D(_rt.DataType, rows * _o.OutputFeatures);   // elementwise: a 4-d vector, as cuDNN's tensor ops want
        CudnnApi.Check(CudnnApi.cudnnDropoutGetReserveSpaceSize(desc.Value, out nuint bytes), "cudnnDropoutGetReserveSpaceSize");
        var reserve = _rt.AllocateBytes((long)bytes);
        keep.Add(reserve);
        CudnnApi.Check(CudnnApi.cudnnDropoutForward(_rt.Handle.Value, _dropout.Value, desc.Value, x, desc.Value, y, reserve.Pointer, bytes), "cudnnDropoutForward");
        return reserve;
    }

    private unsafe void DropoutBackward(nint dy, nint dx, int rows, DeviceBuffer reserve)
    {
        using var desc = new TensorDescriptorHandle();
        desc.SetVector4D(_rt.DataType, rows * _o.OutputFeatures);   // elementwise: a 4-d vector, as cuDNN's tensor ops want
        CudnnApi.Check(CudnnApi.cudnnDropoutBackward(_rt.Handle.Value, _dropout.Value, desc.Value, dy, desc.Value, dx, reserve.Pointer, (nuint)reserve.Bytes), "cudnnDropoutBackward");
    }
}

/// <summary>One layer's device tensors in a static-mode forward.</summary>
internal sealed class StaticLayer
{
    public required DeviceBuffer X;
    public required DeviceBuffer[] Y;
    public required DeviceBuffer[] HHist;
    public required DeviceBuffer?[] CHist;
    public DeviceBuffer? Output;
    public DeviceBuffer? DropoutReserve;
}
