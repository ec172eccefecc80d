using CuRnn.Native;
using CuRnn.Native.Cuda;
using CuRnn.Native.Cudnn;

namespace CuRnn.Engines.Cudnn;

// Dynamic mode on the host-span API: one cudnnRNNForward over the packed batch; backward data then backward weights.
internal sealed partial class CudnnEngine<T>
{
    private RnnDataPlan DynamicPlan(in PackedShape shape, RnnDescriptorHandle rnn) =>
        new(_rt.DataType, _rt.Handle.Value, rnn,
            ReferenceEquals(rnn, _dynamic.Descriptor) ? CudnnRnnDataLayout.SequenceMajorPacked : CudnnRnnDataLayout.SequenceMajorUnpacked,
            shape.Steps, shape.Lengths, _o.InputSize, _o.OutputFeatures, _o.NumLayers * _o.Directions, _o.OutputSize, _o.HiddenSize, IsLstm);

    /// <summary>
    /// The descriptor for a dynamic call: the small-hidden persistent kernel where every sequence has the same length
    /// and the layer qualifies (one launch instead of a few per step), else the standard algorithm.
    /// </summary>
    private RnnDescriptorHandle DynamicDescriptor(in PackedShape shape, bool training) =>
        (shape.Source.IsRectangular ? _dynamic.SmallHiddenDescriptor(training) : null) ?? _dynamic.Descriptor;

    /// <summary>cuDNN may still refuse the small-hidden kernel for a configuration (NOT_SUPPORTED): then the standard one runs.</summary>
    private bool RefusedSmallHidden(RnnDescriptorHandle rnn, CudnnException e)
    {
        if (ReferenceEquals(rnn, _dynamic.Descriptor) || e.Status / 1000 != 3) return false;
        _dynamic.RefuseSmallHidden();
        return true;
    }

    private bool IsLstm => _o.Cell == RnnCellKind.Lstm;

    /// <summary>cuDNN's limit on steps in one call; longer batches run in static mode (one step per call, states carried).</summary>
    internal const int MaxStepsPerCall = 65535;

    private static ExecutionMode Effective(SequenceBatch batch, ExecutionMode mode) =>
        batch.MaxLength > MaxStepsPerCall ? ExecutionMode.Static : mode;
    private int Slabs => _o.NumLayers * _o.Directions;

    public override void Forward(SequenceBatch batch, in ForwardIo<T> io, ExecutionMode mode)
    {
        try
        {
            if (Effective(batch, mode) == ExecutionMode.Static) { RunStatic(batch, io, null); return; }
            RunDynamic(batch, io, training: false)?.Dispose();
        }
        finally { EndCall(); }
    }

    public override EngineTape ForwardTraining(SequenceBatch batch, in ForwardIo<T> io, ExecutionMode mode)
    {
        try
        {
            if (Effective(batch, mode) == ExecutionMode.Static)
            {
                var tape = new CudnnStaticTape<T>(new PackedShape(batch));
                try { RunStatic(batch, io, tape); }
                catch { tape.Dispose(); throw; }
                return tape;
            }
            return RunDynamic(batch, io, training: true) ?? new CudnnDynamicTape<T>(new PackedShape(batch), null);
        }
        finally { EndCall(); }
    }

    public override void Backward(EngineTape tape, in BackwardIo<T> io)
    {
        try
        {
            if (tape is CudnnDeviceTape<T>)
                throw new ArgumentException("tape was made by ForwardTrainingDevice; pass it to BackwardDevice.", nameof(tape));
            if (tape is CudnnStaticTape<T> st) BackwardStatic(st, io);
            else BackwardDynamic((CudnnDynamicTape<T>)tape, io);
        }
        finally { EndCall(); }
    }

