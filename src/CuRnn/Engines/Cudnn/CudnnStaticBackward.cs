using CuRnn.Native.Cuda;
using CuRnn.Native.Cudnn;

namespace CuRnn.Engines.Cudnn;

// Static mode's backward: per layer from the top, per direction, the steps in reverse order; each step runs
// backward data and then backward weights (ADD) on its own reserve space.
internal sealed partial class CudnnEngine<T>
{
    private void BackwardStatic(CudnnStaticTape<T> tape, in BackwardIo<T> io)
    {
        var shape = tape.Shape;
        if (shape.Batch == 0 || tape.Layers is null) { BackwardWithoutSteps(io); return; }
        _rt.Enter();
        SyncWeights();
        var local = new List<DeviceBuffer>();
        try
        {
            var batch = shape.Source;
            int n = shape.Rows, bp = shape.Batch, L = _o.NumLayers, D = _o.Directions, hout = _o.OutputSize, h = _o.HiddenSize;
            tape.Reserves!.BeginBackward();
            var dY = Keep(local, (long)n * _o.OutputFeatures);
            UploadRows(batch, io.DY, _o.OutputFeatures, dY.Pointer);
            DeviceBuffer? dhN = null, dcN = null;
            if (!io.DHN.IsEmpty) { dhN = Keep(local, (long)Slabs * bp * hout); UploadState(shape, io.DHN, Slabs, hout, dhN.Pointer); }
            if (!io.DCN.IsEmpty) { dcN = Keep(local, (long)Slabs * bp * h); UploadState(shape, io.DCN, Slabs, h, dcN.Pointer); }
            var dh0 = Keep(local, (long)Slabs * bp * hout);
            var dc0 = IsLstm ? Keep(local, (long)Slabs * bp * h) : null;
            bool weights = !io.Gradients.IsEmpty;
            var dw = new DeviceBuffer?[L, D];
            var ws = _rt.AllocateBytes(StaticShape(shape, training: true).Workspace);
            local.Add(ws);   // freed after the final synchronisation
            var carryH = Keep(local, 2L * bp * hout);
            var carryC = IsLstm ? Keep(local, 2L * bp * h) : null;
            for (int l = L - 1; l >= 0; l--)
            {
                var layer = tape.Layers[l];
                int input = StaticNetworks[l, 0].InputSize;
                var dYd = new DeviceBuffer[D];
                for (int d = 0; d < D; d++)
                {
                    if (D == 1) { dYd[d] = dY; continue; }
                    dYd[d] = Keep(local, (long)n * hout);
                    long width = hout * E;
                    CudaCopy.DeviceToDevice2D(dYd[d].Pointer, width, dY.At(d * width), D * width, width, n, _rt.CurrentStream);
                }
                var dX = Keep(local, (long)n * input);
                var dXOther = D == 2 ? Keep(local, (long)n * input) : null;
                for (int d = D - 1; d >= 0; d--)
                {
                    if (weights)
                    {
                        dw[l, d] = Keep(local, StaticNetworks[l, d].SpaceElements);
                        CudaCopy.Zero(dw[l, d]!.Pointer, dw[l, d]!.Bytes, _rt.CurrentStream);
                    }
                    int slab = l * D + d;
                    BackwardDirection(shape, l, d, layer, tape, ws, dYd[d], d == 1 ? dXOther! : dX, dw[l, d], carryH, carryC,
                        At(dhN, (long)slab * bp * hout), At(dcN, (long)slab * bp * h),
                        dh0.At((long)slab * bp * hout * E), At(dc0, (long)slab * bp * h));
                }
                if (dXOther is not null) _rt.AddInto(dX.Pointer, dXOther.Pointer, (long)n * input);
                if (l == 0) { if (!io.DX.IsEmpty) DownloadRows(batch, dX.Pointer, io.DX, _o.InputSize); break; }
                // dX of layer l is the gradient of layer l-1's output (through its dropout, when training used one).
                var below = tape.Layers[l - 1];
                if (below.DropoutReserve is { } reserve)
                {
                    dY = Keep(local, (long)n * _o.OutputFeatures);
                    DropoutBackward(dX.Pointer, dY.Pointer, n, reserve);
                }
                else dY = dX;
            }
            if (weights)
            {
                int largest = 0;
                foreach (var net in StaticNetworks) largest = Math.Max(largest, net.LargestBlock);
                var scratch = _hostScratch.Rent(largest);
                for (int l = 0; l < L; l++)
                    for (int d = 0; d < D; d++)
                        StaticNetworks[l, d].DownloadGradients(dw[l, d]!.Pointer, io.Gradients, io.OverwriteGradients, scratch);
            }
            DownloadState(shape, dh0.Pointer, io.DHN, Slabs, hout, io.DH0);
            if (dc0 is not null) DownloadState(shape, dc0.Pointer, io.DCN, Slabs, h, io.DC0);
        }
        finally
        {
            CudaCopy.Synchronize(_rt.CurrentStream);
            foreach (var b in local) b.Dispose();
        }
    }

