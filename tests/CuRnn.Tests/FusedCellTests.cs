using System.Numerics;
using System.Numerics.Tensors;
using CuRnn.Managed;
using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// The one-pass LSTM and GRU cells give the bits of the element-wise library calls they replace, at hidden sizes
/// with and without a partial last vector, on values from deep saturation to tiny magnitudes.
/// </summary>
[TestFixture, Category("unit")]
public sealed class FusedCellTests
{
    private static readonly int[] Hidden = [1, 16, 37, 64];

    [Test]
    public void Lstm_cell_gives_the_bits_of_the_library_calls_float() => Lstm<float>();

    [Test]
    public void Lstm_cell_gives_the_bits_of_the_library_calls_double() => Lstm<double>();

    [Test]
    public void Gru_cell_gives_the_bits_of_the_library_calls_float() => Gru<float>();

    [Test]
    public void Gru_cell_gives_the_bits_of_the_library_calls_double() => Gru<double>();

    private static void Lstm<T>() where T : unmanaged, IFloatingPointIeee754<T>
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
                Assert.That(row, Is.EqualTo(rowExpected).AsCollection, $"H={h} gates");
                Assert.That(c, Is.EqualTo(cExpected).AsCollection, $"H={h} c");
                Assert.That(hOut, Is.EqualTo(hExpected).AsCollection, $"H={h} h");
            });
        }
    }

    private static void Gru<T>() where T : unmanaged, IFloatingPointIeee754<T>
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
                Assert.That(row, Is.EqualTo(rowExpected).AsCollection, $"H={h} gates");
                Assert.That(state, Is.EqualTo(stateExpected).AsCollection, $"H={h} h");
            });
        }
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
