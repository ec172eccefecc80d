using System.Numerics;

namespace CuRnn;

/// <summary>
/// What a forward reads: x [rows, I] in the batch's layout (padded positions ignored) and the optional initial
/// states h0 [L*D, B, Hout] and c0 [L*D, B, H] (LSTM), empty for zeros. Inputs and outputs are distinct types, so
/// an initial state cannot be passed where a final one goes: <c>rnn.Forward(batch, new(x) { H0 = h0 }, new(y) { HN = hN })</c>.
/// </summary>
public readonly ref struct ForwardInputs<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Inputs with x and zero initial states.</summary>
    public ForwardInputs(ReadOnlySpan<T> x) { X = x; }

    /// <summary>x alone: <c>rnn.Forward(batch, x, y)</c>.</summary>
    public static implicit operator ForwardInputs<T>(ReadOnlySpan<T> x) => new(x);
    /// <summary>x alone.</summary>
    public static implicit operator ForwardInputs<T>(Span<T> x) => new(x);
    /// <summary>x alone.</summary>
    public static implicit operator ForwardInputs<T>(T[] x) => new(x);

    /// <summary>x [rows, I].</summary>
    public ReadOnlySpan<T> X { get; }
    /// <summary>Initial h [L*D, B, Hout] in the caller's sequence order, or empty for zeros (PyTorch's h_0).</summary>
    public ReadOnlySpan<T> H0 { get; init; }
    /// <summary>Initial c [L*D, B, H] (LSTM), or empty for zeros (PyTorch's c_0).</summary>
    public ReadOnlySpan<T> C0 { get; init; }
}

/// <summary>
/// What a forward writes: y [rows, D*Hout] in the batch's layout (padded positions set to 0) and, when given, each
/// sequence's final states hN [L*D, B, Hout] and cN [L*D, B, H] (LSTM) at its own last step.
/// </summary>
public readonly ref struct ForwardOutputs<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Outputs with y only (final states not wanted).</summary>
    public ForwardOutputs(Span<T> y) { Y = y; }

    /// <summary>y alone: <c>rnn.Forward(batch, x, y)</c>.</summary>
    public static implicit operator ForwardOutputs<T>(Span<T> y) => new(y);
    /// <summary>y alone.</summary>
    public static implicit operator ForwardOutputs<T>(T[] y) => new(y);

    /// <summary>y [rows, D*Hout].</summary>
    public Span<T> Y { get; }
    /// <summary>Receives final h [L*D, B, Hout] (PyTorch's h_n), or empty.</summary>
    public Span<T> HN { get; init; }
    /// <summary>Receives final c [L*D, B, H] (LSTM; PyTorch's c_n), or empty.</summary>
    public Span<T> CN { get; init; }
}

/// <summary>
/// What a backward reads: dL/dy [rows, D*Hout] in the batch's layout (padded positions ignored) and, when the loss
/// depends on the final states, dL/dhN [L*D, B, Hout] and dL/dcN [L*D, B, H] (LSTM); empty for zeros.
/// </summary>
public readonly ref struct BackwardInputs<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Gradients of y only.</summary>
    public BackwardInputs(ReadOnlySpan<T> dy) { DY = dy; }

    /// <summary>dL/dy [rows, D*Hout].</summary>
    public ReadOnlySpan<T> DY { get; }
    /// <summary>dL/dhN [L*D, B, Hout], or empty for zeros.</summary>
    public ReadOnlySpan<T> DHN { get; init; }
    /// <summary>dL/dcN [L*D, B, H] (LSTM), or empty for zeros.</summary>
    public ReadOnlySpan<T> DCN { get; init; }
}

/// <summary>
/// What a backward writes, each optional (empty to skip): dL/dx [rows, I] (padded positions 0), the weight gradients
/// in the layout of <see cref="Rnn{T}.Parameters"/> (added, or written with <see cref="GradientMode.Overwrite"/>), and
/// dL/dh0 [L*D, B, Hout], dL/dc0 [L*D, B, H] (LSTM).
/// </summary>
public readonly ref struct BackwardOutputs<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Outputs dx and the weight gradients (either may be empty).</summary>
    public BackwardOutputs(Span<T> dx, Span<T> gradients) { DX = dx; Gradients = gradients; }

    /// <summary>Receives dL/dx [rows, I], or empty.</summary>
    public Span<T> DX { get; }
    /// <summary>Receives the weight gradients (the flat parameter layout), or empty.</summary>
    public Span<T> Gradients { get; }
    /// <summary>Receives dL/dh0 [L*D, B, Hout], or empty.</summary>
    public Span<T> DH0 { get; init; }
    /// <summary>Receives dL/dc0 [L*D, B, H] (LSTM), or empty.</summary>
    public Span<T> DC0 { get; init; }
    /// <summary>
    /// Called on the calling thread with each layer's index, top layer first, as soon as that layer's weight gradients
    /// (both directions, the range <see cref="Rnn{T}.LayerGradientRange"/> gives) are final in <see cref="Gradients"/>,
    /// while the layers below are still in backward: where data-parallel training starts that layer's all-reduce.
    /// The managed engine reports each layer as it finishes; the cuDNN engine computes all weight gradients in one
    /// call and reports every layer after it. Not called when <see cref="Gradients"/> is empty.
    /// </summary>
    public Action<int>? LayerGradientsReady { get; init; }
}
