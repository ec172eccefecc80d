using System.Numerics;
using CuRnn.Managed;
using CuRnn.Native.Cudnn;

namespace CuRnn.Engines.Cudnn;

/// <summary>
/// The cuDNN 9 engine. Dynamic mode: one <c>cudnnRNNForward</c> (and one backward-data, one backward-weights) over the
/// whole batch. Static mode: one call per time step, per layer and direction. The host-span API stages through
/// page-locked memory into packed, longest-first rows with zero-length sequences left out (cuDNN does not take
/// length 0; the facade's contract for them is applied on the host).
/// </summary>
internal sealed partial class CudnnEngine<T> : RnnEngine<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly RnnOptions _o;
    private readonly ParameterLayout _layout;
    private readonly T[] _parameters;
    private readonly PreparedParameters<T> _uploaded;
    private readonly CudnnRuntime<T> _rt;
    private readonly DropoutDescriptorHandle _noDropout;
    private readonly DropoutDescriptorHandle _dropout;
    private readonly CudnnNetwork<T> _dynamic;
    private CudnnNetwork<T>[,]? _static;
    private ulong _dropoutSeed;

    public CudnnEngine(RnnOptions options, ParameterLayout layout, ParameterVersions<T> parameters)
    {
        _o = options;
        _layout = layout;
        _parameters = parameters.Parameters;
        _uploaded = parameters.Track();
        _rt = new CudnnRuntime<T>(options);
        try
        {
            _rt.Enter();
            _noDropout = new DropoutDescriptorHandle();
            _noDropout.Set(_rt.Handle, _rt.Device.Context, 0f, 0);
            _dropoutSeed = options.Seed;
            bool dropout = options.Dropout > 0 && options.NumLayers > 1;
            _dropout = dropout ? new DropoutDescriptorHandle() : _noDropout;
            if (dropout) _dropout.Set(_rt.Handle, _rt.Device.Context, (float)options.Dropout, _dropoutSeed);
            _dynamic = new CudnnNetwork<T>(_rt, options, layout, _dropout, 0, options.NumLayers, -1);
        }
        catch
        {
            _rt.Dispose();
            throw;
        }
    }

    public override RnnBackend Kind => RnnBackend.Cudnn;

    /// <summary>The device the layer runs on, for the facade's memory statistics.</summary>
    internal CuRnn.Native.Cuda.CudaDevice Device => _rt.Device;

    /// <summary>Whether cuDNN's weight space is laid out exactly as the flat parameters (device gradients then need no reordering).</summary>
    internal bool WeightSpaceIsFlat => _dynamic.SpaceIsFlatLayout;

    /// <summary>Static mode's networks, one per layer and direction, made on first use.</summary>
    private CudnnNetwork<T>[,] StaticNetworks
    {
        get
        {
            if (_static is not null) return _static;
            var nets = new CudnnNetwork<T>[_o.NumLayers, _o.Directions];
            for (int l = 0; l < _o.NumLayers; l++)
                for (int d = 0; d < _o.Directions; d++)
                    nets[l, d] = new CudnnNetwork<T>(_rt, _o, _layout, _noDropout, l, 1, d);
            _uploaded.Invalidate();   // the new weight spaces need the parameters
            return _static = nets;
        }
    }

    /// <summary>Re-uploads the parameters when they changed since the last upload (see <see cref="ParameterSync"/>).</summary>
    private void SyncWeights()
    {
        if (_uploaded.IsCurrent()) return;
        _dynamic.Upload(_parameters);
        if (_static is not null) foreach (var n in _static) n.Upload(_parameters);
        _uploaded.MarkPrepared();
    }

    internal void ReseedDropout(ulong seed)
    {
        _dropoutSeed = seed;
        if (!ReferenceEquals(_dropout, _noDropout))
        {
            _rt.Enter();
            _dropout.Set(_rt.Handle, _rt.Device.Context, (float)_o.Dropout, seed);
        }
    }

    public override RnnMemoryPlan PlanMemory(SequenceBatch batch, bool training, ExecutionMode mode)
    {
        _rt.Enter();
        var shape = new PackedShape(batch);
        long e = _rt.ElementBytes;
        long io = (long)shape.Rows * (_o.InputSize + _o.OutputFeatures) * e;
        long states = 2L * _o.NumLayers * _o.Directions * shape.Batch * (_o.OutputSize + (_o.Cell == RnnCellKind.Lstm ? _o.HiddenSize : 0)) * e;
        if (shape.Batch == 0)
            return new RnnMemoryPlan(RnnBackend.Cudnn, 0, 0, 0, 0, "every sequence has length 0: nothing runs on the device.");
        if (Effective(batch, mode) == ExecutionMode.Dynamic)
        {
            using var plan = DynamicPlan(shape, _dynamic.Descriptor);
            long ws = training ? plan.TrainingWorkspaceBytes : plan.InferenceWorkspaceBytes;
            long reserve = training ? plan.ReserveBytes : 0;
            bool swap = training && _o.SwapActivations;
            long saved = reserve + (training ? io + states / 2 : 0);
            return new RnnMemoryPlan(RnnBackend.Cudnn, ws + io + states, saved, swap ? ws + io + states + reserve : ws + io + states + saved,
                swap ? saved : 0,
                swap ? "dynamic: workspace, x, y and states on the device during the call; the reserve space, x, y and h0 move to page-locked host memory after the forward and return for backward."
                     : "dynamic: workspace, x, y, states and (training) the reserve space on the device.");
        }
        var s = StaticShape(shape, training);
        return new RnnMemoryPlan(RnnBackend.Cudnn, s.Workspace, s.Saved, s.Device, s.Host, s.Remarks);
    }

    public override void Dispose()
    {
        foreach (var plan in _stepPlans.Values) plan.Dispose();
        _stepPlans.Clear();
        _deviceWorkspace?.Dispose();
        _hostScratch.Dispose();
        if (_static is not null) foreach (var n in _static) n.Dispose();
        _dynamic.Dispose();
        if (!ReferenceEquals(_dropout, _noDropout)) _dropout.Dispose();
        _noDropout.Dispose();
        _rt.Dispose();
    }
}

/// <summary>The packed shape cuDNN sees: sorted lengths with zero-length sequences left out.</summary>
internal readonly struct PackedShape
{
    public PackedShape(SequenceBatch batch)
    {
        Source = batch;
        int b = 0;
        var order = batch.SortedToOriginal;
        while (b < order.Length && batch.Lengths[order[b]] > 0) b++;
        Batch = b;
        var lengths = new int[b];
        for (int i = 0; i < b; i++) lengths[i] = batch.Lengths[order[i]];
        Lengths = lengths;
        Steps = batch.StepBatchSizes.Length;
        Rows = batch.TotalSteps;
    }

    public SequenceBatch Source { get; }
    /// <summary>B': sequences with at least one step (the first B' in sorted order).</summary>
    public int Batch { get; }
    public int[] Lengths { get; }
    public int Steps { get; }
    public int Rows { get; }
}
