using CuRnn.Native;
using CuRnn.Native.Cuda;
using CuRnn.Native.Cudnn;

namespace CuRnn.Engines.Cudnn;

/// <summary>Device addresses of one forward call, in the batch's layout and the caller's order (0 = not given).</summary>
internal readonly record struct DeviceForwardIo(nint X, nint Y, nint H0, nint C0, nint HN, nint CN);

/// <summary>Device addresses of one backward call (0 = not given); <c>Gradients</c> is laid out as the flat parameters.</summary>
internal readonly record struct DeviceBackwardIo(nint DY, nint DHN, nint DCN, nint DX, nint DH0, nint DC0, nint Gradients, bool Overwrite);

// The device-pointer API (dynamic mode): cuDNN reads and writes the app's buffers in their own layout, on the app's
// stream. Padded layouts use cuDNN's unpacked descriptors (padded I/O enabled only when lengths differ); length-0
// rows run as length 1 on zeroed inputs and their outputs are restored as the contract says.
internal sealed partial class CudnnEngine<T>
{
    private DeviceBuffer? _deviceWorkspace;

    private nint Workspace(long bytes)
    {
        if (_deviceWorkspace is null || _deviceWorkspace.Bytes < bytes)
        {
            if (_deviceWorkspace is not null) { CudaCopy.Synchronize(_rt.CurrentStream); _deviceWorkspace.Dispose(); }
            _deviceWorkspace = null;
            _deviceWorkspace = _rt.AllocateBytes(bytes);
        }
        return _deviceWorkspace.Pointer;
    }

    /// <summary>How cuDNN sees a batch given by device pointers.</summary>
    private sealed class DeviceShape
    {
        public required RnnDataPlan Plan;
        public required RnnDescriptorHandle Rnn;
        public required int Batch;          // B seen by cuDNN (B' for packed, B for padded)
        public required int[] ZeroRows;     // padded: caller rows of length 0 (run at length 1)
    }

    private DeviceShape DeviceShapeOf(SequenceBatch batch, bool training)
    {
        if (batch.Layout == SequenceLayout.Packed || batch.RowsArePacked)
        {
            var shape = new PackedShape(batch);
            var descriptor = DynamicDescriptor(shape, training);
            return new DeviceShape { Plan = DynamicPlan(shape, descriptor), Rnn = descriptor, Batch = shape.Batch, ZeroRows = [] };
        }
        var lengths = batch.Lengths.ToArray();
        var zero = Enumerable.Range(0, lengths.Length).Where(b => lengths[b] == 0).ToArray();
        foreach (int b in zero) lengths[b] = 1;
        bool equal = lengths.All(l => l == batch.MaxLength);
        var layout = batch.Layout == SequenceLayout.BatchMajor ? CudnnRnnDataLayout.BatchMajorUnpacked : CudnnRnnDataLayout.SequenceMajorUnpacked;
        var rnn = equal && layout == CudnnRnnDataLayout.SequenceMajorUnpacked ? _dynamic.Descriptor : _dynamic.PaddedIoDescriptor;
        var plan = new RnnDataPlan(_rt.DataType, _rt.Handle.Value, rnn, layout, Math.Max(batch.MaxLength, 1), lengths,
            _o.InputSize, _o.OutputFeatures, Slabs, _o.OutputSize, _o.HiddenSize, IsLstm);
        return new DeviceShape { Plan = plan, Rnn = rnn, Batch = lengths.Length, ZeroRows = zero };
    }