    private CudnnDynamicTape<T>? RunDynamic(SequenceBatch batch, in ForwardIo<T> io, bool training)
    {
        var shape = new PackedShape(batch);
        if (shape.Batch == 0)
        {
            io.Y.Clear();
            PassThrough(io.H0, io.HN);
            PassThrough(io.C0, io.CN);
            return null;
        }
        _rt.Enter();
        SyncWeights();
        var rnn = DynamicDescriptor(shape, training);
        try { return RunDynamic(batch, io, training, shape, rnn); }
        catch (CudnnException e) when (RefusedSmallHidden(rnn, e)) { return RunDynamic(batch, io, training, shape, _dynamic.Descriptor); }
    }

    private CudnnDynamicTape<T>? RunDynamic(SequenceBatch batch, in ForwardIo<T> io, bool training, PackedShape shape, RnnDescriptorHandle rnn)
    {
        var plan = DynamicPlan(shape, rnn);
        var tape = new CudnnDynamicTape<T>(shape, plan, rnn);
        try
        {
            int n = shape.Rows, bp = shape.Batch;
            tape.X = Alloc((long)n * _o.InputSize);
            tape.Y = Alloc((long)n * _o.OutputFeatures);
            UploadRows(batch, io.X, _o.InputSize, tape.X.Pointer);
            if (!io.H0.IsEmpty) { tape.Hx = Alloc((long)Slabs * bp * _o.OutputSize); UploadState(shape, io.H0, Slabs, _o.OutputSize, tape.Hx.Pointer); }
            if (!io.C0.IsEmpty) { tape.Cx = Alloc((long)Slabs * bp * _o.HiddenSize); UploadState(shape, io.C0, Slabs, _o.HiddenSize, tape.Cx.Pointer); }
            using var hy = io.HN.IsEmpty ? null : Alloc((long)Slabs * bp * _o.OutputSize);
            using var cy = io.CN.IsEmpty ? null : Alloc((long)Slabs * bp * _o.HiddenSize);
            using var ws = _rt.AllocateBytes(training ? plan.TrainingWorkspaceBytes : plan.InferenceWorkspaceBytes);
            if (training) tape.Reserve = _rt.AllocateBytes(plan.ReserveBytes);
            CudnnApi.Check(CudnnApi.cudnnRNNForward(_rt.Handle.Value, rnn.Value,
                training ? CudnnForwardMode.Training : CudnnForwardMode.Inference, 0,
                plan.X.Value, tape.X.Pointer, plan.Y.Value, tape.Y.Pointer,
                plan.H.Value, Ptr(tape.Hx), Ptr(hy), plan.CValue, Ptr(tape.Cx), Ptr(cy),
                (nuint)_dynamic.WeightBytes, _dynamic.Weights.Pointer, (nuint)ws.Bytes, ws.Pointer,
                (nuint)(tape.Reserve?.Bytes ?? 0), Ptr(tape.Reserve)), "cudnnRNNForward");
            if (training && _o.SwapActivations) tape.SwapOut(_rt);   // overlaps the downloads below
            DownloadRows(batch, tape.Y.Pointer, io.Y, _o.OutputFeatures);
            DownloadState(shape, Ptr(hy), io.H0, Slabs, _o.OutputSize, io.HN);
            DownloadState(shape, Ptr(cy), io.C0, Slabs, _o.HiddenSize, io.CN);
            if (training && _o.SwapActivations) tape.FinishSwapOut(_rt);
            if (!training) { tape.Dispose(); return null; }
            return tape;
        }
        catch
        {
            tape.Dispose();
            throw;
        }
    }

