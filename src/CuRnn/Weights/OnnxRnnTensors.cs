namespace CuRnn.Weights;

/// <summary>
/// The weights and attributes of one ONNX <c>LSTM</c>, <c>GRU</c> or <c>RNN</c> node (one layer, both directions):
/// W [D, G*H, I], R [D, G*H, H], B [D, 2*G*H] (input biases then recurrent biases), P [D, 3*H] (LSTM peepholes),
/// gate blocks in ONNX's order (LSTM i,o,f,c; GRU z,r,h).
/// </summary>
public sealed record OnnxRnnTensors<T>
{
    /// <summary><c>LSTM</c>, <c>GRU</c> or <c>RNN</c>.</summary>
    public required string Operator { get; init; }
    /// <summary>The <c>hidden_size</c> attribute.</summary>
    public required int HiddenSize { get; init; }
    /// <summary>The <c>direction</c> attribute: <c>forward</c>, <c>reverse</c> or <c>bidirectional</c>.</summary>
    public string Direction { get; init; } = "forward";
    /// <summary>Input weights [D, G*H, I].</summary>
    public required T[] W { get; init; }
    /// <summary>Recurrence weights [D, G*H, H].</summary>
    public required T[] R { get; init; }
    /// <summary>Biases [D, 2*G*H] (Wb then Rb per direction), or null for none (zeros).</summary>
    public T[]? B { get; init; }
    /// <summary>LSTM peephole weights [D, 3*H], or null for none.</summary>
    public T[]? P { get; init; }
    /// <summary>GRU's <c>linear_before_reset</c>: 1 applies the reset gate after the recurrent product, as PyTorch and cuDNN.</summary>
    public int LinearBeforeReset { get; init; }
    /// <summary>The <c>activations</c> attribute, or null for the operator's defaults.</summary>
    public string[]? Activations { get; init; }
    /// <summary>The <c>clip</c> attribute, or null for none.</summary>
    public float? Clip { get; init; }
    /// <summary>LSTM's <c>input_forget</c> (coupled input and forget gates).</summary>
    public int InputForget { get; init; }

    /// <summary>D: 2 for a bidirectional node, else 1.</summary>
    public int Directions => Direction == "bidirectional" ? 2 : 1;
    /// <summary>G: gate blocks of the operator.</summary>
    public int GateCount => Operator switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
    /// <summary>I, from W's length.</summary>
    public int InputSize => W.Length / Math.Max(1, Directions * GateCount * HiddenSize);
    /// <summary>W's shape.</summary>
    public int[] WShape => [Directions, GateCount * HiddenSize, InputSize];
    /// <summary>R's shape.</summary>
    public int[] RShape => [Directions, GateCount * HiddenSize, HiddenSize];
    /// <summary>B's shape.</summary>
    public int[] BShape => [Directions, 2 * GateCount * HiddenSize];
}
