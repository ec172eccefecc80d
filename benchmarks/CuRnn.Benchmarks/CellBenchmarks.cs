using System.Numerics.Tensors;
using BenchmarkDotNet.Attributes;
using CuRnn.Managed.Cells;

namespace CuRnn.Benchmarks;

/// <summary>
/// The LSTM and GRU cells over 64 rows (a step of a 64-row batch), forward and backward, float: the engine's cells
/// (<see cref="LstmCell"/>, <see cref="GruCell"/>) beside the same equations composed of <see cref="TensorPrimitives"/>'
/// element-wise calls, which is what the engine ran on CPUs without 512-bit vectors before the cells were rewritten.
/// H = 128 fills whole vectors; H = 37 has a partial last vector.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(warmupCount: 3, iterationCount: 15)]
public class CellBenchmarks
{
    private const int Rows = 64;
    private float[] _gates = null!, _c = null!, _h = null!, _recurrent = null!, _cPrev = null!, _dh = null!, _dc = null!,
        _dRecurrent = null!, _dDirect = null!, _temp = null!;

    [Params(128, 37)]
    public int H { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var r = new Random(42);
        float[] Draw(int n) => Enumerable.Range(0, n).Select(_ => (float)(4 * r.NextDouble() - 2)).ToArray();
        // The forwards activate the gates in place, so calls after the first see values in (-1, 1): both variants alike.
        _gates = Draw(Rows * 4 * H);
        (_c, _h, _cPrev, _dh, _dc, _dDirect, _temp) = (Draw(Rows * H), new float[Rows * H], Draw(Rows * H), Draw(Rows * H), Draw(Rows * H), new float[Rows * H], new float[H]);
        (_recurrent, _dRecurrent) = (Draw(Rows * 3 * H), new float[Rows * 3 * H]);
    }

    [Benchmark(Baseline = true)]
    public void LstmForward()
    {
        for (int b = 0; b < Rows; b++) LstmCell.Forward<float>(_gates.AsSpan(b * 4 * H, 4 * H), _c.AsSpan(b * H, H), _h.AsSpan(b * H, H), H);
    }

    [Benchmark]
    public void LstmForwardLibraryCalls()
    {
        for (int b = 0; b < Rows; b++)
        {
            Span<float> row = _gates.AsSpan(b * 4 * H, 4 * H), c = _c.AsSpan(b * H, H);
            Span<float> i = row[..H], f = row.Slice(H, H), g = row.Slice(2 * H, H), o = row.Slice(3 * H, H);
            TensorPrimitives.Sigmoid(i, i);
            TensorPrimitives.Sigmoid(f, f);
            TensorPrimitives.Tanh(g, g);
            TensorPrimitives.Sigmoid(o, o);
            TensorPrimitives.Multiply(f, c, c);
            TensorPrimitives.FusedMultiplyAdd(i, g, c, c);
            TensorPrimitives.Tanh(c, _temp);
            TensorPrimitives.Multiply(o, _temp, _h.AsSpan(b * H, H));
        }
    }

    [Benchmark]
    public void GruForward()
    {
        for (int b = 0; b < Rows; b++) GruCell.Forward<float>(_gates.AsSpan(b * 3 * H, 3 * H), _recurrent.AsSpan(b * 3 * H, 3 * H), _h.AsSpan(b * H, H), H);
    }

    [Benchmark]
    public void GruForwardLibraryCalls()
    {
        for (int b = 0; b < Rows; b++)
        {
            Span<float> row = _gates.AsSpan(b * 3 * H, 3 * H), rec = _recurrent.AsSpan(b * 3 * H, 3 * H), h = _h.AsSpan(b * H, H);
            Span<float> rz = row[..(2 * H)], r = row[..H], z = row.Slice(H, H), n = row.Slice(2 * H, H);
            TensorPrimitives.Add(rz, rec[..(2 * H)], rz);
            TensorPrimitives.Sigmoid(rz, rz);
            TensorPrimitives.FusedMultiplyAdd(r, rec.Slice(2 * H, H), n, n);
            TensorPrimitives.Tanh(n, n);
            TensorPrimitives.Subtract(h, n, _temp);
            TensorPrimitives.FusedMultiplyAdd(z, _temp, n, h);
        }
    }

    [Benchmark]
    public void LstmBackward()
    {
        for (int b = 0; b < Rows; b++)
            LstmCell.Backward<float>(_gates.AsSpan(b * 4 * H, 4 * H), _c.AsSpan(b * H, H), _cPrev.AsSpan(b * H, H), _dh.AsSpan(b * H, H), _dc.AsSpan(b * H, H), H);
    }

    [Benchmark]
    public void LstmBackwardLibraryTanh()
    {
        // tanh(c) by the library, then the gradient expressions element by element.
        for (int b = 0; b < Rows; b++)
        {
            Span<float> row = _gates.AsSpan(b * 4 * H, 4 * H), dc = _dc.AsSpan(b * H, H);
            ReadOnlySpan<float> cPrev = _cPrev.AsSpan(b * H, H), dh = _dh.AsSpan(b * H, H);
            TensorPrimitives.Tanh(_c.AsSpan(b * H, H), _temp);
            for (int j = 0; j < H; j++)
            {
                float i = row[j], f = row[H + j], g = row[2 * H + j], o = row[3 * H + j], tc = _temp[j];
                float dcj = dc[j] + dh[j] * o * (1 - tc * tc);
                row[j] = dcj * g * i * (1 - i);
                row[H + j] = dcj * cPrev[j] * f * (1 - f);
                row[2 * H + j] = dcj * i * (1 - g * g);
                row[3 * H + j] = dh[j] * tc * o * (1 - o);
                dc[j] = dcj * f;
            }
        }
    }

    [Benchmark]
    public void GruBackward()
    {
        for (int b = 0; b < Rows; b++)
            GruCell.Backward<float>(_gates.AsSpan(b * 3 * H, 3 * H), _cPrev.AsSpan(b * H, H), _c.AsSpan(b * H, H), _dh.AsSpan(b * H, H),
                _dRecurrent.AsSpan(b * 3 * H, 3 * H), _dDirect.AsSpan(b * H, H), H);
    }
}