    internal EngineTape? ForwardDevice(SequenceBatch batch, in DeviceForwardIo io, bool training, nint stream)
    {
        if (batch.MaxLength > MaxStepsPerCall)
            throw new NotSupportedException($"batch has {batch.MaxLength} steps; one cuDNN call takes at most {MaxStepsPerCall}. " +
                "Use the host-span API (it runs such batches a step per call) or split the sequence and carry the state.");
        _rt.Enter(stream);
        SyncWeights();
        // Where the small-hidden kernel would run and cuDNN refuses it for this configuration, run the standard one.
        bool smallHidden = batch.RowsArePacked && batch.IsRectangular && _dynamic.SmallHiddenDescriptor(training) is not null;
        try { return ForwardDevice(batch, io, training, DeviceShapeOf(batch, training)); }
        catch (CudnnException e) when (smallHidden && e.Status / 1000 == 3)
        {
            _dynamic.RefuseSmallHidden();
            return ForwardDevice(batch, io, training, DeviceShapeOf(batch, training));
        }
    }

    private EngineTape? ForwardDevice(SequenceBatch batch, in DeviceForwardIo io, bool training, DeviceShape shape)
    {
        var tape = new CudnnDeviceTape<T>(batch, shape.Plan, shape.Rnn, shape.Batch, shape.ZeroRows);
        try
        {
            long yBytes = batch.ElementCount(_o.OutputFeatures) * E;
            if (shape.Batch == 0)
            {
                CudaCopy.Zero(io.Y, yBytes, _rt.CurrentStream);
                CopyOrZero(io.HN, io.H0, (long)Slabs * batch.BatchSize * _o.OutputSize);
                CopyOrZero(io.CN, io.C0, (long)Slabs * batch.BatchSize * _o.HiddenSize);
                return training ? tape : null;
            }
            nint x = io.X;
            if (shape.ZeroRows.Length > 0)
            {
                // cuDNN runs length-0 rows at length 1: give them a zero input so nothing undefined enters backward.
                tape.OwnX = _rt.AllocateBytes(batch.ElementCount(_o.InputSize) * E);
                CudaCopy.DeviceToDevice(tape.OwnX.Pointer, io.X, tape.OwnX.Bytes, _rt.CurrentStream);
                foreach (int b in shape.ZeroRows) CudaCopy.Zero(tape.OwnX.At(batch.RowOffset(0, b, 0, _o.InputSize) * E), _o.InputSize * E, _rt.CurrentStream);
                x = tape.OwnX.Pointer;
            }
            var (hx, hy, cx, cy) = StatesIn(shape, batch, io.H0, io.HN, io.C0, io.CN, tape);
            var plan = shape.Plan;
            nint ws = Workspace(training ? plan.TrainingWorkspaceBytes : plan.InferenceWorkspaceBytes);
            if (training) tape.Reserve = _rt.AllocateBytes(plan.ReserveBytes);
            CudnnApi.Check(CudnnApi.cudnnRNNForward(_rt.Handle.Value, shape.Rnn.Value,
                training ? CudnnForwardMode.Training : CudnnForwardMode.Inference, 0, plan.X.Value, x, plan.Y.Value, io.Y,
                plan.H.Value, hx, hy, plan.CValue, cx, cy, (nuint)_dynamic.WeightBytes, _dynamic.Weights.Pointer,
                (nuint)Math.Max(plan.TrainingWorkspaceBytes, plan.InferenceWorkspaceBytes), ws,
                (nuint)(tape.Reserve?.Bytes ?? 0), tape.Reserve?.Pointer ?? 0), "cudnnRNNForward");
            MaskPadding(batch, io.Y, _o.OutputFeatures);
            StatesOut(batch, shape.Batch, shape.ZeroRows, io.HN, io.H0, hy, _o.OutputSize);
            StatesOut(batch, shape.Batch, shape.ZeroRows, io.CN, io.C0, cy, _o.HiddenSize);
            tape.X = x; tape.Y = io.Y; tape.Hx = hx; tape.Cx = cx;
            if (!training) { CudaCopy.Synchronize(_rt.CurrentStream); tape.Dispose(); return null; }
            return tape;
        }
        catch { tape.Dispose(); throw; }
    }

