using System.Numerics;
using CuRnn.Managed.Cells;
using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// The cells' e^x, σ(x) and tanh(x) against their exact values (double-double references) over every exponent of
/// float and double, both signs, subnormals included, fresh samples in every binade: at most 2 units in the last
/// place of the exact value. Plus the special values: NaN, ±∞, ±0 and subnormal arguments.
/// </summary>
[TestFixture, Category("unit")]
public sealed class ActivationAccuracyTests
{
    private const double MaxUlps = 2;

    public enum Function { Exp, Sigmoid, Tanh }

    [Test]
    public void Float_is_within_two_ulps_in_every_binade([Values] Function f) =>
        Sweep<float>(f, binades: 255, samplesPerBinade: 1024, (r, sign, exponent) =>
            BitConverter.UInt32BitsToSingle(((uint)sign << 31) | ((uint)exponent << 23) | (uint)r.Next(1 << 23)));

    [Test]
    public void Double_is_within_two_ulps_in_every_binade([Values] Function f) =>
        Sweep<double>(f, binades: 2047, samplesPerBinade: 128, (r, sign, exponent) =>
            BitConverter.UInt64BitsToDouble(((ulong)sign << 63) | ((ulong)exponent << 52) | (ulong)r.NextInt64(1L << 52)));

    [Test]
    public void The_double_double_reference_agrees_with_the_C_library()
    {
        // glibc's exp is within about half a unit of the exact value: a reference that disagrees with it is broken.
        var r = TestData.NewRandom();
        for (int k = 0; k < 20000; k++)
        {
            double x = -700 + 1400 * r.NextDouble();
            var exact = DoubleDouble.ExpOf(x);
            Assert.That(exact.ErrorOf(Math.Exp(x), Ulp(exact.Value, double.Epsilon, 52)), Is.LessThan(0.51), $"e^{x:R}");
        }
    }

    [Test]
    public void Special_values_are_kept([Values] Function f)
    {
        float[] x = [float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, float.Epsilon, -float.Epsilon, 1e-40f, -1e-40f];
        var y = Apply(f, x);
        Assert.Multiple(() =>
        {
            Assert.That(float.IsNaN(y[0]), Is.True, $"{f}(NaN) = {y[0]}");
            (float pInf, float nInf, float zero) = f switch
            {
                Function.Exp => (float.PositiveInfinity, 0f, 1f),
                Function.Sigmoid => (1f, 0f, 0.5f),
                _ => (1f, -1f, 0f),
            };
            Assert.That(y[1], Is.EqualTo(pInf), $"{f}(+inf)");
            Assert.That(y[2], Is.EqualTo(nInf), $"{f}(-inf)");
            Assert.That(y[3], Is.EqualTo(zero), $"{f}(+0)");
            if (f == Function.Tanh)
            {
                Assert.That(float.IsNegative(y[4]) && y[4] == 0, Is.True, "tanh(-0) = -0");
                for (int k = 5; k < x.Length; k++) Assert.That(y[k], Is.EqualTo(x[k]), $"tanh of the subnormal {x[k]:R}");
            }
        });
    }

    [Test]
    public void A_partial_vector_gives_the_bits_of_a_whole_one([Values(1, 3, 7, 13, 37)] int length)
    {
        // PlainCell.Tanh runs the columns past the last whole vector through a copy: same bits as in a whole vector.
        var r = TestData.NewRandom();
        var x = TestData.Uniform<float>(r, length + 64, 3.0);
        var whole = new float[x.Length];
        PlainCell.Tanh<float>(x, whole);
        var part = TestData.Poisoned<float>(length);
        PlainCell.Tanh<float>(x.AsSpan(0, length), part);
        Assert.That(part, Is.EqualTo(whole.AsSpan(0, length).ToArray()).AsCollection);
    }

    private static void Sweep<T>(Function f, int binades, int samplesPerBinade, Func<Random, int, int, T> draw) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = TestData.NewRandom();
        bool single = typeof(T) == typeof(float);
        double worst = 0, worstAt = 0;
        var x = new T[samplesPerBinade];
        for (int sign = 0; sign < 2; sign++)
        for (int exponent = 0; exponent < binades; exponent++)
        {
            for (int k = 0; k < x.Length; k++) x[k] = draw(r, sign, exponent);
            var y = Apply(f, x);
            for (int k = 0; k < x.Length; k++)
            {
                double xd = double.CreateTruncating(x[k]), yd = double.CreateTruncating(y[k]);
                var exact = f switch { Function.Exp => DoubleDouble.ExpOf(xd), Function.Sigmoid => DoubleDouble.SigmoidOf(xd), _ => DoubleDouble.TanhOf(xd) };
                double e = exact.Value;
                if (single ? Math.Abs(e) > float.MaxValue * (1 + Math.Pow(2, -25)) : double.IsInfinity(e))
                {
                    Assert.That(double.IsPositiveInfinity(yd), Is.True, $"{f}({xd:R}) overflows, got {yd:R}");
                    continue;
                }
                double ulps = exact.ErrorOf(yd, single ? Ulp(e, Math.Pow(2, -149), 23) : Ulp(e, double.Epsilon, 52));
                if (!(ulps <= worst)) (worst, worstAt) = (ulps, xd);
            }
        }
        TestContext.Out.WriteLine($"{typeof(T).Name} {f}: largest error {worst:F3} ulp at x = {worstAt:R}");
        Assert.That(worst, Is.LessThanOrEqualTo(MaxUlps), $"{typeof(T).Name} {f} at x = {worstAt:R}");
    }

    // The spacing of the format's values at |v| (the subnormal spacing below the normal range).
    private static double Ulp(double v, double smallest, int mantissaBits)
    {
        double a = Math.Abs(v);
        if (a == 0) return smallest;
        return Math.Max(Math.ScaleB(1.0, Math.ILogB(a) - mantissaBits), smallest);
    }

    private static T[] Apply<T>(Function f, T[] x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vc = Vector<T>.Count;
        var padded = new T[(x.Length + vc - 1) / vc * vc];
        x.CopyTo(padded, 0);
        var y = TestData.Poisoned<T>(padded.Length);
        for (int k = 0; k < padded.Length; k += vc)
        {
            var v = new Vector<T>(padded, k);
            (f switch { Function.Exp => Activations.Exp(v), Function.Sigmoid => Activations.Sigmoid(v), _ => Activations.Tanh(v) }).CopyTo(y, k);
        }
        return y[..x.Length];
    }
}
