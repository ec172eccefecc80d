using CuRnn.Weights;
using Microsoft.ML.OnnxRuntime;

namespace CuRnn.Tests.Support;

/// <summary>
/// A one-node ONNX model of one layer of a CuRnn RNN, its weights from the library's converter
/// (<see cref="OnnxRnnWeights"/>: ONNX gate blocks LSTM i,o,f,c; GRU z,r,h with <c>linear_before_reset=1</c>), inputs X [T, B, I] and sequence_lens, optionally initial states,
/// output Y [T, D, B, H] (and Y_h). Shared by the ONNX Runtime reference tests and the benchmark peer.
/// </summary>
internal static class OnnxRnnModel
{
    public static InferenceSession Create(Rnn<float> rnn, int steps, int batch, bool initialStates, SessionOptions? options = null, int layer = 0)
    {
        var node = OnnxRnnWeights.Export(rnn, layer);
        int d = node.Directions, hidden = node.HiddenSize, input = node.InputSize;
        var model = new OnnxModelWriter();
        model.Initializer("W", Dims(node.WShape), node.W);
        model.Initializer("R", Dims(node.RShape), node.R);
        model.Initializer("B", Dims(node.BShape), node.B ?? new float[node.BShape[0] * node.BShape[1]]);
        model.Input("X", 1, steps, batch, input);
        model.Input("sequence_lens", 6, batch);
        var inputs = new List<string> { "X", "W", "R", "B", "sequence_lens" };
        var outputs = new List<string> { "Y" };
        model.Output("Y", 1, steps, d, batch, hidden);
        if (initialStates)
        {
            model.Input("initial_h", 1, d, batch, hidden);
            inputs.Add("initial_h");
            if (node.Operator == "LSTM") { model.Input("initial_c", 1, d, batch, hidden); inputs.Add("initial_c"); }
            model.Output("Y_h", 1, d, batch, hidden);
            outputs.Add("Y_h");
        }
        var attributes = new List<byte[]>
        {
            OnnxModelWriter.IntAttribute("hidden_size", hidden),
            OnnxModelWriter.StringAttribute("direction", node.Direction),
        };
        if (node.Operator == "GRU") attributes.Add(OnnxModelWriter.IntAttribute("linear_before_reset", node.LinearBeforeReset));
        if (node.Activations is { } activations) attributes.Add(OnnxModelWriter.StringsAttribute("activations", activations));
        model.Node(node.Operator, inputs.ToArray(), outputs.ToArray(), attributes.ToArray());
        return options is null ? new InferenceSession(model.ToModel(14)) : new InferenceSession(model.ToModel(14), options);
    }

    private static long[] Dims(int[] shape) => shape.Select(d => (long)d).ToArray();
}
