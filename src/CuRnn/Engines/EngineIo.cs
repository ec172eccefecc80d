namespace CuRnn.Engines;

/// <summary>The validated spans of a forward call (caller's layout and order). Empty optional spans mean "not given".</summary>
internal readonly ref struct ForwardIo<T>
{
    public ReadOnlySpan<T> X { get; init; }
    public Span<T> Y { get; init; }
    public ReadOnlySpan<T> H0 { get; init; }
    public ReadOnlySpan<T> C0 { get; init; }
    public Span<T> HN { get; init; }
    public Span<T> CN { get; init; }
}

/// <summary>The validated spans of a backward call (caller's layout and order). Empty optional spans mean "not given".</summary>
internal readonly ref struct BackwardIo<T>
{
    public ReadOnlySpan<T> DY { get; init; }
    public ReadOnlySpan<T> DHN { get; init; }
    public ReadOnlySpan<T> DCN { get; init; }
    public Span<T> DX { get; init; }
    public Span<T> DH0 { get; init; }
    public Span<T> DC0 { get; init; }
    public Span<T> Gradients { get; init; }
    public bool OverwriteGradients { get; init; }
    /// <summary>Told each layer's index as its weight gradients become final (top layer first), or null.</summary>
    public Action<int>? LayerGradientsReady { get; init; }
}

/// <summary>What an engine keeps between a training forward and its backward.</summary>
internal abstract class EngineTape : IDisposable
{
    /// <summary>Bytes of saved activations this tape holds on the host and on the device.</summary>
    public abstract (long Host, long Device) SavedBytes { get; }
    public abstract void Dispose();
}

/// <summary>An engine's state for streaming one step at a time.</summary>
internal abstract class EngineStepper<T> : IDisposable
{
    public abstract void Step(ReadOnlySpan<T> x, Span<T> y);
    public abstract void SetState(ReadOnlySpan<T> h, ReadOnlySpan<T> c);
    public abstract void GetState(Span<T> h, Span<T> c);
    public abstract void Dispose();
}

/// <summary>An engine executes validated calls; the facade owns the meaning of every tensor.</summary>
internal abstract class RnnEngine<T> : IDisposable
{
    public abstract RnnBackend Kind { get; }
    public abstract void Forward(SequenceBatch batch, in ForwardIo<T> io, ExecutionMode mode);
    public abstract EngineTape ForwardTraining(SequenceBatch batch, in ForwardIo<T> io, ExecutionMode mode);
    public abstract void Backward(EngineTape tape, in BackwardIo<T> io);
    /// <summary>True where <see cref="Backward"/> calls <see cref="BackwardIo{T}.LayerGradientsReady"/> itself as each
    /// layer finishes; otherwise the layer reports every layer after the call.</summary>
    public virtual bool ReportsLayersDuringBackward => false;
    public abstract RnnMemoryPlan PlanMemory(SequenceBatch batch, bool training, ExecutionMode mode);
    public abstract EngineStepper<T> CreateStepper(int batchSize);
    public abstract void Dispose();
}