    private void BackwardDynamic(CudnnDynamicTape<T> tape, in BackwardIo<T> io)
    {
        var shape = tape.Shape;
        if (shape.Batch == 0 || tape.Plan is null) { BackwardWithoutSteps(io); return; }
        _rt.Enter();
        SyncWeights();
        tape.SwapIn(_rt);
        var plan = tape.Plan;
        var batch = shape.Source;
        int n = shape.Rows, bp = shape.Batch;
        using var dy = Alloc((long)n * _o.OutputFeatures);
        using var dx = Alloc((long)n * _o.InputSize);
        UploadRows(batch, io.DY, _o.OutputFeatures, dy.Pointer);
        using var dhy = io.DHN.IsEmpty ? null : Alloc((long)Slabs * bp * _o.OutputSize);
        using var dcy = io.DCN.IsEmpty ? null : Alloc((long)Slabs * bp * _o.HiddenSize);
        if (dhy is not null) UploadState(shape, io.DHN, Slabs, _o.OutputSize, dhy.Pointer);
        if (dcy is not null) UploadState(shape, io.DCN, Slabs, _o.HiddenSize, dcy.Pointer);
        using var dhx = io.DH0.IsEmpty ? null : Alloc((long)Slabs * bp * _o.OutputSize);
        using var dcx = io.DC0.IsEmpty ? null : Alloc((long)Slabs * bp * _o.HiddenSize);
        using var ws = _rt.AllocateBytes(plan.TrainingWorkspaceBytes);
        CudnnApi.Check(CudnnApi.cudnnRNNBackwardData_v8(_rt.Handle.Value, tape.Rnn!.Value, 0,
            plan.Y.Value, tape.Y!.Pointer, dy.Pointer, plan.X.Value, dx.Pointer,
            plan.H.Value, Ptr(tape.Hx), Ptr(dhy), Ptr(dhx), plan.CValue, Ptr(tape.Cx), Ptr(dcy), Ptr(dcx),
            (nuint)_dynamic.WeightBytes, _dynamic.Weights.Pointer, (nuint)ws.Bytes, ws.Pointer,
            (nuint)tape.Reserve!.Bytes, tape.Reserve.Pointer), "cudnnRNNBackwardData_v8");
        if (!io.Gradients.IsEmpty)
        {
            // cuDNN adds into the gradient space (ADD mode, as PyTorch and NVIDIA's sample use it): zero it first.
            using var dw = _rt.AllocateBytes(_dynamic.WeightBytes);
            CudaCopy.Zero(dw.Pointer, dw.Bytes, _rt.CurrentStream);
            CudnnApi.Check(CudnnApi.cudnnRNNBackwardWeights_v8(_rt.Handle.Value, tape.Rnn.Value, CudnnWgradMode.Add, 0,
                plan.X.Value, tape.X!.Pointer, plan.H.Value, Ptr(tape.Hx), plan.Y.Value, tape.Y.Pointer,
                (nuint)_dynamic.WeightBytes, dw.Pointer, (nuint)ws.Bytes, ws.Pointer,
                (nuint)tape.Reserve.Bytes, tape.Reserve.Pointer), "cudnnRNNBackwardWeights_v8");
            var scratch = _hostScratch.Rent(_dynamic.LargestBlock);
            _dynamic.DownloadGradients(dw.Pointer, io.Gradients, io.OverwriteGradients, scratch);
        }
        if (!io.DX.IsEmpty) DownloadRows(batch, dx.Pointer, io.DX, _o.InputSize);
        DownloadState(shape, Ptr(dhx), io.DHN, Slabs, _o.OutputSize, io.DH0);
        DownloadState(shape, Ptr(dcx), io.DCN, Slabs, _o.HiddenSize, io.DC0);
        CudaCopy.Synchronize(_rt.CurrentStream);
    }

    private static nint Ptr(DeviceBuffer? b) => b?.Pointer ?? 0;

    /// <summary>Every sequence has length 0: dx is all padding, dh0 = dhN, dc0 = dcN, no weight gradient.</summary>
    private static void BackwardWithoutSteps(in BackwardIo<T> io)
    {
        io.DX.Clear();
        PassThrough(io.DHN, io.DH0);
        PassThrough(io.DCN, io.DC0);
        if (io.OverwriteGradients) io.Gradients.Clear();
    }
}
