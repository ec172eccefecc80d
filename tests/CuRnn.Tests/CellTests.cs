using System.Numerics;
using CuRnn.Managed.Cells;
using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// The LSTM and GRU cells, forward and backward, against their equations evaluated element by element in double,
/// each element within a few units in the last place of the magnitude of the terms that make it (a running error
/// bound, <see cref="Mag"/>: a sum that cancels may lose what its terms' rounding leaves), at hidden
/// sizes with and without a partial last vector, on values from deep saturation to tiny magnitudes; and a partial
/// vector gives the bits the same column gets in a whole one.
/// </summary>
[TestFixture, Category("unit")]
public sealed class CellTests
{
    private static readonly int[] Hidden = [1, 5, 16, 37, 64];

    /// <summary>A value computed in double with the magnitude of what went into it: sums add magnitudes, products
    /// multiply them, an activation scales its argument's by its slope (and keeps its own value's).</summary>
    private readonly record struct Mag(double V, double M)
    {
        public static implicit operator Mag(double v) => new(v, Math.Abs(v));
        public static Mag operator +(Mag a, Mag b) => new(a.V + b.V, a.M + b.M);
        public static Mag operator -(Mag a, Mag b) => new(a.V - b.V, a.M + b.M);
        public static Mag operator *(Mag a, Mag b) => new(a.V * b.V, a.M * b.M);
    }

    private static Mag Sigmoid(Mag x)
    {
        double s = DoubleDouble.SigmoidOf(x.V).Value;
        return new(s, s * (1 - s) * x.M + s);
    }

    private static Mag Tanh(Mag x)
    {
        double t = DoubleDouble.TanhOf(x.V).Value;
        return new(t, (1 - t * t) * x.M + Math.Abs(t));
    }

    [Test]
    public void Lstm_forward_follows_its_equations_float() => LstmForward<float>(1e-6);

    [Test]
    public void Lstm_forward_follows_its_equations_double() => LstmForward<double>(1e-14);

    [Test]
    public void Gru_forward_follows_its_equations_float() => GruForward<float>(1e-6);

    [Test]
    public void Gru_forward_follows_its_equations_double() => GruForward<double>(1e-14);

    [Test]
    public void Lstm_backward_follows_its_equations_float() => LstmBackward<float>(1e-6);

    [Test]
    public void Lstm_backward_follows_its_equations_double() => LstmBackward<double>(1e-14);

    [Test]
    public void Gru_backward_follows_its_equations_float() => GruBackward<float>(1e-6);

    [Test]
    public void Gru_backward_follows_its_equations_double() => GruBackward<double>(1e-14);

    private static void LstmForward<T>(double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = TestData.NewRandom();
        foreach (int h in Hidden)
        {
            var gates = Values<T>(r, 4 * h);
            var c = Values<T>(r, h);
            var (eGates, eC, eH) = (new Mag[4 * h], new Mag[h], new Mag[h]);
            for (int j = 0; j < h; j++)
            {
                Mag i = Sigmoid(D(gates[j])), f = Sigmoid(D(gates[h + j])), g = Tanh(D(gates[2 * h + j])), o = Sigmoid(D(gates[3 * h + j]));
                (eGates[j], eGates[h + j], eGates[2 * h + j], eGates[3 * h + j]) = (i, f, g, o);
                eC[j] = f * D(c[j]) + i * g;
                eH[j] = o * Tanh(eC[j]);
            }
            var hOut = TestData.Poisoned<T>(h);
            LstmCell.Forward<T>(gates, c, hOut, h);
            AssertClose(tolerance, $"LSTM forward H={h}", ("gates", gates, eGates), ("c", c, eC), ("h", hOut, eH));
        }
    }

    private static void GruForward<T>(double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = TestData.NewRandom();
        foreach (int h in Hidden)
        {
            var gates = Values<T>(r, 3 * h);
            var recurrent = Values<T>(r, 3 * h);
            var state = Values<T>(r, h);
            var (eGates, eState) = (new Mag[3 * h], new Mag[h]);
            for (int j = 0; j < h; j++)
            {
                Mag rr = Sigmoid(D(gates[j]) + D(recurrent[j])), z = Sigmoid(D(gates[h + j]) + D(recurrent[h + j]));
                Mag n = Tanh(D(gates[2 * h + j]) + rr * D(recurrent[2 * h + j]));
                (eGates[j], eGates[h + j], eGates[2 * h + j]) = (rr, z, n);
                eState[j] = (1.0 - z) * n + z * D(state[j]);
            }
            GruCell.Forward<T>(gates, recurrent, state, h);
            AssertClose(tolerance, $"GRU forward H={h}", ("gates", gates, eGates), ("h", state, eState));
        }
    }

