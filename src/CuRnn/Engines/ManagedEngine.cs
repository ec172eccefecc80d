using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using CuRnn.Managed;
using CuRnn.Managed.Threading;

namespace CuRnn.Engines;

/// <summary>
/// The pure-managed engine: packs the batch longest-first, runs each layer and direction with
/// <see cref="RecurrentPass"/>, and unpacks. Activations saved for backward live in pooled host arrays
/// owned by the tape; per-call scratch is pooled too, so calls of one shape allocate no new buffers.
/// </summary>
internal sealed partial class ManagedEngine<T> : RnnEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RnnOptions _o;
    private readonly ParameterLayout _layout;
    private readonly T[] _parameters;
    private readonly DropoutSource _dropout;
    private readonly CellFunction _cell;
    private readonly PooledBuffers<T> _callScratch = new();
    private readonly PackedRecurrentWeights<T> _packed;
    private readonly int _h, _hout, _g, _d, _l;
    private readonly int _threads;

    public ManagedEngine(RnnOptions options, ParameterLayout layout, ParameterVersions<T> parameters, DropoutSource dropout)
    {
        _o = options; _layout = layout; _parameters = parameters.Parameters; _dropout = dropout;
        _cell = options.Cell switch
        {
            RnnCellKind.RnnTanh => CellFunction.Tanh,
            RnnCellKind.RnnRelu => CellFunction.Relu,
            RnnCellKind.Lstm => CellFunction.Lstm,
            _ => CellFunction.Gru,
        };
        _h = options.HiddenSize; _hout = options.OutputSize; _g = options.Cell.GateCount() * _h;
        _d = options.Directions; _l = options.NumLayers;
        _threads = options.MaxThreads == 0 ? CoreBudget.Available : options.MaxThreads;
        _packed = new PackedRecurrentWeights<T>(options, layout, parameters.Track());
    }

    private volatile bool _released;

    /// <summary>Enters a call: refused once the engine is released (the layer's call scope should make that
    /// impossible; this is the check that it does), then the packed weights brought up to date.</summary>
    private void BeginCall()
    {
        if (_released) throw new InvalidOperationException("The managed engine was used after its layer released it.");
        _packed.Refresh(_parameters);
    }

    /// <summary>Threads a call may use: <see cref="RnnOptions.MaxThreads"/>, or the cores this process may run on.</summary>
    internal int Threads => _threads;

    public override RnnBackend Kind => RnnBackend.Managed;

    private bool IsLstm => _cell == CellFunction.Lstm;
    private bool Projected => _o.ProjectionSize > 0;
    private int InputSizeOf(int layer) => layer == 0 ? _o.InputSize : _d * _hout;

    /// <summary>Scratch elements the last call used (for checking the memory plan).</summary>
    internal long LastCallScratchElements { get; private set; }

    public override void Forward(SequenceBatch batch, in ForwardIo<T> io, ExecutionMode mode)
    {
        BeginCall();
        try { Run(batch, io, mode, tape: null); }
        finally { ReleaseScratch(); }
    }

    private void ReleaseScratch()
    {
        LastCallScratchElements = _callScratch.Elements;
        _callScratch.Dispose();
    }

    public override EngineTape ForwardTraining(SequenceBatch batch, in ForwardIo<T> io, ExecutionMode mode)
    {
        var tape = new ManagedTape(batch, _l, _d);
        BeginCall();
        try { Run(batch, io, mode, tape); }
        catch { tape.Dispose(); throw; }
        finally { ReleaseScratch(); }
        return tape;
    }

    private void Run(SequenceBatch batch, in ForwardIo<T> io, ExecutionMode mode, ManagedTape? tape)
    {
        bool training = tape is not null;
        PooledBuffers<T> temp = _callScratch;                    // dies with the call
        PooledBuffers<T> keep = tape?.Buffers ?? temp;           // what backward needs
        var s = new StepSchedule(batch.StepBatchSizes, batch.StepOffsets);
        int n = batch.TotalSteps, bsz = batch.BatchSize, yWidth = _d * _hout;
        bool packedIo = batch.RowsArePacked;

        // Layer 0 input as packed rows; training keeps its own copy for the weight gradients.
        PooledArray<T> input = default;
        if (!packedIo || training)
        {
            input = keep.Rent((long)n * _o.InputSize);
            SortedOrder.Gather(batch, io.X, input, _o.InputSize);
        }
        ReadOnlySpan<T> x = input.IsEmpty ? io.X : input.Span;

        Span<T> state = temp.Rent((long)bsz * _hout), cell = IsLstm ? temp.Rent((long)bsz * _h) : default;
        Span<T> work = temp.Rent(RecurrentPass.ForwardWorkLength(_cell, s.MaxBatch, _h));
        Span<T> gatesScratch = training ? default : temp.Rent((long)n * _g);
        PooledArray<T> y = default;
        for (int layer = 0; layer < _l; layer++)
        {
            bool last = layer == _l - 1;
            if (tape is not null) tape.Inputs[layer] = input;
            y = last && packedIo ? default : (training && !last ? keep : temp).Rent((long)n * yWidth);
            Span<T> ySpan = y.IsEmpty ? io.Y : y.Span;
            for (int dir = 0; dir < _d; dir++)
            {
                int sIndex = layer * _d + dir;
                SortedOrder.StateIn(batch, Slice(io.H0, sIndex, bsz * _hout), state, _hout);
                if (IsLstm) SortedOrder.StateIn(batch, Slice(io.C0, sIndex, bsz * _h), cell, _h);
                var p = new DirectionForward<T>
                {
                    Cell = _cell, InputSize = InputSizeOf(layer), HiddenSize = _h, OutputSize = _hout,
                    Reverse = dir == 1,
                    PerStepInputProjection = mode == ExecutionMode.Static
                        || RecurrentPass.PerStepInputProjectionPays<T>(s, InputSizeOf(layer), _hout, _g, _threads),
                    Threads = _threads,
                    X = x, Wih = W(layer, dir, RnnParameterKind.InputWeight), Whh = W(layer, dir, RnnParameterKind.RecurrentWeight),
                    WhhPackedT = _packed.Transposed(layer, dir),
                    WihPackedT = _packed.InputTransposed(layer, dir),
                    Bih = W(layer, dir, RnnParameterKind.InputBias), Bhh = W(layer, dir, RnnParameterKind.RecurrentBias),
                    Whr = W(layer, dir, RnnParameterKind.ProjectionWeight),
                    H = state, C = cell, Y = ySpan, YStride = yWidth, YColumn = dir * _hout,
                    Gates = gatesScratch, Work = work,
                };
                if (tape is not null)
                {
                    var saved = new SavedDirection(keep, _cell, n, _g, _h, _hout, Projected);
                    tape.Directions[sIndex] = saved;
                    p.Gates = saved.Gates; p.HPrev = saved.HPrev; p.CPrev = saved.CPrev; p.CNext = saved.CNext;
                    p.HRaw = saved.HRaw; p.GruHn = saved.GruHn;
                }
                RecurrentPass.Forward(ref p, s);
                SortedOrder.StateOut(batch, state, Slice(io.HN, sIndex, bsz * _hout), _hout);
                if (IsLstm) SortedOrder.StateOut(batch, cell, Slice(io.CN, sIndex, bsz * _h), _h);
            }
            if (last) break;
            if (training && _o.Dropout > 0)
            {
                var mask = keep.Rent((long)n * yWidth);
                _dropout.Fill(mask.Span, _o.Dropout);
                tape!.Masks[layer] = mask;
                input = keep.Rent((long)n * yWidth);
                TensorPrimitives.Multiply(y.Span, mask.Span, input.Span);
            }
            else input = y;
            x = input.Span;
        }
        if (!packedIo) SortedOrder.Scatter(batch, y.Span, io.Y, yWidth);
    }

    public override bool ReportsLayersDuringBackward => true;

    public override void Backward(EngineTape engineTape, in BackwardIo<T> io)
    {
        var tape = (ManagedTape)engineTape;
        var batch = tape.Batch;
        var temp = _callScratch;
        BeginCall();
        try
        {
            var s = new StepSchedule(batch.StepBatchSizes, batch.StepOffsets);
            int n = batch.TotalSteps, bsz = batch.BatchSize, yWidth = _d * _hout;
            bool packedIo = batch.RowsArePacked;
            if (!io.Gradients.IsEmpty && io.OverwriteGradients) io.Gradients.Clear();

            ReadOnlySpan<T> dy = io.DY;
            if (!packedIo)
            {
                Span<T> packed = temp.Rent((long)n * yWidth);
                SortedOrder.Gather(batch, io.DY, packed, yWidth);
                dy = packed;
            }

            Span<T> dh = temp.Rent((long)bsz * _hout), dc = IsLstm ? temp.Rent((long)bsz * _h) : default;
            Span<T> work = temp.Rent(RecurrentPass.BackwardWorkLength(s.MaxBatch, _h, _hout));
            Span<T> dgh = _cell == CellFunction.Gru ? temp.Rent((long)n * _g) : default;
            Span<T> dhOut = Projected ? temp.Rent((long)n * _hout) : default;

            for (int layer = _l - 1; layer >= 0; layer--)
            {
                int inSize = InputSizeOf(layer);
                Span<T> dx;
                if (layer > 0 || (!packedIo && !io.DX.IsEmpty)) dx = temp.RentZeroed((long)n * inSize);
                else if (io.DX.IsEmpty) dx = default;
                else { dx = io.DX; dx.Clear(); }

                for (int dir = 0; dir < _d; dir++)
                {
                    int sIndex = layer * _d + dir;
                    var saved = tape.Directions[sIndex]!;
                    SortedOrder.StateIn(batch, Slice(io.DHN, sIndex, bsz * _hout), dh, _hout);
                    if (IsLstm) SortedOrder.StateIn(batch, Slice(io.DCN, sIndex, bsz * _h), dc, _h);
                    Span<T> grads = io.Gradients;
                    var p = new DirectionBackward<T>
                    {
                        Cell = _cell, InputSize = inSize, HiddenSize = _h, OutputSize = _hout, Reverse = dir == 1, HasBias = _o.Bias,
                        Threads = _threads,
                        X = tape.Inputs[layer], Wih = W(layer, dir, RnnParameterKind.InputWeight),
                        Whh = W(layer, dir, RnnParameterKind.RecurrentWeight), Whr = W(layer, dir, RnnParameterKind.ProjectionWeight),
                        WhhPacked = _packed.Plain(layer, dir),
                        DY = dy, DYStride = yWidth, DYColumn = dir * _hout, DH = dh, DC = dc,
                        Gates = saved.Gates, HPrev = saved.HPrev, CPrev = saved.CPrev, CNext = saved.CNext,
                        HRaw = saved.HRaw, GruHn = saved.GruHn,
                        Work = work, DGh = dgh, DHOut = dhOut, DX = dx,
                        DWih = _layout.Slice(grads, layer, dir, RnnParameterKind.InputWeight),
                        DWhh = _layout.Slice(grads, layer, dir, RnnParameterKind.RecurrentWeight),
                        DBih = _layout.Slice(grads, layer, dir, RnnParameterKind.InputBias),
                        DBhh = _layout.Slice(grads, layer, dir, RnnParameterKind.RecurrentBias),
                        DWhr = _layout.Slice(grads, layer, dir, RnnParameterKind.ProjectionWeight),
                    };
                    RecurrentPass.Backward(ref p, s);
                    SortedOrder.StateOut(batch, dh, Slice(io.DH0, sIndex, bsz * _hout), _hout);
                    if (IsLstm) SortedOrder.StateOut(batch, dc, Slice(io.DC0, sIndex, bsz * _h), _h);
                }
                if (layer > 0)
                {
                    // The layer below produced y; dropout scaled it on the way up, so scale its gradient too.
                    var mask = tape.Masks[layer - 1];
                    if (!mask.IsEmpty) TensorPrimitives.Multiply(dx, mask.Span, dx);
                    dy = dx;
                }
                else if (!io.DX.IsEmpty && !packedIo) SortedOrder.Scatter(batch, dx, io.DX, inSize);
                if (!io.Gradients.IsEmpty) io.LayerGradientsReady?.Invoke(layer);
            }
        }
        finally { ReleaseScratch(); }
    }

    public override RnnMemoryPlan PlanMemory(SequenceBatch batch, bool training, ExecutionMode mode)
    {
        // Mirrors what Run and Backward rent; the tests hold the plan to the measured figures.
        long n = batch.TotalSteps, b = batch.BatchSize;
        int maxB = batch.StepBatchSizes.IsEmpty ? 0 : batch.StepBatchSizes[0];
        bool packedIo = batch.RowsArePacked;
        long yWidth = _d * _hout, size = Unsafe.SizeOf<T>();
        long layerOut = n * yWidth, input = n * _o.InputSize;
        long states = b * _hout + (IsLstm ? b * _h : 0);
        long forwardWork = states + RecurrentPass.ForwardWorkLength(_cell, maxB, _h);
        long work, saved = 0;
        if (!training)
        {
            work = (packedIo ? 0 : input) + forwardWork + n * _g + (_l - (packedIo ? 1 : 0)) * layerOut;
        }
        else
        {
            saved = input + _l * _d * SavedDirection.Elements(_cell, n, _g, _h, _hout, Projected)
                + (_l - 1) * layerOut * (_o.Dropout > 0 ? 3 : 1);
            long forward = forwardWork + (packedIo ? 0 : layerOut);
            long backward = (packedIo ? 0 : layerOut) + states + RecurrentPass.BackwardWorkLength(maxB, _h, _hout)
                + (_cell == CellFunction.Gru ? n * _g : 0) + (Projected ? n * _hout : 0)
                + (_l - 1) * layerOut + (packedIo ? 0 : input);
            work = Math.Max(forward, backward);
        }
        return new RnnMemoryPlan(RnnBackend.Managed, work * size, saved * size, 0, (work + saved) * size,
            "Managed engine: workspace and saved activations live in pooled host arrays; they are already in host memory, so activation swapping changes nothing.");
    }

    public override EngineStepper<T> CreateStepper(int batchSize) => new ManagedStepper(this, batchSize);

    public override void Dispose()
    {
        _released = true;
        _callScratch.Dispose();
    }

    private ReadOnlySpan<T> W(int layer, int dir, RnnParameterKind kind) => _layout.Slice<T>(_parameters, layer, dir, kind);

    private static Span<T> Slice(Span<T> s, int index, int width) => s.IsEmpty ? default : s.Slice(index * width, width);
    private static ReadOnlySpan<T> Slice(ReadOnlySpan<T> s, int index, int width) => s.IsEmpty ? default : s.Slice(index * width, width);

    /// <summary>What one direction of one layer saves for backward.</summary>
    private sealed class SavedDirection
    {
        public SavedDirection(PooledBuffers<T> pool, CellFunction cell, int n, int g, int h, int hout, bool projected)
        {
            Gates = pool.Rent((long)n * g);
            HPrev = pool.Rent((long)n * hout);
            if (cell == CellFunction.Lstm) { CPrev = pool.Rent((long)n * h); CNext = pool.Rent((long)n * h); }
            if (projected) HRaw = pool.Rent((long)n * h);
            if (cell == CellFunction.Gru) GruHn = pool.Rent((long)n * h);
        }

        public static long Elements(CellFunction cell, long n, long g, long h, long hout, bool projected)
            => n * g + n * hout + (cell == CellFunction.Lstm ? 2 * n * h : 0) + (projected ? n * h : 0) + (cell == CellFunction.Gru ? n * h : 0);

        public readonly PooledArray<T> Gates, HPrev, CPrev, CNext, HRaw, GruHn;
    }

    private sealed class ManagedTape(SequenceBatch batch, int layers, int directions) : EngineTape
    {
        public SequenceBatch Batch { get; } = batch;
        public PooledBuffers<T> Buffers { get; } = new();
        public PooledArray<T>[] Inputs { get; } = new PooledArray<T>[layers];
        public PooledArray<T>[] Masks { get; } = new PooledArray<T>[Math.Max(layers - 1, 0)];
        public SavedDirection?[] Directions { get; } = new SavedDirection?[layers * directions];
        public override (long Host, long Device) SavedBytes => (Buffers.Elements * Unsafe.SizeOf<T>(), 0);
        public override void Dispose() => Buffers.Dispose();
    }
}
