using System.Numerics;

namespace CuRnn.Weights;

/// <summary>
/// Converts one direction of one layer of a CuRnn (PyTorch-layout) RNN to and from Keras' <c>LSTM</c>, <c>GRU</c> and
/// <c>SimpleRNN</c> weights: matrices transposed ([out, in] ↔ [in, out]), GRU gate blocks reordered (r,z,n ↔ z,r,h;
/// LSTM's i,f,g,o is Keras' i,f,c,o).
/// </summary>
/// <remarks>Keras' LSTM and SimpleRNN have one bias; it loads as <c>bias_ih</c> with <c>bias_hh</c> zero, and a CuRnn
/// layer exports <c>bias_ih + bias_hh</c> (the same function; Keras → CuRnn → Keras is bit-exact, CuRnn → Keras → CuRnn
/// moves the sum into <c>bias_ih</c>). GRU with <c>reset_after=True</c> keeps both biases, bit-exact both ways.
/// Refused with the reason: GRU <c>reset_after=False</c>, recurrent activations other than sigmoid (the old default
/// <c>hard_sigmoid</c>), cell activations other than tanh (SimpleRNN: tanh or relu), LSTM projection.</remarks>
public static class KerasRnnWeights
{
    /// <summary>Keras weights of direction <paramref name="direction"/> (0 forward, 1 reverse) of layer <paramref name="layer"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such layer or direction.</exception>
    /// <exception cref="NotSupportedException">The layer has an LSTM projection, which Keras' LSTM cannot express.</exception>
    public static KerasRnnTensors<T> Export<T>(Rnn<T> rnn, int layer = 0, int direction = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rnn);
        var o = rnn.Options;
        Rnn<T>.CheckIndices(o, layer, direction);
        if (o.ProjectionSize > 0)
            throw new NotSupportedException($"Keras' LSTM has no projection; this layer has ProjectionSize = {o.ProjectionSize}.");
        int h = o.HiddenSize, g = o.Cell.GateCount(), input = layer == 0 ? o.InputSize : o.OutputFeatures;
        var order = GateBlocks.Keras(o.Cell);
        var kernel = new T[input * g * h];
        var recurrent = new T[h * g * h];
        TransposeFromPyTorch(rnn.Parameter(layer, direction, RnnParameterKind.InputWeight), kernel, order, h, input);
        TransposeFromPyTorch(rnn.Parameter(layer, direction, RnnParameterKind.RecurrentWeight), recurrent, order, h, h);
        T[]? bias = null;
        if (o.Bias)
        {
            bool twoBiases = o.Cell == RnnCellKind.Gru;
            bias = new T[(twoBiases ? 2 : 1) * g * h];
            GateBlocks.FromPyTorch<T>(rnn.Parameter(layer, direction, RnnParameterKind.InputBias), bias.AsSpan(0, g * h), order, h);
            var recurrentBias = new T[g * h];
            GateBlocks.FromPyTorch<T>(rnn.Parameter(layer, direction, RnnParameterKind.RecurrentBias), recurrentBias, order, h);
            if (twoBiases) recurrentBias.CopyTo(bias, g * h);
            else for (int i = 0; i < g * h; i++) bias[i] += recurrentBias[i];
        }
        return new KerasRnnTensors<T>
        {
            Layer = LayerOf(o.Cell), Units = h, Kernel = kernel, RecurrentKernel = recurrent, Bias = bias,
            ResetAfter = true, Activation = o.Cell == RnnCellKind.RnnRelu ? "relu" : "tanh",
        };
    }

    /// <summary>Writes Keras weights into direction <paramref name="direction"/> of layer <paramref name="layer"/>; nothing is written unless every check passes.</summary>
    /// <exception cref="ArgumentException">The Keras layer's class or sizes do not fit the layer.</exception>
    /// <exception cref="NotSupportedException">The Keras layer uses a convention CuRnn does not compute; the message says which and why.</exception>
    public static void Import<T>(Rnn<T> rnn, int layer, int direction, KerasRnnTensors<T> keras) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rnn);
        ArgumentNullException.ThrowIfNull(keras);
        var o = rnn.Options;
        Rnn<T>.CheckIndices(o, layer, direction);
        CheckConventions(o, keras);
        int h = o.HiddenSize, g = o.Cell.GateCount(), input = layer == 0 ? o.InputSize : o.OutputFeatures;
        bool twoBiases = o.Cell == RnnCellKind.Gru;
        void Expect(string name, T[]? values, int[] shape, bool required)
        {
            int length = shape.Aggregate(1, (a, b) => a * b);
            if (values is null && required)
                throw new ArgumentException($"Keras {name} is missing (null); this layer needs {SafeTensorInfo.FormatShape(shape)} ({length} values).", nameof(keras));
            if (values is not null && values.Length != length)
                throw new ArgumentException($"Keras {name} must be {SafeTensorInfo.FormatShape(shape)} ({length} values) for this layer; actual {values.Length} values.", nameof(keras));
        }
        Expect("kernel", keras.Kernel, [input, g * h], required: true);
        Expect("recurrent_kernel", keras.RecurrentKernel, [h, g * h], required: true);
        Expect("bias", keras.Bias, twoBiases ? [2, g * h] : [g * h], required: false);
        if (keras.Bias is not null && !o.Bias && keras.Bias.Any(v => v != T.Zero))
            throw new NotSupportedException("The Keras layer has a non-zero bias; this layer has Bias = false. Make the layer with Bias = true.");

        var order = GateBlocks.Keras(o.Cell);
        rnn.ParametersChanged();   // announced before the writes below (one of them returns early)
        TransposeToPyTorch(keras.Kernel, rnn.Parameter(layer, direction, RnnParameterKind.InputWeight), order, h, input);
        TransposeToPyTorch(keras.RecurrentKernel, rnn.Parameter(layer, direction, RnnParameterKind.RecurrentWeight), order, h, h);
        if (!o.Bias) return;
        var bih = rnn.Parameter(layer, direction, RnnParameterKind.InputBias);
        var bhh = rnn.Parameter(layer, direction, RnnParameterKind.RecurrentBias);
        if (keras.Bias is null) { bih.Clear(); bhh.Clear(); return; }
        GateBlocks.ToPyTorch<T>(keras.Bias.AsSpan(0, g * h), bih, order, h);
        if (twoBiases) GateBlocks.ToPyTorch<T>(keras.Bias.AsSpan(g * h, g * h), bhh, order, h);
        else bhh.Clear();
    }

    private static void CheckConventions<T>(RnnOptions o, KerasRnnTensors<T> keras)
    {
        string expected = LayerOf(o.Cell);
        if (keras.Layer != expected)
            throw new ArgumentException($"This layer is {o.Cell} and takes Keras {expected} weights; actual {keras.Layer}.", nameof(keras));
        if (keras.Units != o.HiddenSize)
            throw new ArgumentException($"The Keras layer has units={keras.Units}; this layer has HiddenSize = {o.HiddenSize}.", nameof(keras));
        if (o.ProjectionSize > 0)
            throw new NotSupportedException($"Keras' LSTM has no projection; this layer has ProjectionSize = {o.ProjectionSize}.");
        if (o.Cell == RnnCellKind.Gru && !keras.ResetAfter)
            throw new NotSupportedException("The Keras GRU has reset_after=False: it applies the reset gate before the recurrent product, (r ⊙ h)·U_h. " +
                "PyTorch and cuDNN apply it after, r ⊙ (U_h·h + b_hn) (reset_after=True); the functions differ and no weights map one onto the other.");
        if (o.Cell is RnnCellKind.Lstm or RnnCellKind.Gru)
        {
            if (!string.Equals(keras.RecurrentActivation, "sigmoid", StringComparison.OrdinalIgnoreCase))
                throw new NotSupportedException($"The Keras {keras.Layer} has recurrent_activation='{keras.RecurrentActivation}'; PyTorch and cuDNN gates use the logistic sigmoid " +
                    "(hard_sigmoid, the default before Keras 2.3, is a piecewise-linear approximation and computes another function).");
            if (!string.Equals(keras.Activation, "tanh", StringComparison.OrdinalIgnoreCase))
                throw new NotSupportedException($"The Keras {keras.Layer} has activation='{keras.Activation}'; PyTorch and cuDNN use tanh.");
        }
        else
        {
            string want = o.Cell == RnnCellKind.RnnRelu ? "relu" : "tanh";
            if (!string.Equals(keras.Activation, want, StringComparison.OrdinalIgnoreCase))
                throw new NotSupportedException($"The Keras SimpleRNN has activation='{keras.Activation}'; this {o.Cell} layer computes {want}" +
                    (keras.Activation is "tanh" or "relu" ? $" (make the layer with Cell = {(want == "tanh" ? "RnnRelu" : "RnnTanh")})." : "; only tanh and relu have a CuRnn equivalent."));
        }
    }

    // PyTorch [G*H, in] (blocks in PyTorch order) -> Keras [in, G*H] (blocks in Keras order).
    private static void TransposeFromPyTorch<T>(ReadOnlySpan<T> pytorch, Span<T> keras, int[] order, int h, int input)
    {
        int gh = order.Length * h;
        for (int k = 0; k < order.Length; k++)
            for (int j = 0; j < h; j++)
            {
                var row = pytorch.Slice((order[k] * h + j) * input, input);
                for (int i = 0; i < input; i++) keras[i * gh + k * h + j] = row[i];
            }
    }

    private static void TransposeToPyTorch<T>(ReadOnlySpan<T> keras, Span<T> pytorch, int[] order, int h, int input)
    {
        int gh = order.Length * h;
        for (int k = 0; k < order.Length; k++)
            for (int j = 0; j < h; j++)
            {
                var row = pytorch.Slice((order[k] * h + j) * input, input);
                for (int i = 0; i < input; i++) row[i] = keras[i * gh + k * h + j];
            }
    }

    private static string LayerOf(RnnCellKind cell) => cell switch { RnnCellKind.Lstm => "LSTM", RnnCellKind.Gru => "GRU", _ => "SimpleRNN" };
}