    private static void LstmBackward<T>(double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = TestData.NewRandom();
        foreach (int h in Hidden)
        {
            var gates = Activated<T>(r, 4 * h);
            var (c, cPrev, dh, dc) = (Values<T>(r, h), Values<T>(r, h), Values<T>(r, h), Values<T>(r, h));
            var (eGates, eDc) = (new Mag[4 * h], new Mag[h]);
            for (int j = 0; j < h; j++)
            {
                Mag i = D(gates[j]), f = D(gates[h + j]), g = D(gates[2 * h + j]), o = D(gates[3 * h + j]), tc = Tanh(D(c[j]));
                Mag dcj = D(dc[j]) + D(dh[j]) * o * (1.0 - tc * tc);
                eGates[j] = dcj * g * i * (1.0 - i);
                eGates[h + j] = dcj * D(cPrev[j]) * f * (1.0 - f);
                eGates[2 * h + j] = dcj * i * (1.0 - g * g);
                eGates[3 * h + j] = D(dh[j]) * tc * o * (1.0 - o);
                eDc[j] = dcj * f;
            }
            LstmCell.Backward<T>(gates, c, cPrev, dh, dc, h);
            AssertClose(tolerance, $"LSTM backward H={h}", ("dgates", gates, eGates), ("dc", dc, eDc));
        }
    }

    private static void GruBackward<T>(double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = TestData.NewRandom();
        foreach (int h in Hidden)
        {
            var gates = Activated<T>(r, 3 * h);
            var (hPrev, ghn, dh) = (Values<T>(r, h), Values<T>(r, h), Values<T>(r, h));
            var (eGates, eRec, eDirect) = (new Mag[3 * h], new Mag[3 * h], new Mag[h]);
            for (int j = 0; j < h; j++)
            {
                Mag rr = D(gates[j]), z = D(gates[h + j]), n = D(gates[2 * h + j]), d = D(dh[j]);
                Mag dn = d * (1.0 - z) * (1.0 - n * n), dz = d * (D(hPrev[j]) - n) * z * (1.0 - z), dr = dn * D(ghn[j]) * rr * (1.0 - rr);
                (eGates[j], eGates[h + j], eGates[2 * h + j]) = (dr, dz, dn);
                (eRec[j], eRec[h + j], eRec[2 * h + j]) = (dr, dz, dn * rr);
                eDirect[j] = d * z;
            }
            var (dRec, dDirect) = (TestData.Poisoned<T>(3 * h), TestData.Poisoned<T>(h));
            GruCell.Backward<T>(gates, hPrev, ghn, dh, dRec, dDirect, h);
            AssertClose(tolerance, $"GRU backward H={h}", ("dgates", gates, eGates), ("drecurrent", dRec, eRec), ("ddirect", dDirect, eDirect));
        }
    }

    [Test]
    public void A_partial_vector_gives_the_bits_of_a_whole_one()
    {
        // H = 37 and H = 37 + padding up to whole vectors: the first 37 columns of every block must agree bitwise.
        var r = TestData.NewRandom();
        int h = 37, wide = (h + Vector<float>.Count - 1) / Vector<float>.Count * Vector<float>.Count + Vector<float>.Count;
        var gates = Values<float>(r, 4 * wide);
        var c = Values<float>(r, wide);
        var narrowGates = new float[4 * h];
        for (int k = 0; k < 4; k++) Array.Copy(gates, k * wide, narrowGates, k * h, h);
        var narrowC = c[..h];
        var (hWide, hNarrow) = (new float[wide], new float[h]);
        LstmCell.Forward<float>(gates, c, hWide, wide);
        LstmCell.Forward<float>(narrowGates, narrowC, hNarrow, h);
        Assert.Multiple(() =>
        {
            for (int k = 0; k < 4; k++)
                Assert.That(narrowGates.AsSpan(k * h, h).ToArray(), Is.EqualTo(gates.AsSpan(k * wide, h).ToArray()).AsCollection, $"gate block {k}");
            Assert.That(narrowC, Is.EqualTo(c[..h]).AsCollection, "c");
            Assert.That(hNarrow, Is.EqualTo(hWide[..h]).AsCollection, "h");
        });
    }

    private static Mag D<T>(T v) where T : INumber<T> => double.CreateTruncating(v);

    // Every element within `tolerance` times the magnitude of its terms.
    private static void AssertClose<T>(double tolerance, string what, params (string Name, T[] Actual, Mag[] Expected)[] tensors) where T : INumber<T>
    {
        Assert.Multiple(() =>
        {
            foreach (var (name, actual, expected) in tensors)
            {
                double worst = 0;
                for (int k = 0; k < actual.Length; k++)
                {
                    double a = double.CreateTruncating(actual[k]);
                    double error = double.IsNaN(a) ? double.PositiveInfinity : Math.Abs(a - expected[k].V) / Math.Max(expected[k].M, 1e-300);
                    worst = Math.Max(worst, error);
                }
                Assert.That(worst, Is.LessThanOrEqualTo(tolerance), $"{what}: {name}");
            }
        });
    }

    // Activated gates: in (-1, 1); the products only need values in range.
    private static T[] Activated<T>(Random r, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var v = new T[n];
        for (int k = 0; k < n; k++) v[k] = T.CreateTruncating(2 * r.NextDouble() - 1);
        return v;
    }

    // Magnitudes from 1e-6 to 30 (deep saturation), both signs, and exact zeros.
    private static T[] Values<T>(Random r, int n) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var v = new T[n];
        for (int k = 0; k < n; k++)
        {
            double magnitude = Math.Pow(10, -6 + 7.5 * r.NextDouble()) * (r.Next(2) == 0 ? -1 : 1);
            v[k] = k % 11 == 5 ? T.Zero : T.CreateTruncating(Math.Clamp(magnitude, -30, 30));
        }
        return v;
    }
}