    internal void BackwardDevice(CudnnDeviceTape<T> tape, in DeviceBackwardIo io, nint stream)
    {
        _rt.Enter(stream);
        SyncWeights();
        var batch = tape.Batch;
        int b = batch.BatchSize;
        long lb = (long)Slabs * b;
        if (tape.CudnnBatch == 0)
        {
            CudaCopy.Zero(io.DX, batch.ElementCount(_o.InputSize) * E, _rt.CurrentStream);
            CopyOrZero(io.DH0, io.DHN, lb * _o.OutputSize);
            CopyOrZero(io.DC0, io.DCN, lb * _o.HiddenSize);
            if (io.Overwrite) CudaCopy.Zero(io.Gradients, (long)_parameters.Length * E, _rt.CurrentStream);
            CudaCopy.Synchronize(_rt.CurrentStream);
            return;
        }
        var plan = tape.Plan;
        var local = new List<DeviceBuffer>();
        try
        {
            nint dy = io.DY, dhy = io.DHN, dcy = io.DCN;
            if (tape.ZeroRows.Length > 0)
            {
                // The length-1 stand-in steps must receive no gradient: zero their dy and dhN / dcN rows in copies.
                dy = Copy(local, io.DY, batch.ElementCount(_o.OutputFeatures) * E);
                foreach (int r in tape.ZeroRows) CudaCopy.Zero(dy + (nint)(batch.RowOffset(0, r, 0, _o.OutputFeatures) * E), _o.OutputFeatures * E, _rt.CurrentStream);
                if (dhy != 0) { dhy = Copy(local, io.DHN, lb * _o.OutputSize * E); ZeroStateRows(dhy, tape.ZeroRows, b, _o.OutputSize); }
                if (dcy != 0) { dcy = Copy(local, io.DCN, lb * _o.HiddenSize * E); ZeroStateRows(dcy, tape.ZeroRows, b, _o.HiddenSize); }
            }
            bool packedStates = tape.CudnnBatch < b;   // a packed batch whose length-0 rows were left out
            nint dhyIn = packedStates ? Gather(local, dhy, b, tape.CudnnBatch, _o.OutputSize) : dhy;
            nint dcyIn = packedStates ? Gather(local, dcy, b, tape.CudnnBatch, _o.HiddenSize) : dcy;
            nint dhx = io.DH0 == 0 ? 0 : packedStates ? Alloc(local, (long)Slabs * tape.CudnnBatch * _o.OutputSize) : io.DH0;
            nint dcx = io.DC0 == 0 ? 0 : packedStates ? Alloc(local, (long)Slabs * tape.CudnnBatch * _o.HiddenSize) : io.DC0;
            nint dx = io.DX != 0 ? io.DX : Alloc(local, batch.ElementCount(_o.InputSize));
            nint ws = Workspace(plan.TrainingWorkspaceBytes);
            CudnnApi.Check(CudnnApi.cudnnRNNBackwardData_v8(_rt.Handle.Value, tape.Rnn.Value, 0, plan.Y.Value, tape.Y, dy, plan.X.Value, dx,
                plan.H.Value, tape.Hx, dhyIn, dhx, plan.CValue, tape.Cx, dcyIn, dcx, (nuint)_dynamic.WeightBytes, _dynamic.Weights.Pointer,
                (nuint)plan.TrainingWorkspaceBytes, ws, (nuint)tape.Reserve!.Bytes, tape.Reserve.Pointer), "cudnnRNNBackwardData_v8");
            if (io.Gradients != 0) WeightGradientsOnDevice(tape, io, ws, local);
            if (io.DX != 0) MaskPadding(batch, io.DX, _o.InputSize);
            StatesOut(batch, tape.CudnnBatch, tape.ZeroRows, io.DH0, io.DHN, dhx, _o.OutputSize);
            StatesOut(batch, tape.CudnnBatch, tape.ZeroRows, io.DC0, io.DCN, dcx, _o.HiddenSize);
            CudaCopy.Synchronize(_rt.CurrentStream);
        }
        finally { foreach (var buffer in local) buffer.Dispose(); }
    }

