namespace CuRnn;

/// <summary>
/// The shape and behaviour of an <see cref="Rnn{T}"/> layer, named as PyTorch's <c>nn.RNN</c>/<c>nn.LSTM</c>/<c>nn.GRU</c> arguments.
/// </summary>
public sealed record RnnOptions
{
    /// <summary>The recurrence.</summary>
    public required RnnCellKind Cell { get; init; }
    /// <summary>Features per input step (I, PyTorch's <c>input_size</c>).</summary>
    public required int InputSize { get; init; }
    /// <summary>Features of the hidden state (H, <c>hidden_size</c>).</summary>
    public required int HiddenSize { get; init; }
    /// <summary>Stacked layers (L, <c>num_layers</c>), at least 1.</summary>
    public int NumLayers { get; init; } = 1;
    /// <summary>The most layers a layer stack may have.</summary>
    public const int MaxLayers = 65_536;
    /// <summary>Run a second, reverse direction per layer (D = 2) and concatenate the outputs.</summary>
    public bool Bidirectional { get; init; }
    /// <summary>Two bias vectors per layer and direction (<c>b_ih</c>, <c>b_hh</c>), as PyTorch and cuDNN's double-bias mode.</summary>
    public bool Bias { get; init; } = true;
    /// <summary>LSTM projection size P (0 = none); the output size is then P. Must be below <see cref="HiddenSize"/>.</summary>
    public int ProjectionSize { get; init; }
    /// <summary>Probability of zeroing an element of each layer's output before the next layer, training only.</summary>
    public double Dropout { get; init; }
    /// <summary>Seed of the default parameter initialisation and of the dropout masks.</summary>
    public ulong Seed { get; init; } = 0x5EED;
    /// <summary>Engine choice; the environment variable <c>CURNN_BACKEND</c> (auto, managed, cudnn) overrides it.</summary>
    public RnnBackend Backend { get; init; } = RnnBackend.Auto;
    /// <summary>Execution mode used when a call does not name one.</summary>
    public ExecutionMode Mode { get; init; } = ExecutionMode.Dynamic;
    /// <summary>Arithmetic of the cuDNN engine: strict FP32 by default; TF32 or FP16 on request.</summary>
    public RnnPrecision Precision { get; init; } = RnnPrecision.Strict;
    /// <summary>
    /// Training on the cuDNN engine: move the activations saved for backward to page-locked host memory as they are
    /// produced and bring them back ahead of backward (results are bitwise the same). The managed engine keeps its
    /// activations in host memory anyway.
    /// </summary>
    public bool SwapActivations { get; init; }
    /// <summary>
    /// Threads a call on the managed engine may use, the calling thread included: 0 (default) the cores this process
    /// may run on (its CPU affinity and a container's CPU quota respected), 1 the calling thread only, at most 256.
    /// Results are bitwise the same for every count. Layers and streams share one pool of worker threads per process.
    /// </summary>
    public int MaxThreads { get; init; }
    /// <summary>The CUDA device the cuDNN engine runs on.</summary>
    public int DeviceOrdinal { get; init; }
    /// <summary>How the engine sees writes to the parameters: compared every call (default) or announced by <see cref="Rnn{T}.ParametersChanged"/>.</summary>
    public ParameterSync ParameterSync { get; init; } = ParameterSync.Compare;

    /// <summary>D: 2 when bidirectional, else 1.</summary>
    public int Directions => Bidirectional ? 2 : 1;
    /// <summary>Hout: the size of h and of each direction's output (P with projection, else H).</summary>
    public int OutputSize => ProjectionSize > 0 ? ProjectionSize : HiddenSize;
    /// <summary>Features of each output step: D * Hout.</summary>
    public int OutputFeatures => Directions * OutputSize;

    /// <summary>Checks every option and throws naming the first that is out of range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size, count or probability is out of range.</exception>
    /// <exception cref="ArgumentException">A projection on a cell other than LSTM.</exception>
    public void Validate()
    {
        if (!Enum.IsDefined(Cell)) ThrowHelper.OutOfRange(nameof(Cell), "one of RnnTanh, RnnRelu, Lstm, Gru", Cell);
        if (InputSize < 1) ThrowHelper.OutOfRange(nameof(InputSize), ">= 1", InputSize);
        if (HiddenSize < 1) ThrowHelper.OutOfRange(nameof(HiddenSize), ">= 1", HiddenSize);
        if (NumLayers < 1 || NumLayers > MaxLayers) ThrowHelper.OutOfRange(nameof(NumLayers), $"in 1..{MaxLayers}", NumLayers);
        if (ProjectionSize < 0) ThrowHelper.OutOfRange(nameof(ProjectionSize), ">= 0", ProjectionSize);
        if (ProjectionSize > 0 && Cell != RnnCellKind.Lstm)
            throw new ArgumentException($"ProjectionSize is only for LSTM layers; expected 0 for {Cell}, actual {ProjectionSize}.", nameof(ProjectionSize));
        if (ProjectionSize >= HiddenSize && ProjectionSize > 0)
            ThrowHelper.OutOfRange(nameof(ProjectionSize), $"< HiddenSize ({HiddenSize})", ProjectionSize);
        if (!(Dropout >= 0 && Dropout <= 1)) ThrowHelper.OutOfRange(nameof(Dropout), "in [0, 1]", Dropout);
        if (!Enum.IsDefined(Backend)) ThrowHelper.OutOfRange(nameof(Backend), "Auto, Managed or Cudnn", Backend);
        if (!Enum.IsDefined(Mode)) ThrowHelper.OutOfRange(nameof(Mode), "Dynamic or Static", Mode);
        if (!Enum.IsDefined(Precision)) ThrowHelper.OutOfRange(nameof(Precision), "Strict, TensorFloat32 or Half", Precision);
        if (MaxThreads < 0 || MaxThreads > 256) ThrowHelper.OutOfRange(nameof(MaxThreads), "in 0..256", MaxThreads);
        if (DeviceOrdinal < 0) ThrowHelper.OutOfRange(nameof(DeviceOrdinal), ">= 0", DeviceOrdinal);
        if (!Enum.IsDefined(ParameterSync)) ThrowHelper.OutOfRange(nameof(ParameterSync), "Compare or Announced", ParameterSync);
    }
}
