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
        int b = s.Batch, input = s.Input;
        var options = new SessionOptions { IntraOpNumThreads = threads, InterOpNumThreads = 1, ExecutionMode = Microsoft.ML.OnnxRuntime.ExecutionMode.ORT_SEQUENTIAL };
        _session = OnnxRnnModel.Create(ours, s.Steps, b, initialStates: false, options);
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
