using Microsoft.ML.OnnxRuntime;

namespace CuRnn.Tests.Support;

/// <summary>
/// A one-node ONNX model of a CuRnn layer's first layer: its weights reordered into ONNX's gate blocks (LSTM i,o,f,c;
/// GRU z,r,h with <c>linear_before_reset=1</c>; RNN), inputs X [T, B, I] and sequence_lens, optionally initial states,
/// output Y [T, D, B, H] (and Y_h). Shared by the ONNX Runtime reference tests and the benchmark peer.
/// </summary>
internal static class OnnxRnnModel
{
    public static InferenceSession Create(Rnn<float> rnn, int steps, int batch, bool initialStates, SessionOptions? options = null)
    {
        var o = rnn.Options;
        int d = o.Directions, g = o.Cell.GateCount(), hidden = o.HiddenSize, input = o.InputSize;
        int[] blocks = o.Cell switch { RnnCellKind.Lstm => [0, 3, 1, 2], RnnCellKind.Gru => [1, 0, 2], _ => [0] };
        float[] Reorder(string name, int cols)
        {
            var src = rnn.Parameter(name);
            var dst = new float[src.Length];
            for (int k = 0; k < g; k++) src.Slice(blocks[k] * hidden * cols, hidden * cols).CopyTo(dst.AsSpan(k * hidden * cols));
            return dst;
        }
        string[] suffix = o.Bidirectional ? ["_l0", "_l0_reverse"] : ["_l0"];
        var model = new OnnxModelWriter();
        model.Initializer("W", [d, g * hidden, input], suffix.SelectMany(s => Reorder("weight_ih" + s, input)).ToArray());
        model.Initializer("R", [d, g * hidden, hidden], suffix.SelectMany(s => Reorder("weight_hh" + s, hidden)).ToArray());
        model.Initializer("B", [d, 2 * g * hidden], suffix.SelectMany(s => Reorder("bias_ih" + s, 1).Concat(Reorder("bias_hh" + s, 1))).ToArray());
        model.Input("X", 1, steps, batch, input);
        model.Input("sequence_lens", 6, batch);
        var inputs = new List<string> { "X", "W", "R", "B", "sequence_lens" };
        var outputs = new List<string> { "Y" };
        model.Output("Y", 1, steps, d, batch, hidden);
        if (initialStates)
        {
            model.Input("initial_h", 1, d, batch, hidden);
            inputs.Add("initial_h");
            if (o.Cell == RnnCellKind.Lstm) { model.Input("initial_c", 1, d, batch, hidden); inputs.Add("initial_c"); }
            model.Output("Y_h", 1, d, batch, hidden);
            outputs.Add("Y_h");
        }
        var attributes = new List<byte[]>
        {
            OnnxModelWriter.IntAttribute("hidden_size", hidden),
            OnnxModelWriter.StringAttribute("direction", o.Bidirectional ? "bidirectional" : "forward"),
        };
        if (o.Cell == RnnCellKind.Gru) attributes.Add(OnnxModelWriter.IntAttribute("linear_before_reset", 1));
        if (o.Cell is RnnCellKind.RnnTanh or RnnCellKind.RnnRelu)
            attributes.Add(OnnxModelWriter.StringsAttribute("activations", Enumerable.Repeat(o.Cell == RnnCellKind.RnnRelu ? "Relu" : "Tanh", d).ToArray()));
        model.Node(o.Cell switch { RnnCellKind.Lstm => "LSTM", RnnCellKind.Gru => "GRU", _ => "RNN" }, inputs.ToArray(), outputs.ToArray(), attributes.ToArray());
        return options is null ? new InferenceSession(model.ToModel(14)) : new InferenceSession(model.ToModel(14), options);
    }
}
