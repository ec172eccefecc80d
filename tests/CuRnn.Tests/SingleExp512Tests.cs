using System.Runtime.Intrinsics;
using CuRnn.Managed;
using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>The cells' single-precision vector exp against the double-precision exp, and at its edges.</summary>
[TestFixture, Category("unit")]
public sealed class SingleExp512Tests
{
    [SetUp]
    public void RequireVectors()
    {
        if (!Vector512.IsHardwareAccelerated) Assert.Ignore("This CPU has no 512-bit vectors; the cells use the library's exp instead.");
    }

    [Test]
    public void Exp_is_within_two_units_in_the_last_place_over_its_range()
    {
        var r = TestData.NewRandom();
        var x = new float[1 << 16];
        for (int k = 0; k < x.Length; k++)
            x[k] = k % 4 == 0 ? (float)(r.NextDouble() * 2 - 1) : (float)(-87 + 175 * r.NextDouble());
        var y = Apply(x);
        int worst = 0;
        float worstAt = 0;
        for (int k = 0; k < x.Length; k++)
        {
            int ulps = Math.Abs(BitConverter.SingleToInt32Bits(y[k]) - BitConverter.SingleToInt32Bits((float)Math.Exp(x[k])));
            if (ulps > worst) (worst, worstAt) = (ulps, x[k]);
        }
        Assert.That(worst, Is.LessThanOrEqualTo(2), $"worst at x = {worstAt:R}");
    }

    [Test]
    public void Exp_saturates_instead_of_reaching_zero_or_infinity_and_keeps_NaN()
    {
        float[] x = [-1000f, -87.5f, float.NegativeInfinity, 88.5f, 1000f, float.PositiveInfinity, float.NaN, 0f, -0f,
            1f, -1f, 88f, -87f, 1e-30f, -1e-30f, 0.5f]; // one whole vector; the last six only fill it
        var y = Apply(x);
        Assert.Multiple(() =>
        {
            foreach (int k in new[] { 0, 1, 2 }) Assert.That(y[k], Is.GreaterThan(0f).And.LessThan(2e-38f), $"e^{x[k]}");
            foreach (int k in new[] { 3, 4, 5 }) Assert.That(float.IsFinite(y[k]) && y[k] > 1e38f, Is.True, $"e^{x[k]} = {y[k]}");
            Assert.That(float.IsNaN(y[6]), Is.True, "e^NaN");
            Assert.That(y[7], Is.EqualTo(1f), "e^0");
            Assert.That(y[8], Is.EqualTo(1f), "e^-0");
            Assert.That(y[9], Is.EqualTo(MathF.E).Within(1).Ulps, "e^1");
        });
    }

    private static float[] Apply(float[] x)
    {
        var y = TestData.Poisoned<float>(x.Length);
        for (int k = 0; k < x.Length; k += Vector512<float>.Count)
            SingleExp512.Exp(Vector512.Create<float>(x.AsSpan(k))).CopyTo(y.AsSpan(k));
        return y;
    }
}