    private void BackwardDirection(in PackedShape shape, int l, int d, StaticLayer layer, CudnnStaticTape<T> tape, DeviceBuffer ws,
        DeviceBuffer dy, DeviceBuffer dx, DeviceBuffer? dw, DeviceBuffer carryH, DeviceBuffer? carryC,
        nint dhN, nint dcN, nint dh0, nint dc0)
    {
        var net = StaticNetworks[l, d];
        var sizes = shape.Source.StepBatchSizes;
        var offsets = shape.Source.StepOffsets;
        int steps = shape.Steps, bp = shape.Batch, input = net.InputSize, hout = _o.OutputSize, h = _o.HiddenSize;
        nint stream = _rt.CurrentStream;
        int prev = 0;
        for (int k = steps - 1, j = 0; k >= 0; k--, j++)
        {
            int t = StepOrder(d, k, steps), bs = sizes[t], off = offsets[t];
            var sp = StepPlan(l, bs);
            nint dhy = carryH.At((long)(j % 2) * bp * hout * E), dhx = carryH.At((long)((j + 1) % 2) * bp * hout * E);
            nint dcy = At(carryC, (long)(j % 2) * bp * h), dcx = At(carryC, (long)((j + 1) % 2) * bp * h);
            if (bs > prev)
            {
                // Rows whose last forward step this was: their gradient enters from dhN / dcN.
                JoinRows(dhy, dhN, prev, bs, hout, stream);
                if (IsLstm) JoinRows(dcy, dcN, prev, bs, h, stream);
            }
            nint hx = layer.HHist[d].At((long)k * bp * hout * E), cx = At(layer.CHist[d], (long)k * bp * h);
            nint x = layer.X.At((long)off * input * E), y = layer.Y[d].At((long)off * hout * E);
            int key = (l * _o.Directions + d) * steps + k;
            nint reserve = tape.Reserves!.ForBackward(key);
            CudnnApi.Check(CudnnApi.cudnnRNNBackwardData_v8(_rt.Handle.Value, net.Descriptor.Value, 0,
                sp.Y.Value, y, dy.At((long)off * hout * E), sp.X.Value, dx.At((long)off * input * E),
                sp.H.Value, hx, dhy, dhx, sp.CValue, cx, dcy, dcx, (nuint)net.WeightBytes, net.Weights.Pointer,
                (nuint)ws.Bytes, ws.Pointer, (nuint)sp.ReserveBytes, reserve), $"cudnnRNNBackwardData_v8(step {t}, layer {l}, direction {d})");
            if (dw is not null)
            {
                CudnnApi.Check(CudnnApi.cudnnRNNBackwardWeights_v8(_rt.Handle.Value, net.Descriptor.Value, CudnnWgradMode.Add, 0,
                    sp.X.Value, x, sp.H.Value, hx, sp.Y.Value, y, (nuint)net.WeightBytes, dw.Pointer,
                    (nuint)ws.Bytes, ws.Pointer, (nuint)sp.ReserveBytes, reserve), $"cudnnRNNBackwardWeights_v8(step {t}, layer {l}, direction {d})");
            }
            tape.Reserves.Consumed(key);
            int after = k - 1 >= 0 ? sizes[StepOrder(d, k - 1, steps)] : 0;
            if (after < bs)
            {
                // Rows whose first forward step this was: their initial-state gradient.
                CudaCopy.DeviceToDevice(dh0 + (nint)(after * hout * E), dhx + (nint)(after * hout * E), (bs - after) * hout * E, stream);
                if (IsLstm) CudaCopy.DeviceToDevice(dc0 + (nint)(after * h * E), dcx + (nint)(after * h * E), (bs - after) * h * E, stream);
            }
            prev = bs;
        }
    }
}

/// <summary>A static-mode training forward's saved state: every layer's tensors, the state history and the reserves.</summary>
internal sealed class CudnnStaticTape<T>(PackedShape shape) : EngineTape where T : unmanaged
{
    public PackedShape Shape { get; } = shape;
    public List<DeviceBuffer> Buffers { get; } = [];
    public ReserveStore<T>? Reserves;
    public StaticLayer[]? Layers;
    public DeviceBuffer? H0, C0;

    public override (long Host, long Device) SavedBytes =>
        (Reserves?.HostBytes ?? 0, Buffers.Sum(b => b.Bytes) + (Reserves?.DeviceBytes ?? 0));

    public override void Dispose()
    {
        Reserves?.Dispose();
        Reserves = null;
        foreach (var b in Buffers) b.Dispose();
        Buffers.Clear();
    }
}
