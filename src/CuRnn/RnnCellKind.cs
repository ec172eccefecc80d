namespace CuRnn;

/// <summary>The recurrence of a layer. Gate orders are PyTorch's (and cuDNN's).</summary>
public enum RnnCellKind
{
    /// <summary>Elman RNN with tanh: <c>h' = tanh(W_ih x + b_ih + W_hh h + b_hh)</c>.</summary>
    RnnTanh,
    /// <summary>Elman RNN with ReLU: <c>h' = max(0, W_ih x + b_ih + W_hh h + b_hh)</c>.</summary>
    RnnRelu,
    /// <summary>
    /// LSTM, gates i, f, g, o: <c>i = σ(W_ii x + b_ii + W_hi h + b_hi)</c>, <c>f = σ(...)</c>, <c>g = tanh(...)</c>,
    /// <c>o = σ(...)</c>, <c>c' = f * c + i * g</c>, <c>h' = o * tanh(c')</c>, then <c>h' = W_hr h'</c> with a projection.
    /// </summary>
    Lstm,
    /// <summary>
    /// GRU, gates r, z, n: <c>r = σ(W_ir x + b_ir + W_hr h + b_hr)</c>, <c>z = σ(...)</c>,
    /// <c>n = tanh(W_in x + b_in + r * (W_hn h + b_hn))</c>, <c>h' = (1 - z) * n + z * h</c>.
    /// </summary>
    Gru,
}

/// <summary>Facts about <see cref="RnnCellKind"/>.</summary>
public static class RnnCellKindExtensions
{
    /// <summary>Gates per cell: 1, 1, 4, 3.</summary>
    public static int GateCount(this RnnCellKind cell) => cell switch
    {
        RnnCellKind.Lstm => 4,
        RnnCellKind.Gru => 3,
        _ => 1,
    };
}
