using System.Numerics;
using System.Numerics.Tensors;
using CuRnn.Managed;
using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// The one-pass LSTM and GRU cells against the element-wise library calls they replace (within a few units in the
/// last place: float vectors take their own exp, and the library's results for a few elements may differ in the
/// last place from its results for many),
/// and their vector gradients give the bits of the scalar expressions, at hidden sizes with and without a partial
/// last vector, on values from deep saturation to tiny magnitudes.
/// </summary>
[TestFixture, Category("unit")]
public sealed class FusedCellTests
{
    private static readonly int[] Hidden = [1, 16, 37, 64];

    [Test]
    public void Lstm_cell_matches_the_library_calls_float() => Lstm<float>(1e-6);

    [Test]
    public void Lstm_cell_matches_the_library_calls_double() => Lstm<double>(1e-14);

    [Test]
    public void Gru_cell_matches_the_library_calls_float() => Gru<float>(1e-6);

    [Test]
    public void Gru_cell_matches_the_library_calls_double() => Gru<double>(1e-14);

    private static void Lstm<T>(double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = TestData.NewRandom();
        foreach (int h in Hidden)
        {
            var row = Values<T>(r, 4 * h);
            var c = Values<T>(r, h);
            var (rowExpected, cExpected, hExpected) = ((T[])row.Clone(), (T[])c.Clone(), new T[h]);
            var t = new T[h];
            Span<T> i = rowExpected.AsSpan(0, h), f = rowExpected.AsSpan(h, h), g = rowExpected.AsSpan(2 * h, h), o = rowExpected.AsSpan(3 * h, h);
            TensorPrimitives.Sigmoid(i, i);
            TensorPrimitives.Sigmoid(f, f);
            TensorPrimitives.Tanh(g, g);
            TensorPrimitives.Sigmoid(o, o);
            TensorPrimitives.Multiply(f, cExpected, cExpected);
            TensorPrimitives.FusedMultiplyAdd(i, g, cExpected, cExpected);
            TensorPrimitives.Tanh(cExpected, t);
            TensorPrimitives.Multiply(o, t, hExpected);

            var hOut = TestData.Poisoned<T>(h);
            FusedCells.Lstm<T>(row, c, hOut, new T[h], h);
            Assert.Multiple(() =>
            {
                Assert.That(TestData.RelativeError<T>(row, TestData.ToDouble<T>(rowExpected)), Is.LessThanOrEqualTo(tolerance), $"H={h} gates");
                Assert.That(TestData.RelativeError<T>(c, TestData.ToDouble<T>(cExpected)), Is.LessThanOrEqualTo(tolerance), $"H={h} c");
                Assert.That(TestData.RelativeError<T>(hOut, TestData.ToDouble<T>(hExpected)), Is.LessThanOrEqualTo(tolerance), $"H={h} h");
            });
        }
    }

