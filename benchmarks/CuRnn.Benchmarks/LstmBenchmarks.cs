using BenchmarkDotNet.Attributes;

namespace CuRnn.Benchmarks;

/// <summary>
/// Managed-engine latency of one LSTM layer at T=50, B=32, I=H=512 (shape A of the suite): inference forward
/// in both modes, and a training step (forward + backward with weight gradients).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[SimpleJob(warmupCount: 3, iterationCount: 10)]
public class LstmBenchmarks
{
    private const int T = 50, B = 32, I = 512, H = 512;
    private Rnn<float> _rnn = null!;
    private SequenceBatch _batch = null!;
    private float[] _x = null!, _y = null!, _dy = null!, _grads = null!;

    [GlobalSetup]
    public void Setup()
    {
        _rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = I, HiddenSize = H, Backend = RnnBackend.Managed });
        _batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, T, B);
        var r = new Random(42);
        _x = Enumerable.Range(0, T * B * I).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        _dy = Enumerable.Range(0, T * B * H).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
        _y = new float[T * B * H];
        _grads = new float[_rnn.ParameterCount];
    }

    [GlobalCleanup]
    public void Cleanup() => _rnn.Dispose();

    [Benchmark(Baseline = true)]
    public void ForwardDynamic() => _rnn.Forward(_batch, _x, _y, mode: ExecutionMode.Dynamic);

    [Benchmark]
    public void ForwardStatic() => _rnn.Forward(_batch, _x, _y, mode: ExecutionMode.Static);

    [Benchmark]
    public void TrainingStepDynamic()
    {
        var tape = _rnn.ForwardTraining(_batch, _x, _y, mode: ExecutionMode.Dynamic);
        _rnn.Backward(tape, _dy, default, _grads, gradientMode: GradientMode.Overwrite);
    }
}