    private void WeightGradientsOnDevice(CudnnDeviceTape<T> tape, in DeviceBackwardIo io, nint ws, List<DeviceBuffer> local)
    {
        var plan = tape.Plan;
        bool direct = _dynamic.SpaceIsFlatLayout && _rt.SameFormat;
        nint dw = direct ? io.Gradients : Alloc(local, _dynamic.SpaceElements);
        if (!direct || io.Overwrite) CudaCopy.Zero(dw, _dynamic.WeightBytes, _rt.CurrentStream);
        CudnnApi.Check(CudnnApi.cudnnRNNBackwardWeights_v8(_rt.Handle.Value, tape.Rnn.Value, CudnnWgradMode.Add, 0,
            plan.X.Value, tape.X, plan.H.Value, tape.Hx, plan.Y.Value, tape.Y, (nuint)_dynamic.WeightBytes, dw,
            (nuint)plan.TrainingWorkspaceBytes, ws, (nuint)tape.Reserve!.Bytes, tape.Reserve.Pointer), "cudnnRNNBackwardWeights_v8");
        if (direct) return;
        // cuDNN's weight space is not the flat layout here: reorder block by block, then add or write.
        if (io.Overwrite) { _dynamic.CopyGradientsToFlat(dw, io.Gradients); return; }
        nint flat = Alloc(local, _parameters.Length);
        _dynamic.CopyGradientsToFlat(dw, flat);
        _rt.AddInto(io.Gradients, flat, _parameters.Length);
    }

    private nint Alloc(List<DeviceBuffer> local, long elements)
    {
        var buffer = _rt.Allocate(elements);
        local.Add(buffer);
        return buffer.Pointer;
    }

    private nint Copy(List<DeviceBuffer> local, nint src, long bytes)
    {
        var buffer = _rt.AllocateBytes(bytes);
        local.Add(buffer);
        CudaCopy.DeviceToDevice(buffer.Pointer, src, bytes, _rt.CurrentStream);
        return buffer.Pointer;
    }

    private void CopyOrZero(nint dst, nint src, long elements)
    {
        if (dst == 0) return;
        if (src == 0) CudaCopy.Zero(dst, elements * E, _rt.CurrentStream);
        else CudaCopy.DeviceToDevice(dst, src, elements * E, _rt.CurrentStream);
    }

    private void ZeroStateRows(nint state, int[] rows, int batch, int width)
    {
        for (int s = 0; s < Slabs; s++)
            foreach (int r in rows) CudaCopy.Zero(state + (nint)(((long)s * batch + r) * width * E), width * E, _rt.CurrentStream);
    }

    /// <summary>[slabs, B, w] → [slabs, B', w]: the first B' rows of each slab, in one pitched copy.</summary>
    private nint Gather(List<DeviceBuffer> local, nint src, int batch, int kept, int width)
    {
        if (src == 0) return 0;
        nint dst = Alloc(local, (long)Slabs * kept * width);
        CudaCopy.DeviceToDevice2D(dst, kept * width * E, src, batch * width * E, kept * width * E, Slabs, _rt.CurrentStream);
        return dst;
    }

    private (nint Hx, nint Hy, nint Cx, nint Cy) StatesIn(DeviceShape shape, SequenceBatch batch, nint h0, nint hN, nint c0, nint cN, CudnnDeviceTape<T> tape)
    {
        int b = batch.BatchSize;
        if (shape.Batch == b) return (h0, hN, c0, cN);
        var keep = tape.Owned;
        nint hx = Gather(keep, h0, b, shape.Batch, _o.OutputSize), cx = Gather(keep, c0, b, shape.Batch, _o.HiddenSize);
        nint hy = hN == 0 ? 0 : Alloc(keep, (long)Slabs * shape.Batch * _o.OutputSize);
        nint cy = cN == 0 ? 0 : Alloc(keep, (long)Slabs * shape.Batch * _o.HiddenSize);
        return (hx, hy, cx, cy);
    }

