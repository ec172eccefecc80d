using System.Numerics;

namespace CuRnn.Weights;

/// <summary>
/// Converts a layer of a CuRnn (PyTorch-layout) RNN to and from the weights of an ONNX <c>LSTM</c> / <c>GRU</c> /
/// <c>RNN</c> node: gate blocks reordered (LSTM i,f,g,o ↔ i,o,f,c; GRU r,z,n ↔ z,r,h), directions stacked, the two
/// biases concatenated. GRU maps to <c>linear_before_reset=1</c>, the convention PyTorch and cuDNN compute.
/// </summary>
/// <remarks>Conventions with no CuRnn equivalent are refused with the reason: peepholes (non-zero P), GRU with
/// <c>linear_before_reset=0</c>, activations other than the defaults (RNN: Tanh or Relu), <c>clip</c>,
/// <c>input_forget</c>, a lone <c>reverse</c> direction, and LSTM projection (ONNX's LSTM has none).
/// Round trips are bit-exact.</remarks>
public static class OnnxRnnWeights
{
    /// <summary>The ONNX node weights of layer <paramref name="layer"/> of <paramref name="rnn"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such layer.</exception>
    /// <exception cref="NotSupportedException">The layer has an LSTM projection, which ONNX's LSTM cannot express.</exception>
    public static OnnxRnnTensors<T> Export<T>(Rnn<T> rnn, int layer = 0) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rnn);
        var o = rnn.Options;
        Rnn<T>.CheckIndices(o, layer, 0);
        if (o.ProjectionSize > 0)
            throw new NotSupportedException($"ONNX's LSTM operator has no projection; this layer has ProjectionSize = {o.ProjectionSize}.");
        int d = o.Directions, h = o.HiddenSize, gh = o.Cell.GateCount() * h, input = layer == 0 ? o.InputSize : o.OutputFeatures;
        var order = GateBlocks.Onnx(o.Cell);
        var w = new T[d * gh * input];
        var r = new T[d * gh * h];
        var b = o.Bias ? new T[d * 2 * gh] : null;
        for (int dir = 0; dir < d; dir++)
        {
            GateBlocks.FromPyTorch<T>(rnn.Parameter(layer, dir, RnnParameterKind.InputWeight), w.AsSpan(dir * gh * input, gh * input), order, h * input);
            GateBlocks.FromPyTorch<T>(rnn.Parameter(layer, dir, RnnParameterKind.RecurrentWeight), r.AsSpan(dir * gh * h, gh * h), order, h * h);
            if (b is null) continue;
            GateBlocks.FromPyTorch<T>(rnn.Parameter(layer, dir, RnnParameterKind.InputBias), b.AsSpan(dir * 2 * gh, gh), order, h);
            GateBlocks.FromPyTorch<T>(rnn.Parameter(layer, dir, RnnParameterKind.RecurrentBias), b.AsSpan(dir * 2 * gh + gh, gh), order, h);
        }
        return new OnnxRnnTensors<T>
        {
            Operator = OperatorOf(o.Cell), HiddenSize = h, Direction = o.Bidirectional ? "bidirectional" : "forward",
            W = w, R = r, B = b, LinearBeforeReset = o.Cell == RnnCellKind.Gru ? 1 : 0,
            Activations = o.Cell switch
            {
                RnnCellKind.RnnRelu => Enumerable.Repeat("Relu", d).ToArray(),
                RnnCellKind.RnnTanh => Enumerable.Repeat("Tanh", d).ToArray(),
                _ => null,
            },
        };
    }

    /// <summary>Writes an ONNX node's weights into layer <paramref name="layer"/> of <paramref name="rnn"/>; nothing is written unless every check passes.</summary>
    /// <exception cref="ArgumentException">The node's operator, sizes or direction do not fit the layer.</exception>
    /// <exception cref="NotSupportedException">The node uses a convention CuRnn does not compute; the message says which and why.</exception>
    public static void Import<T>(Rnn<T> rnn, int layer, OnnxRnnTensors<T> node) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rnn);
        ArgumentNullException.ThrowIfNull(node);
        var o = rnn.Options;
        Rnn<T>.CheckIndices(o, layer, 0);
        CheckConventions(o, node);
        int d = o.Directions, h = o.HiddenSize, gh = o.Cell.GateCount() * h, input = layer == 0 ? o.InputSize : o.OutputFeatures;
        void Expect(string name, T[]? values, int length, int[] shape, bool required)
        {
            if (values is null && required)
                throw new ArgumentException($"ONNX {name} is missing (null); this layer needs {SafeTensorInfo.FormatShape(shape)} ({length} values).", nameof(node));
            if (values is not null && values.Length != length)
                throw new ArgumentException($"ONNX {name} must be {SafeTensorInfo.FormatShape(shape)} ({length} values) for this layer; actual {values.Length} values.", nameof(node));
        }
        Expect("W", node.W, d * gh * input, [d, gh, input], required: true);
        Expect("R", node.R, d * gh * h, [d, gh, h], required: true);
        Expect("B", node.B, d * 2 * gh, [d, 2 * gh], required: false);
        if (node.B is not null && !o.Bias && node.B.Any(v => v != T.Zero))
            throw new NotSupportedException("The ONNX node has non-zero biases B; this layer has Bias = false. Make the layer with Bias = true.");

        var order = GateBlocks.Onnx(o.Cell);
        rnn.ParametersChanged();
        for (int dir = 0; dir < d; dir++)
        {
            GateBlocks.ToPyTorch<T>(node.W.AsSpan(dir * gh * input, gh * input), rnn.Parameter(layer, dir, RnnParameterKind.InputWeight), order, h * input);
            GateBlocks.ToPyTorch<T>(node.R.AsSpan(dir * gh * h, gh * h), rnn.Parameter(layer, dir, RnnParameterKind.RecurrentWeight), order, h * h);
            if (!o.Bias) continue;
            if (node.B is null)
            {
                rnn.Parameter(layer, dir, RnnParameterKind.InputBias).Clear();
                rnn.Parameter(layer, dir, RnnParameterKind.RecurrentBias).Clear();
                continue;
            }
            GateBlocks.ToPyTorch<T>(node.B.AsSpan(dir * 2 * gh, gh), rnn.Parameter(layer, dir, RnnParameterKind.InputBias), order, h);
            GateBlocks.ToPyTorch<T>(node.B.AsSpan(dir * 2 * gh + gh, gh), rnn.Parameter(layer, dir, RnnParameterKind.RecurrentBias), order, h);
        }
    }

    private static void CheckConventions<T>(RnnOptions o, OnnxRnnTensors<T> node) where T : unmanaged, IFloatingPointIeee754<T>
    {
        string expected = OperatorOf(o.Cell);
        if (node.Operator != expected)
            throw new ArgumentException($"This layer is {o.Cell} and takes an ONNX {expected} node; actual {node.Operator}.", nameof(node));
        if (node.Direction is not ("forward" or "reverse" or "bidirectional"))
            throw new ArgumentException($"ONNX direction must be forward, reverse or bidirectional; actual '{node.Direction}'.", nameof(node));
        if (node.Direction == "reverse")
            throw new NotSupportedException("An ONNX node with direction=reverse runs one direction from each sequence's end; a CuRnn layer's single direction runs forward. Reverse the sequences and import it as forward.");
        if (node.Directions != o.Directions)
            throw new ArgumentException($"The ONNX node is {node.Direction}; this layer has Bidirectional = {o.Bidirectional}.", nameof(node));
        if (node.HiddenSize != o.HiddenSize)
            throw new ArgumentException($"The ONNX node has hidden_size {node.HiddenSize}; this layer has HiddenSize = {o.HiddenSize}.", nameof(node));
        if (o.ProjectionSize > 0)
            throw new NotSupportedException($"ONNX's LSTM operator has no projection; this layer has ProjectionSize = {o.ProjectionSize}.");
        if (node.P is not null && node.P.Any(v => v != T.Zero))
            throw new NotSupportedException("The ONNX LSTM has peephole weights P; PyTorch's and cuDNN's LSTM have no peepholes, so these weights cannot be mapped.");
        if (node.Clip is not null)
            throw new NotSupportedException($"The ONNX node clips its cell inputs at {node.Clip}; PyTorch's and cuDNN's RNNs do not clip, so the function would differ.");
        if (node.InputForget != 0)
            throw new NotSupportedException("The ONNX LSTM couples its input and forget gates (input_forget=1); PyTorch's and cuDNN's LSTM do not.");
        if (o.Cell == RnnCellKind.Gru && node.LinearBeforeReset != 1)
            throw new NotSupportedException("The ONNX GRU has linear_before_reset=0: it applies the reset gate before the recurrent product, (r ⊙ h)·R_h. " +
                "PyTorch and cuDNN apply it after, r ⊙ (R_h·h + Rb_h) (linear_before_reset=1); the functions differ and no weights map one onto the other.");
        string[] defaults = o.Cell switch
        {
            RnnCellKind.Lstm => ["Sigmoid", "Tanh", "Tanh"],
            RnnCellKind.Gru => ["Sigmoid", "Tanh"],
            RnnCellKind.RnnRelu => ["Relu"],
            _ => ["Tanh"],
        };
        if (node.Activations is { } acts)
        {
            var want = Enumerable.Range(0, o.Directions).SelectMany(_ => defaults).ToArray();
            if (!acts.SequenceEqual(want, StringComparer.OrdinalIgnoreCase))
                throw new NotSupportedException($"The ONNX node's activations are [{string.Join(", ", acts)}]; this {o.Cell} layer computes [{string.Join(", ", want)}].");
        }
        else if (o.Cell == RnnCellKind.RnnRelu)
            throw new NotSupportedException("The ONNX RNN node has the default activation (Tanh); this layer is RnnRelu.");
    }

    private static string OperatorOf(RnnCellKind cell) => cell switch { RnnCellKind.Lstm => "LSTM", RnnCellKind.Gru => "GRU", _ => "RNN" };
}
