using BenchmarkDotNet.Attributes;
using CuRnn.Benchmarks.Peers;

namespace CuRnn.Benchmarks;

/// <summary>
/// The suite: CuRnn's managed engine (forward and training step, dynamic and static) beside libtorch (TorchSharp;
/// forward without autograd, forward + backward) and ONNX Runtime's RNN operators (forward), same shapes, same
/// threads, in one run. Both training steps do the same work: weight gradients and the input's gradient dx. Set-up
/// checks that each peer computes what CuRnn computes before anything is timed.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[InProcess]
[GflopsColumn]
[WarmupCount(2)]
[IterationCount(8)]
public class SuiteBenchmarks
{
    private Rnn<float> _rnn = null!;
    private SequenceBatch _batch = null!;
    private float[] _x = null!, _y = null!, _dy = null!, _dx = null!, _grads = null!;
    private TorchPeer? _torch;
    private OrtPeer? _ort;

    /// <summary>The shapes, in the order of the suite (<c>CURNN_BENCH_SHAPES=A,D</c> narrows them).</summary>
    public static IEnumerable<SuiteShape> Shapes =>
        Environment.GetEnvironmentVariable("CURNN_BENCH_SHAPES") is { Length: > 0 } names
            ? SuiteShape.All.Where(s => names.Split(',').Contains(s.Name))
            : SuiteShape.All;

    /// <summary>Thread counts (<c>CURNN_BENCH_THREADS=2</c> narrows them).</summary>
    public static IEnumerable<int> ThreadCounts =>
        Environment.GetEnvironmentVariable("CURNN_BENCH_THREADS") is { Length: > 0 } t ? t.Split(',').Select(int.Parse) : [1, 2];

    /// <summary>The shape under test.</summary>
    [ParamsSource(nameof(Shapes))]
    public SuiteShape Shape { get; set; } = SuiteShape.All[0];

    /// <summary>Threads every engine may use.</summary>
    [ParamsSource(nameof(ThreadCounts))]
    public int Threads { get; set; } = 2;

    [GlobalSetup]
    public void Setup()
    {
        var s = Shape;
        _rnn = new Rnn<float>(new RnnOptions
        {
            Cell = s.Cell, InputSize = s.Input, HiddenSize = s.Hidden, NumLayers = s.Layers, Bidirectional = s.Bidirectional,
            Backend = RnnBackend.Managed, MaxThreads = Threads,
        });
        _batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, s.Steps, s.Lengths());
        var r = new Random(42);
        _x = Enumerable.Range(0, (int)_batch.ElementCount(s.Input)).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        _dy = Enumerable.Range(0, (int)_batch.ElementCount(_rnn.Options.OutputFeatures)).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        _y = new float[_dy.Length];
        _dx = new float[_x.Length];
        _grads = new float[_rnn.ParameterCount];
        _rnn.Forward(_batch, _x, _y);

        // Each peer must agree with CuRnn on valid positions before it is timed.
        _torch = new TorchPeer(s, _rnn, _x, _dy, Threads);
        PeerCheck.Agree("libtorch", s, _y, _torch.Output());
        if (OrtPeer.Supports(s))
        {
            _ort = new OrtPeer(s, _rnn, _x, Threads);
            PeerCheck.Agree("ONNX Runtime", s, _y, _ort.Output(s));
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _rnn.Dispose();
        _torch?.Dispose();
        _ort?.Dispose();
    }

    [Benchmark] public void CuRnnForwardDynamic() => _rnn.Forward(_batch, _x, _y, mode: ExecutionMode.Dynamic);
    [Benchmark] public void CuRnnForwardStatic() => _rnn.Forward(_batch, _x, _y, mode: ExecutionMode.Static);

    [Benchmark]
    public void CuRnnTrainDynamic()
    {
        var tape = _rnn.ForwardTraining(_batch, _x, _y, mode: ExecutionMode.Dynamic);
        _rnn.Backward(tape, _dy, _dx, _grads, gradientMode: GradientMode.Overwrite);
    }

    [Benchmark]
    public void CuRnnTrainStatic()
    {
        var tape = _rnn.ForwardTraining(_batch, _x, _y, mode: ExecutionMode.Static);
        _rnn.Backward(tape, _dy, _dx, _grads, gradientMode: GradientMode.Overwrite);
    }

    [Benchmark] public void TorchForward() => _torch!.ForwardNoGrad();
    [Benchmark] public void TorchTrain() => _torch!.TrainingStep();

    /// <summary>ONNX Runtime forward (one-layer shapes; the two-layer shape F has no single ONNX node and runs nothing).</summary>
    [Benchmark] public void OrtForward() => _ort?.Forward();
}

/// <summary>Peer outputs against CuRnn's on the valid positions of y [T, B, D*H].</summary>
internal static class PeerCheck
{
    public static void Agree(string peer, SuiteShape s, float[] ours, float[] theirs)
    {
        var lengths = s.Lengths();
        int width = ours.Length / (s.Steps * s.Batch);
        double maxDiff = 0, maxRef = 0;
        for (int t = 0; t < s.Steps; t++)
            for (int b = 0; b < s.Batch; b++)
            {
                if (t >= lengths[b]) continue;
                for (int j = 0; j < width; j++)
                {
                    int i = (t * s.Batch + b) * width + j;
                    maxDiff = Math.Max(maxDiff, Math.Abs(ours[i] - theirs[i]));
                    maxRef = Math.Max(maxRef, Math.Abs(theirs[i]));
                }
            }
        double error = maxDiff / Math.Max(maxRef, 1e-30);
        if (!(error < 1e-4))
            throw new InvalidOperationException($"{peer} disagrees with CuRnn at shape {s.Name}: relative error {error:E2}; nothing would be comparable.");
        Console.WriteLine($"// {peer} agrees with CuRnn at {s.Name}: relative error {error:E2}");
    }
}