    /// <summary>
    /// cuDNN's states [slabs, B_cudnn, w] into the caller's [slabs, B, w]. Packed batches left their length-0 rows out
    /// (rows B_cudnn..B); padded ones ran them as stand-ins. Either way those rows take <paramref name="passThrough"/>
    /// (h0 for hN, dhN for dh0; zero when absent), as the contract says.
    /// </summary>
    private void StatesOut(SequenceBatch batch, int cudnnBatch, int[] zeroRows, nint dst, nint passThrough, nint produced, int width)
    {
        if (dst == 0) return;
        int b = batch.BatchSize;
        bool leftOut = cudnnBatch < b;
        if (leftOut)
            CudaCopy.DeviceToDevice2D(dst, b * width * E, produced, cudnnBatch * width * E, cudnnBatch * width * E, Slabs, _rt.CurrentStream);
        RestoreRows(dst, passThrough, leftOut ? Enumerable.Range(cudnnBatch, b - cudnnBatch).ToArray() : zeroRows, b, width);
    }

    private void RestoreRows(nint dst, nint source, int[] rows, int batch, int width)
    {
        for (int s = 0; s < Slabs; s++)
            foreach (int r in rows)
            {
                long offset = ((long)s * batch + r) * width * E;
                if (source == 0) CudaCopy.Zero(dst + (nint)offset, width * E, _rt.CurrentStream);
                else CudaCopy.DeviceToDevice(dst + (nint)offset, source + (nint)offset, width * E, _rt.CurrentStream);
            }
    }

    /// <summary>
    /// Zeroes every padded position of a padded tensor (cuDNN leaves them undefined); a length-0 row's t = 0 position,
    /// where its stand-in step wrote, is padding too.
    /// </summary>
    private void MaskPadding(SequenceBatch batch, nint tensor, int features)
    {
        if (batch.Layout == SequenceLayout.Packed) return;
        long row = features * E;
        var lengths = batch.Lengths;
        for (int b = 0; b < batch.BatchSize; b++)
        {
            int len = lengths[b];
            if (len == batch.MaxLength) continue;
            if (batch.Layout == SequenceLayout.BatchMajor)
                CudaCopy.Zero(tensor + (nint)(batch.RowOffset(len, b, 0, features) * E), (batch.MaxLength - len) * row, _rt.CurrentStream);
            else
                for (int t = len; t < batch.MaxLength; t++) CudaCopy.Zero(tensor + (nint)(batch.RowOffset(t, b, 0, features) * E), row, _rt.CurrentStream);
        }
    }
}

/// <summary>A device-pointer training forward's state: the app's buffers it read and wrote, and the reserve space.</summary>
internal sealed class CudnnDeviceTape<T>(SequenceBatch batch, RnnDataPlan plan, RnnDescriptorHandle rnn, int cudnnBatch, int[] zeroRows) : EngineTape
    where T : unmanaged
{
    public SequenceBatch Batch { get; } = batch;
    public RnnDataPlan Plan { get; } = plan;
    public RnnDescriptorHandle Rnn { get; } = rnn;
    public int CudnnBatch { get; } = cudnnBatch;
    public int[] ZeroRows { get; } = zeroRows;
    public List<DeviceBuffer> Owned { get; } = [];
    public DeviceBuffer? OwnX, Reserve;
    public nint X, Y, Hx, Cx;

    public override (long Host, long Device) SavedBytes => (0, (Reserve?.Bytes ?? 0) + (OwnX?.Bytes ?? 0) + Owned.Sum(b => b.Bytes));

    public override void Dispose()
    {
        OwnX?.Dispose(); Reserve?.Dispose();
        foreach (var b in Owned) b.Dispose();
        Owned.Clear();
        Plan.Dispose();
    }
}
