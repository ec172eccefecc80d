using System.Numerics;
using System.Runtime.CompilerServices;

namespace CuRnn.Managed.Cells;

/// <summary>
/// e^x, σ(x) and tanh(x) on float lanes; the algorithms are described on <see cref="Activations"/>.
/// <see cref="DoubleActivations"/> repeats them on double lanes with its own constants: one generic body needs helper
/// calls for FMA, rounding and constants, and the JIT's inlining budget stops inlining them inside a cell.
/// </summary>
internal static class SingleActivations
{
    // Cody–Waite split of ln 2: n·High is exact for |n| ≤ 256 (its low 9 bits are zero).
    private const float Log2E = 1.44269504088896341f, Ln2High = 0.693359375f, Ln2Low = -2.12194440e-4f;
    private const float Magic = 12582912f;   // 1.5·2^23: adding it rounds to an integer held in the low mantissa bits

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Exp(Vector<float> x)
    {
        if (Vector.GreaterThanAny(Vector.Abs(x), new Vector<float>(87f))) return ExpWide(x);
        // n = round(x·log2 e) through the magic sum, whose bits also give 2^n.
        var t = Vector.FusedMultiplyAdd(x, new Vector<float>(Log2E), new Vector<float>(Magic));
        var n = t - new Vector<float>(Magic);
        return Reduced(x, n) * Vector.ShiftLeft(t.As<float, int>() - new Vector<int>(0x4B400000 - 127), 23).As<int, float>();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector<float> ExpWide(Vector<float> x)
    {
        var clamped = Vector.Min(Vector.Max(x, new Vector<float>(-104f)), new Vector<float>(89f));
        var n = Vector.Round(clamped * new Vector<float>(Log2E));
        var half = Vector.Round(n * new Vector<float>(0.5f));
        return Reduced(clamped, n) * Pow2(half) * Pow2(n - half);
    }

    // e^(x - n·ln 2): Cephes' expf polynomial, 1 + (r + r²·P(r)) rounded once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Reduced(Vector<float> x, Vector<float> n)
    {
        var r = Vector.FusedMultiplyAdd(n, new Vector<float>(-Ln2High), x);
        r = Vector.FusedMultiplyAdd(n, new Vector<float>(-Ln2Low), r);
        var p = new Vector<float>(1.9875691500e-4f);
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.3981999507e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(8.3334519073e-3f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(4.1665795894e-2f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(1.6666665459e-1f));
        p = Vector.FusedMultiplyAdd(p, r, new Vector<float>(5.0000001201e-1f));
        return Vector.FusedMultiplyAdd(p, r * r, r) + Vector<float>.One;
    }

    // 2^n for integral n in [-126, 127].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Pow2(Vector<float> n)
    {
        var biased = (n + new Vector<float>(Magic)).As<float, int>() - new Vector<int>(0x4B400000 - 127);
        return Vector.ShiftLeft(biased, 23).As<int, float>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Sigmoid(Vector<float> x)
    {
        var one = Vector<float>.One;
        var s = Exp(-Vector.Abs(x));
        var negative = Vector.LessThan(x, Vector<float>.Zero);
        var d = one + s;
        var roundingOfD = s - (d - one);
        var q = Vector.ConditionalSelect(negative, s, one) / d;
        var reciprocalOfD = Vector.ConditionalSelect(negative, one - q, q);
        return Vector.FusedMultiplyAdd(-(q * reciprocalOfD), roundingOfD, q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<float> Tanh(Vector<float> x)
    {
        var one = Vector<float>.One;
        var a = Vector.Abs(x);
        var e = Exp(new Vector<float>(-2f) * a);
        var numerator = one - e;
        var d = one + e;
        var q = numerator / d;
        var correction = ((one - numerator) - e) - q * (e - (d - one));
        var large = Vector.FusedMultiplyAdd(correction, Vector.FusedMultiplyAdd(e, e, numerator), q);
        // Cephes' tanhf polynomial below 0.625.
        var z = a * a;
        var p = Vector.FusedMultiplyAdd(new Vector<float>(-5.70498872745e-3f), z, new Vector<float>(2.06390887954e-2f));
        p = Vector.FusedMultiplyAdd(p, z, new Vector<float>(-5.37397155531e-2f));
        p = Vector.FusedMultiplyAdd(p, z, new Vector<float>(1.33314422036e-1f));
        p = Vector.FusedMultiplyAdd(p, z, new Vector<float>(-3.33332819422e-1f));
        var small = Vector.FusedMultiplyAdd(p * z, a, a);
        return Vector.ConditionalSelect(Vector.LessThan(a, new Vector<float>(0.625f)), small, large) ^ (x & new Vector<float>(-0f));
    }
}
