namespace CuRnn.Managed;

/// <summary>The recurrence a managed pass computes; gate counts and orders are PyTorch's.</summary>
internal enum CellFunction
{
    /// <summary><c>h' = tanh(W_ih x + b_ih + W_hh h + b_hh)</c>, one gate.</summary>
    Tanh,
    /// <summary><c>h' = relu(W_ih x + b_ih + W_hh h + b_hh)</c>, one gate.</summary>
    Relu,
    /// <summary>LSTM, four gates in the order i, f, g, o, optional projection <c>W_hr</c>.</summary>
    Lstm,
    /// <summary>GRU, three gates in the order r, z, n, with <c>n = tanh(W_in x + b_in + r * (W_hn h + b_hn))</c>.</summary>
    Gru,
}

/// <summary>Facts about a <see cref="CellFunction"/>.</summary>
internal static class CellFunctionFacts
{
    /// <summary>Number of gates G: 1 for the plain RNNs, 4 for LSTM, 3 for GRU.</summary>
    public static int GateCount(this CellFunction cell) => cell switch
    {
        CellFunction.Lstm => 4,
        CellFunction.Gru => 3,
        _ => 1,
    };
}
