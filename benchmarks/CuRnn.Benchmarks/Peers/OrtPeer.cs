using CuRnn.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CuRnn.Benchmarks.Peers;

/// <summary>ONNX Runtime's LSTM / GRU (linear_before_reset=1) / RNN operator, one layer, on CuRnn's weights in ONNX's gate order.</summary>
internal sealed class OrtPeer : IDisposable
{
    private readonly InferenceSession _session;
    private readonly List<NamedOnnxValue> _feeds;

    /// <summary>Whether the operator can run the shape (one layer; the suite's multi-layer shape has no single ONNX node).</summary>
    public static bool Supports(SuiteShape s) => s.Layers == 1;

    public OrtPeer(SuiteShape s, Rnn<float> ours, float[] xSeqMajor, int threads)
    {
        int d = s.Bidirectional ? 2 : 1, g = s.Cell.GateCount(), hidden = s.Hidden, input = s.Input, b = s.Batch;
        int[] blocks = s.Cell switch { RnnCellKind.Lstm => [0, 3, 1, 2], RnnCellKind.Gru => [1, 0, 2], _ => [0] };
        float[] Reorder(string name, int cols)
        {
            var src = ours.Parameter(name);
            var dst = new float[src.Length];
            for (int k = 0; k < g; k++) src.Slice(blocks[k] * hidden * cols, hidden * cols).CopyTo(dst.AsSpan(k * hidden * cols));
            return dst;
        }
        string[] suffix = s.Bidirectional ? ["_l0", "_l0_reverse"] : ["_l0"];
        var model = new OnnxModelWriter();
        model.Initializer("W", [d, g * hidden, input], suffix.SelectMany(x => Reorder("weight_ih" + x, input)).ToArray());
        model.Initializer("R", [d, g * hidden, hidden], suffix.SelectMany(x => Reorder("weight_hh" + x, hidden)).ToArray());
        model.Initializer("B", [d, 2 * g * hidden], suffix.SelectMany(x => Reorder("bias_ih" + x, 1).Concat(Reorder("bias_hh" + x, 1))).ToArray());
        model.Input("X", 1, s.Steps, b, input);
        model.Input("sequence_lens", 6, b);
        model.Output("Y", 1, s.Steps, d, b, hidden);
        var attributes = new List<byte[]>
        {
            OnnxModelWriter.IntAttribute("hidden_size", hidden),
            OnnxModelWriter.StringAttribute("direction", s.Bidirectional ? "bidirectional" : "forward"),
        };
        if (s.Cell == RnnCellKind.Gru) attributes.Add(OnnxModelWriter.IntAttribute("linear_before_reset", 1));
        if (s.Cell is RnnCellKind.RnnTanh or RnnCellKind.RnnRelu)
            attributes.Add(OnnxModelWriter.StringsAttribute("activations", Enumerable.Repeat(s.Cell == RnnCellKind.RnnRelu ? "Relu" : "Tanh", d).ToArray()));
        model.Node(s.Cell switch { RnnCellKind.Lstm => "LSTM", RnnCellKind.Gru => "GRU", _ => "RNN" }, ["X", "W", "R", "B", "sequence_lens"], ["Y"], attributes.ToArray());
        var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_SEQUENTIAL };
        _session = new InferenceSession(model.ToModel(14), options);
        _feeds =
        [
            NamedOnnxValue.CreateFromTensor("X", new DenseTensor<float>(xSeqMajor, [s.Steps, b, input])),
            NamedOnnxValue.CreateFromTensor("sequence_lens", new DenseTensor<int>(s.Lengths(), [b])),
        ];
    }

    public void Forward()
    {
        using var results = _session.Run(_feeds);
    }

    /// <summary>Y as [T, B, D*H] (ONNX gives [T, D, B, H]).</summary>
    public float[] Output(SuiteShape s)
    {
        using var results = _session.Run(_feeds);
        var y = results.First().AsTensor<float>().ToArray();
        int d = s.Bidirectional ? 2 : 1, h = s.Hidden, b = s.Batch;
        var outp = new float[y.Length];
        for (int t = 0; t < s.Steps; t++)
            for (int dir = 0; dir < d; dir++)
                for (int i = 0; i < b; i++)
                    Array.Copy(y, ((t * d + dir) * b + i) * h, outp, ((t * b + i) * d + dir) * h, h);
        return outp;
    }

    public void Dispose() => _session.Dispose();
}
