namespace CuRnn.Weights;

/// <summary>
/// The weights and settings of one Keras recurrent layer (one direction; a <c>Bidirectional</c> wrapper holds one per
/// direction): <c>kernel</c> [I, G*units], <c>recurrent_kernel</c> [units, G*units], <c>bias</c> [G*units] or, for a
/// GRU with <c>reset_after=True</c>, [2, G*units] (input bias, recurrent bias); gate blocks in Keras' order
/// (LSTM i,f,c,o; GRU z,r,h).
/// </summary>
public sealed record KerasRnnTensors<T>
{
    /// <summary>The Keras layer class: <c>LSTM</c>, <c>GRU</c> or <c>SimpleRNN</c>.</summary>
    public required string Layer { get; init; }
    /// <summary>The <c>units</c> argument (H).</summary>
    public required int Units { get; init; }
    /// <summary><c>kernel</c> [I, G*units].</summary>
    public required T[] Kernel { get; init; }
    /// <summary><c>recurrent_kernel</c> [units, G*units].</summary>
    public required T[] RecurrentKernel { get; init; }
    /// <summary><c>bias</c>, or null when <c>use_bias=False</c>.</summary>
    public T[]? Bias { get; init; }
    /// <summary>GRU's <c>reset_after</c> (True in Keras 2.3+ and 3; the convention PyTorch and cuDNN compute).</summary>
    public bool ResetAfter { get; init; } = true;
    /// <summary>The <c>activation</c> argument (LSTM/GRU: tanh; SimpleRNN: tanh or relu).</summary>
    public string Activation { get; init; } = "tanh";
    /// <summary>The <c>recurrent_activation</c> argument of LSTM/GRU (sigmoid).</summary>
    public string RecurrentActivation { get; init; } = "sigmoid";

    /// <summary>G: gate blocks of the layer.</summary>
    public int GateCount => Layer switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
    /// <summary>I, from the kernel's length.</summary>
    public int InputSize => Kernel.Length / Math.Max(1, GateCount * Units);
    /// <summary><c>kernel</c>'s shape.</summary>
    public int[] KernelShape => [InputSize, GateCount * Units];
    /// <summary><c>recurrent_kernel</c>'s shape.</summary>
    public int[] RecurrentKernelShape => [Units, GateCount * Units];
    /// <summary><c>bias</c>'s shape.</summary>
    public int[] BiasShape => Layer == "GRU" && ResetAfter ? [2, GateCount * Units] : [GateCount * Units];
}
