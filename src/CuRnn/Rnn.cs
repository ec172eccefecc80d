using System.Numerics;
using CuRnn.Engines;
using CuRnn.Engines.Cudnn;
using CuRnn.Native;

namespace CuRnn;

/// <summary>
/// A multi-layer, optionally bidirectional recurrent layer (tanh or ReLU RNN, LSTM, GRU) with PyTorch's
/// semantics, parameter names, shapes and gate order, run by cuDNN on a GPU or by the managed engine.
/// </summary>
/// <typeparam name="T"><see cref="float"/> for work, <see cref="double"/> for gradient checks.</typeparam>
/// <remarks>
/// <para>Equations per layer k and direction (PyTorch's): RNN <c>h' = act(W_ih x + b_ih + W_hh h + b_hh)</c>;
/// LSTM with gates i, f, g, o: <c>c' = σ(f) * c + σ(i) * tanh(g)</c>, <c>h' = σ(o) * tanh(c')</c>, projected by
/// <c>W_hr</c> when <see cref="RnnOptions.ProjectionSize"/> &gt; 0; GRU with gates r, z, n:
/// <c>n = tanh(W_in x + b_in + r * (W_hn h + b_hn))</c>, <c>h' = (1 - z) * n + z * h</c>. Layer k &gt; 0 reads the
/// concatenated outputs of both directions of layer k - 1 (after dropout when training).</para>
/// <para>Tensors: x [rows, I] and y [rows, D*Hout] in the batch's layout (padded positions of y are written as 0);
/// h0/hN [L*D, B, Hout], c0/cN [L*D, B, H] (index layer*D + direction), in the caller's sequence order. The
/// reverse direction starts at each sequence's own last step.</para>
/// <para>The engines agree within float rounding: the managed engine and cuDNN in strict FP32 differ by a relative
/// error below 1e-5 (3e-5 where cuDNN's persistent small-hidden kernel runs; see <see cref="RnnPrecision.Strict"/>);
/// static and dynamic mode likewise.</para>
/// <para>A layer runs one call at a time; a second thread entering while a call runs gets an exception.</para>
/// </remarks>
public sealed partial class Rnn<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly ParameterLayout _layout;
    private readonly T[] _parameters;
    private readonly ParameterVersions<T> _versions;
    private readonly DropoutSource _dropout;
    private readonly RnnEngine<T> _engine;
    private int _busy;
    private int _engineReleased;
    private volatile bool _disposed;

    /// <summary>Creates a layer with seeded default parameters (uniform in ±1/√H, as PyTorch).</summary>
    /// <param name="options">The layer's shape and behaviour.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="NotSupportedException"><typeparamref name="T"/> is not float or double.</exception>
    /// <exception cref="BackendUnavailableException">cuDNN was asked for and cannot run here.</exception>
    public Rnn(RnnOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double))
            throw new NotSupportedException($"T must be float or double; actual {typeof(T).Name}.");
        options.Validate();
        Options = options;
        _layout = new ParameterLayout(options);
        _parameters = new T[_layout.TotalLength];
        _versions = new ParameterVersions<T>(_parameters, options.ParameterSync);
        _dropout = new DropoutSource(options.Seed ^ 0xD0D0D0D0UL);
        ResetParameters(options.Seed);
        var selection = BackendSelection.Choose(options.Backend);
        _engine = (selection.Chosen == RnnBackend.Cudnn ? TryCudnn(ref selection) : null)
            ?? new ManagedEngine<T>(options, _layout, _versions, _dropout);
        Selection = selection;
    }

    private RnnEngine<T>? TryCudnn(ref BackendSelection selection)
    {
        try { return new CudnnEngine<T>(Options, _layout, _versions); }
        catch (Exception e) when (e is CudaException or CudnnException or DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            selection = selection.AfterEngineFailure(e);
            return null;
        }
    }

    internal RnnEngine<T> Engine => _engine;

    /// <summary>The options the layer was made with.</summary>
    public RnnOptions Options { get; }

    /// <summary>The engine running this layer.</summary>
    public RnnBackend Backend => _engine.Kind;

    /// <summary>Which backend was chosen and why, with the GPU probe's findings.</summary>
    public BackendSelection Selection { get; }

    /// <summary>Elements in the flat parameter (and gradient) buffer.</summary>
    public int ParameterCount => _layout.TotalLength;

    /// <summary>Every parameter tensor with its PyTorch name, shape and offset in <see cref="Parameters"/>, in PyTorch's order.</summary>
    public IReadOnlyList<RnnParameterInfo> ParameterInfos => _layout.Parameters;

    /// <summary>
    /// The flat parameter buffer. Writes take effect on the next call; with <see cref="ParameterSync.Announced"/>, on
    /// the next call after <see cref="ParametersChanged"/>.
    /// </summary>
    public Span<T> Parameters { get { ThrowIfDisposed(); return _parameters; } }

    /// <summary>The elements of one named parameter (e.g. <c>weight_hh_l0_reverse</c>), row-major.</summary>
    /// <exception cref="KeyNotFoundException">No parameter has that name; the message lists the names.</exception>
    public Span<T> Parameter(string name)
    {
        ThrowIfDisposed();
        var info = _layout.Get(name);
        return _parameters.AsSpan(info.Offset, info.Length);
    }

    /// <summary>
    /// The gradient of one named parameter inside a flat gradient buffer that <see cref="Backward(RnnTape{T}, BackwardInputs{T}, BackwardOutputs{T}, GradientMode)"/> filled: the same
    /// name, shape and offset as <see cref="Parameter(string)"/>, so <c>Gradient(grads, "weight_hh_l0")</c> is
    /// PyTorch's <c>weight_hh_l0.grad</c>, row-major.
    /// </summary>
    /// <param name="gradients">A buffer of <see cref="ParameterCount"/> elements in the parameters' layout.</param>
    /// <param name="name">A parameter name, as <see cref="ParameterInfos"/> lists them.</param>
    /// <exception cref="ArgumentException"><paramref name="gradients"/> does not hold <see cref="ParameterCount"/> elements.</exception>
    /// <exception cref="KeyNotFoundException">No parameter has that name; the message lists the names.</exception>
    public Span<T> Gradient(Span<T> gradients, string name)
    {
        if (gradients.Length != ParameterCount)
            throw new ArgumentException($"gradients must hold ParameterCount = {ParameterCount} elements; actual {gradients.Length}.", nameof(gradients));
        var info = _layout.Get(name);
        return gradients.Slice(info.Offset, info.Length);
    }

    /// <summary>Where one named parameter lives in the flat buffer (and in a gradient buffer).</summary>
    /// <exception cref="KeyNotFoundException">No parameter has that name.</exception>
    public RnnParameterInfo ParameterInfo(string name) => _layout.Get(name);

    /// <summary>Re-draws every parameter uniformly in [-1/√H, 1/√H] from <paramref name="seed"/>.</summary>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is inside a call on this layer.</exception>
    public void ResetParameters(ulong seed)
    {
        using var scope = Enter();
        var rng = new SplitMix64(seed);
        double bound = 1.0 / Math.Sqrt(Options.HiddenSize);
        for (int i = 0; i < _parameters.Length; i++) _parameters[i] = T.CreateChecked((2 * rng.NextDouble() - 1) * bound);
        _versions.Announce();
    }

    /// <summary>
    /// Says that <see cref="Parameters"/> were written (an optimizer step, say): needed with
    /// <see cref="ParameterSync.Announced"/>, harmless with <see cref="ParameterSync.Compare"/>.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is inside a call on this layer.</exception>
    public void ParametersChanged()
    {
        using var scope = Enter();
        _versions.Announce();
    }

    /// <summary>Restarts the dropout masks' generator, so the next training forwards draw the same masks again.</summary>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is inside a call on this layer.</exception>
    public void ReseedDropout(ulong seed)
    {
        using var scope = Enter();
        _dropout.Reseed(seed);
        (_engine as CudnnEngine<T>)?.ReseedDropout(seed);
    }

    /// <summary>
    /// Inference: runs the layer over a batch of sequences; nothing is kept for backward, no dropout.
    /// <c>Forward(batch, x, y)</c>, or with states <c>Forward(batch, new(x) { H0 = h0, C0 = c0 }, new(y) { HN = hN, CN = cN })</c>.
    /// </summary>
    /// <param name="batch">Layout and lengths of the batch.</param>
    /// <param name="inputs">x [rows, I] in the batch's layout (padded positions ignored) and the initial states; a span converts to x alone.</param>
    /// <param name="outputs">y [rows, D*Hout] in the batch's layout (padded positions set to 0) and where the final states go; a span converts to y alone.</param>
    /// <param name="mode">Execution mode; the options' when null.</param>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, an output overlaps another argument, or c0/cN is given to a cell other than LSTM.</exception>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is inside a call on this layer.</exception>
    public void Forward(SequenceBatch batch, ForwardInputs<T> inputs, ForwardOutputs<T> outputs, ExecutionMode? mode = null)
    {
        using var scope = Enter();
        var io = ValidateForward(batch, inputs.X, outputs.Y, inputs.H0, inputs.C0, outputs.HN, outputs.CN, mode);
        _engine.Forward(batch, io, mode ?? Options.Mode);
    }

    /// <summary>Training forward: as <see cref="Forward(SequenceBatch, ForwardInputs{T}, ForwardOutputs{T}, ExecutionMode?)"/>, with
    /// dropout, returning the tape that <see cref="Backward(RnnTape{T}, BackwardInputs{T}, BackwardOutputs{T}, GradientMode)"/> consumes.</summary>
    /// <returns>The saved state; dispose it (or let backward consume it) to return its memory.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    /// <exception cref="ArgumentException">A span has the wrong length, an output overlaps another argument, or c0/cN is given to a cell other than LSTM.</exception>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is inside a call on this layer.</exception>
    public RnnTape<T> ForwardTraining(SequenceBatch batch, ForwardInputs<T> inputs, ForwardOutputs<T> outputs, ExecutionMode? mode = null)
    {
        using var scope = Enter();
        var io = ValidateForward(batch, inputs.X, outputs.Y, inputs.H0, inputs.C0, outputs.HN, outputs.CN, mode);
        var effective = mode ?? Options.Mode;
        return new RnnTape<T>(this, batch, effective, _engine.ForwardTraining(batch, io, effective));
    }

    /// <summary>
    /// Backward through a training forward with zero final-state gradients: dx, and the weight gradients added into
    /// (or, with <see cref="GradientMode.Overwrite"/>, written to) <paramref name="gradients"/>. Consumes the tape.
    /// </summary>
    /// <param name="tape">The tape of this layer's training forward, not yet used.</param>
    /// <param name="dy">Gradient for y [rows, D*Hout] in the batch's layout (padded positions ignored).</param>
    /// <param name="dx">Receives the gradient for x [rows, I] (padded positions 0), or empty to skip.</param>
    /// <param name="gradients">Flat weight-gradient buffer laid out as <see cref="Parameters"/>, or empty to skip.</param>
    /// <param name="gradientMode">Add into <paramref name="gradients"/> or overwrite it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tape"/> is null.</exception>
    /// <exception cref="ArgumentException">The tape belongs to another layer, or a span has the wrong length or overlaps another.</exception>
    /// <exception cref="InvalidOperationException">The tape was already used, or another thread is inside a call on this layer.</exception>
    /// <exception cref="ObjectDisposedException">The layer or the tape is disposed.</exception>
    public void Backward(RnnTape<T> tape, ReadOnlySpan<T> dy, Span<T> dx, Span<T> gradients, GradientMode gradientMode = GradientMode.Accumulate)
        => Backward(tape, new BackwardInputs<T>(dy), new BackwardOutputs<T>(dx, gradients), gradientMode);

    /// <summary>
    /// Backward through a training forward: input and initial-state gradients, and the weight gradients added into
    /// (or, with <see cref="GradientMode.Overwrite"/>, written to) the gradient buffer. Consumes the tape:
    /// <c>Backward(tape, new(dy) { DHN = dhN }, new(dx, grads) { DH0 = dh0 })</c>.
    /// </summary>
    /// <param name="tape">The tape of this layer's training forward, not yet used.</param>
    /// <param name="inputs">dy and the final-state gradients.</param>
    /// <param name="outputs">Where dx, the weight gradients and the initial-state gradients go.</param>
    /// <param name="gradientMode">Add into the gradient buffer or overwrite it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="tape"/> is null.</exception>
    /// <exception cref="ArgumentException">The tape belongs to another layer, or a span has the wrong length or overlaps another.</exception>
    /// <exception cref="InvalidOperationException">The tape was already used, or another thread is inside a call on this layer.</exception>
    /// <exception cref="ObjectDisposedException">The layer or the tape is disposed.</exception>
    public void Backward(RnnTape<T> tape, BackwardInputs<T> inputs, BackwardOutputs<T> outputs, GradientMode gradientMode = GradientMode.Accumulate)
    {
        using var scope = Enter();
        ArgumentNullException.ThrowIfNull(tape);
        if (!ReferenceEquals(tape.Owner, this))
            throw new ArgumentException("tape was made by another layer's ForwardTraining; pass the tape this layer returned.", nameof(tape));
        ReadOnlySpan<T> dy = inputs.DY, dhN = inputs.DHN, dcN = inputs.DCN;
        Span<T> dx = outputs.DX, gradients = outputs.Gradients, dh0 = outputs.DH0, dc0 = outputs.DC0;
        tape.Peek();
        var o = Options;
        var batch = tape.Batch;
        int lb = o.NumLayers * o.Directions * batch.BatchSize;
        CallValidation.Required(nameof(dy), dy, batch.ElementCount(o.OutputFeatures), ShapeText.Data(batch, o.OutputFeatures, "D*Hout"));
        CallValidation.Optional(nameof(dx), dx, batch.ElementCount(o.InputSize), ShapeText.Data(batch, o.InputSize, "I"));
        CallValidation.Optional(nameof(gradients), gradients, ParameterCount, "the flat parameter layout");
        CallValidation.Optional(nameof(dhN), dhN, (long)lb * o.OutputSize, ShapeText.State(o, batch, o.OutputSize, "Hout"));
        CallValidation.Optional(nameof(dh0), dh0, (long)lb * o.OutputSize, ShapeText.State(o, batch, o.OutputSize, "Hout"));
        CallValidation.LstmOnly(nameof(dcN), dcN, o, (long)lb * o.HiddenSize, ShapeText.State(o, batch, o.HiddenSize, "H"));
        CallValidation.LstmOnly(nameof(dc0), dc0, o, (long)lb * o.HiddenSize, ShapeText.State(o, batch, o.HiddenSize, "H"));
        if (!Enum.IsDefined(gradientMode)) ThrowHelper.OutOfRange(nameof(gradientMode), "Accumulate or Overwrite", gradientMode);
        ReadOnlySpan<T> w = _parameters;
        ReadOnlySpan<T> dxR = dx, dh0R = dh0, dc0R = dc0, gR = gradients;
        CheckOutput(nameof(dx), dxR, nameof(dy), dy, nameof(dhN), dhN, nameof(dcN), dcN, nameof(Parameters), w);
        CheckOutput(nameof(dh0), dh0R, nameof(dy), dy, nameof(dhN), dhN, nameof(dcN), dcN, nameof(Parameters), w);
        CheckOutput(nameof(dc0), dc0R, nameof(dy), dy, nameof(dhN), dhN, nameof(dcN), dcN, nameof(Parameters), w);
        CheckOutput(nameof(gradients), gR, nameof(dy), dy, nameof(dhN), dhN, nameof(dcN), dcN, nameof(Parameters), w);
        CheckOutput(nameof(dx), dxR, nameof(dh0), dh0R, nameof(dc0), dc0R, nameof(gradients), gR, "", default);
        CheckOutput(nameof(dh0), dh0R, nameof(dc0), dc0R, nameof(gradients), gR, "", default, "", default);
        CheckOutput(nameof(dc0), dc0R, nameof(gradients), gR, "", default, "", default, "", default);
        var engineTape = tape.BeginBackward();
        try
        {
            _engine.Backward(engineTape, new BackwardIo<T>
            {
                DY = dy, DHN = dhN, DCN = dcN, DX = dx, DH0 = dh0, DC0 = dc0, Gradients = gradients,
                OverwriteGradients = gradientMode == GradientMode.Overwrite, LayerGradientsReady = outputs.LayerGradientsReady,
            });
            if (outputs.LayerGradientsReady is { } ready && !gradients.IsEmpty && !_engine.ReportsLayersDuringBackward)
                for (int layer = o.NumLayers - 1; layer >= 0; layer--) ready(layer);
        }
        finally
        {
            tape.EndBackward();
            tape.Dispose();
        }
    }

    /// <summary>
    /// Where layer <paramref name="layer"/>'s parameters (and gradients) lie in the flat buffer: PyTorch's order keeps
    /// a layer's tensors, both directions, together.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="layer"/> is not in 0..NumLayers-1.</exception>
    public (int Offset, int Length) LayerGradientRange(int layer)
    {
        if ((uint)layer >= (uint)Options.NumLayers) ThrowHelper.OutOfRange(nameof(layer), $"0..{Options.NumLayers - 1}", layer);
        int start = int.MaxValue, end = 0;
        foreach (var info in ParameterInfos)
            if (info.Layer == layer)
            {
                start = Math.Min(start, info.Offset);
                end = Math.Max(end, info.Offset + info.Length);
            }
        return (start, end - start);
    }

    /// <summary>Opens a stream that feeds one time step at a time, keeping the state between calls (static mode).</summary>
    /// <param name="batchSize">Rows fed per step.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batchSize"/> is below 1.</exception>
    /// <exception cref="InvalidOperationException">The layer is bidirectional (the reverse direction needs the whole sequence).</exception>
    /// <exception cref="ObjectDisposedException">The layer is disposed.</exception>
    public RnnStream<T> CreateStream(int batchSize)
    {
        ThrowIfDisposed();
        if (batchSize < 1) ThrowHelper.OutOfRange(nameof(batchSize), ">= 1", batchSize);
        if (Options.Bidirectional)
            throw new InvalidOperationException("A bidirectional layer cannot stream: its reverse direction needs the whole sequence before the first output.");
        return new RnnStream<T>(this, batchSize, _engine.CreateStepper(batchSize));
    }

    /// <summary>The workspace and saved-activation memory a call on <paramref name="batch"/> needs, on the device and on the host.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="batch"/> is null.</exception>
    public RnnMemoryPlan PlanMemory(SequenceBatch batch, bool training, ExecutionMode? mode = null)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfDisposed();
        return _engine.PlanMemory(batch, training, mode ?? Options.Mode);
    }

    /// <summary>
    /// Releases the engine's resources. Later calls throw <see cref="ObjectDisposedException"/>; a call still
    /// running on another thread finishes first and releases them as it leaves.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ReleaseEngineIfIdle();
    }

    private void ReleaseEngineIfIdle()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) return;   // the running call releases it
        if (Interlocked.Exchange(ref _engineReleased, 1) == 0) _engine.Dispose();
        Volatile.Write(ref _busy, 0);
    }

    internal CallScope Enter()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            ThrowIfDisposed();
            throw new InvalidOperationException("This layer is already running a call on another thread; a layer runs one call at a time (use one layer per thread).");
        }
        // Checked only while holding the layer: Dispose sets the flag before it tries to take the layer, so either it
        // sees this call and leaves the release to it, or this call sees the flag and never touches the engine.
        if (_disposed)
        {
            Volatile.Write(ref _busy, 0);
            ReleaseEngineIfIdle();
            ObjectDisposedException.ThrowIf(true, this);
        }
        return new CallScope(this);
    }

    internal readonly struct CallScope(Rnn<T> owner) : IDisposable
    {
        public void Dispose()
        {
            Volatile.Write(ref owner._busy, 0);
            if (owner._disposed) owner.ReleaseEngineIfIdle();
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    private ForwardIo<T> ValidateForward(SequenceBatch batch, ReadOnlySpan<T> x, Span<T> y,
        ReadOnlySpan<T> h0, ReadOnlySpan<T> c0, Span<T> hN, Span<T> cN, ExecutionMode? mode)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var o = Options;
        if (mode is { } m && !Enum.IsDefined(m)) ThrowHelper.OutOfRange(nameof(mode), "Dynamic, Static or null", m);
        long lb = (long)o.NumLayers * o.Directions * batch.BatchSize;
        CallValidation.Required(nameof(x), x, batch.ElementCount(o.InputSize), ShapeText.Data(batch, o.InputSize, "I"));
        CallValidation.Required(nameof(y), (ReadOnlySpan<T>)y, batch.ElementCount(o.OutputFeatures), ShapeText.Data(batch, o.OutputFeatures, "D*Hout"));
        CallValidation.Optional(nameof(h0), h0, lb * o.OutputSize, ShapeText.State(o, batch, o.OutputSize, "Hout"));
        CallValidation.Optional(nameof(hN), (ReadOnlySpan<T>)hN, lb * o.OutputSize, ShapeText.State(o, batch, o.OutputSize, "Hout"));
        CallValidation.LstmOnly(nameof(c0), c0, o, lb * o.HiddenSize, ShapeText.State(o, batch, o.HiddenSize, "H"));
        CallValidation.LstmOnly(nameof(cN), (ReadOnlySpan<T>)cN, o, lb * o.HiddenSize, ShapeText.State(o, batch, o.HiddenSize, "H"));
        ReadOnlySpan<T> w = _parameters;
        ReadOnlySpan<T> yR = y, hNR = hN, cNR = cN;
        CheckOutput(nameof(y), yR, nameof(x), x, nameof(h0), h0, nameof(c0), c0, nameof(Parameters), w);
        CheckOutput(nameof(hN), hNR, nameof(x), x, nameof(h0), h0, nameof(c0), c0, nameof(Parameters), w);
        CheckOutput(nameof(cN), cNR, nameof(x), x, nameof(h0), h0, nameof(c0), c0, nameof(Parameters), w);
        CheckOutput(nameof(y), yR, nameof(hN), hNR, nameof(cN), cNR, "", default, "", default);
        CheckOutput(nameof(hN), hNR, nameof(cN), cNR, "", default, "", default, "", default);
        return new ForwardIo<T> { X = x, Y = y, H0 = h0, C0 = c0, HN = hN, CN = cN };
    }

    // An output may share memory with no other argument; the message names both.
    private static void CheckOutput(string name, ReadOnlySpan<T> output, string n1, ReadOnlySpan<T> s1, string n2, ReadOnlySpan<T> s2,
        string n3, ReadOnlySpan<T> s3, string n4, ReadOnlySpan<T> s4)
    {
        CallValidation.NoOverlap(name, output, n1, s1);
        CallValidation.NoOverlap(name, output, n2, s2);
        CallValidation.NoOverlap(name, output, n3, s3);
        CallValidation.NoOverlap(name, output, n4, s4);
    }
}