    private static void Gru<T>(double tolerance) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = TestData.NewRandom();
        foreach (int h in Hidden)
        {
            var row = Values<T>(r, 3 * h);
            var recurrent = Values<T>(r, 3 * h);
            var state = Values<T>(r, h);
            var (rowExpected, stateExpected, t) = ((T[])row.Clone(), (T[])state.Clone(), new T[h]);
            Span<T> rz = rowExpected.AsSpan(0, 2 * h), rr = rowExpected.AsSpan(0, h), z = rowExpected.AsSpan(h, h), n = rowExpected.AsSpan(2 * h, h);
            TensorPrimitives.Add(rz, recurrent.AsSpan(0, 2 * h), rz);
            TensorPrimitives.Sigmoid(rz, rz);
            TensorPrimitives.FusedMultiplyAdd(rr, recurrent.AsSpan(2 * h, h), n, n);
            TensorPrimitives.Tanh(n, n);
            TensorPrimitives.Subtract(stateExpected, n, t);
            TensorPrimitives.FusedMultiplyAdd(z, t, n, stateExpected);

            FusedCells.Gru<T>(row, recurrent, state, new T[h], h);
            Assert.Multiple(() =>
            {
                Assert.That(TestData.RelativeError<T>(row, TestData.ToDouble<T>(rowExpected)), Is.LessThanOrEqualTo(tolerance), $"H={h} gates");
                Assert.That(TestData.RelativeError<T>(state, TestData.ToDouble<T>(stateExpected)), Is.LessThanOrEqualTo(tolerance), $"H={h} h");
            });
        }
    }

    [Test]
    public void Lstm_cell_gradient_gives_the_bits_of_the_scalar_expressions_float() => LstmGradient<float>();

    [Test]
    public void Lstm_cell_gradient_gives_the_bits_of_the_scalar_expressions_double() => LstmGradient<double>();

    [Test]
    public void Gru_cell_gradient_gives_the_bits_of_the_scalar_expressions_float() => GruGradient<float>();

    [Test]
    public void Gru_cell_gradient_gives_the_bits_of_the_scalar_expressions_double() => GruGradient<double>();

    private static void LstmGradient<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = TestData.NewRandom();
        foreach (int h in Hidden)
        {
            var row = Gates<T>(r, 4 * h);
            var (c, cPrev, dh, dc) = (Values<T>(r, h), Values<T>(r, h), Values<T>(r, h), Values<T>(r, h));
            var (rowExpected, dcExpected, tanhC) = ((T[])row.Clone(), (T[])dc.Clone(), new T[h]);
            TensorPrimitives.Tanh(c, tanhC);
            T one = T.One;
            for (int j = 0; j < h; j++)
            {
                T i = row[j], f = row[h + j], g = row[2 * h + j], o = row[3 * h + j], tc = tanhC[j];
                T dcj = dc[j] + dh[j] * o * (one - tc * tc);
                rowExpected[j] = dcj * g * i * (one - i);
                rowExpected[h + j] = dcj * cPrev[j] * f * (one - f);
                rowExpected[2 * h + j] = dcj * i * (one - g * g);
                rowExpected[3 * h + j] = dh[j] * tc * o * (one - o);
                dcExpected[j] = dcj * f;
            }
            FusedCellGradients.Lstm<T>(row, c, cPrev, dh, dc, new T[h], h);
            Assert.Multiple(() =>
            {
                Assert.That(row, Is.EqualTo(rowExpected).AsCollection, $"H={h} gate gradients");
                Assert.That(dc, Is.EqualTo(dcExpected).AsCollection, $"H={h} dc");
            });
        }
    }

    private static void GruGradient<T>() where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = TestData.NewRandom();
        foreach (int h in Hidden)
        {
            var row = Gates<T>(r, 3 * h);
            var (hPrev, ghn, dh) = (Values<T>(r, h), Values<T>(r, h), Values<T>(r, h));
            var rowExpected = (T[])row.Clone();
            var (dRecExpected, dDirectExpected) = (new T[3 * h], new T[h]);
            T one = T.One;
            for (int j = 0; j < h; j++)
            {
                T rr = row[j], z = row[h + j], n = row[2 * h + j];
                T dn = dh[j] * (one - z) * (one - n * n);
                T dz = dh[j] * (hPrev[j] - n) * z * (one - z);
                T dr = dn * ghn[j] * rr * (one - rr);
                rowExpected[j] = dr; rowExpected[h + j] = dz; rowExpected[2 * h + j] = dn;
                dRecExpected[j] = dr; dRecExpected[h + j] = dz; dRecExpected[2 * h + j] = dn * rr;
                dDirectExpected[j] = dh[j] * z;
            }
            var (dRec, dDirect) = (TestData.Poisoned<T>(3 * h), TestData.Poisoned<T>(h));
            FusedCellGradients.Gru<T>(row, hPrev, ghn, dh, dRec, dDirect, h);
            Assert.Multiple(() =>
            {
                Assert.That(row, Is.EqualTo(rowExpected).AsCollection, $"H={h} gate gradients");
                Assert.That(dRec, Is.EqualTo(dRecExpected).AsCollection, $"H={h} recurrent gradients");
                Assert.That(dDirect, Is.EqualTo(dDirectExpected).AsCollection, $"H={h} direct gradient");
            });
        }
    }

    // Activated gates: in (0, 1), and in (-1, 1) for a tanh gate; the products only need values in range.
    private static T[] Gates<T>(Random r, int n) where T : unmanaged, IFloatingPointIeee754<T>
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
