using System.Numerics;
using System.Runtime.CompilerServices;

namespace CuRnn.Managed.Cells;

/// <summary>
/// e^x, σ(x) and tanh(x) on double lanes: <see cref="SingleActivations"/>' algorithms with double constants (e^r by
/// Taylor's polynomial to r¹³, tanh below 0.625 by Cephes' rational function).
/// </summary>
internal static class DoubleActivations
{
    // fdlibm's split of ln 2: n·High is exact for |n| < 2^21.
    private const double Log2E = 1.4426950408889634, Ln2High = 6.93147180369123816490e-01, Ln2Low = 1.90821492927058770002e-10;
    private const double Magic = 6755399441055744.0;   // 1.5·2^52

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Exp(Vector<double> x)
    {
        if (Vector.GreaterThanAny(Vector.Abs(x), new Vector<double>(708.0))) return ExpWide(x);
        // n = round(x·log2 e) through the magic sum, whose bits also give 2^n.
        var t = Vector.FusedMultiplyAdd(x, new Vector<double>(Log2E), new Vector<double>(Magic));
        var n = t - new Vector<double>(Magic);
        return Reduced(x, n) * Vector.ShiftLeft(t.As<double, long>() - new Vector<long>(0x4338000000000000L - 1023), 52).As<long, double>();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Vector<double> ExpWide(Vector<double> x)
    {
        var clamped = Vector.Min(Vector.Max(x, new Vector<double>(-746.0)), new Vector<double>(710.0));
        var n = Vector.Round(clamped * new Vector<double>(Log2E));
        var half = Vector.Round(n * new Vector<double>(0.5));
        return Reduced(clamped, n) * Pow2(half) * Pow2(n - half);
    }

    // e^(x - n·ln 2): Taylor's polynomial to r¹³ (remainder below 10⁻¹⁷ for |r| ≤ ln 2 / 2), 1 + (r + r²·P(r)) rounded once.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Reduced(Vector<double> x, Vector<double> n)
    {
        var r = Vector.FusedMultiplyAdd(n, new Vector<double>(-Ln2High), x);
        r = Vector.FusedMultiplyAdd(n, new Vector<double>(-Ln2Low), r);
        var p = new Vector<double>(1.0 / 6227020800);
        foreach (double factorial in (ReadOnlySpan<double>)[479001600, 39916800, 3628800, 362880, 40320, 5040, 720, 120, 24, 6, 2])
            p = Vector.FusedMultiplyAdd(p, r, new Vector<double>(1.0 / factorial));
        return Vector.FusedMultiplyAdd(p, r * r, r) + Vector<double>.One;
    }

    // 2^n for integral n in [-1022, 1023].
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<double> Pow2(Vector<double> n)
    {
        var biased = (n + new Vector<double>(Magic)).As<double, long>() - new Vector<long>(0x4338000000000000L - 1023);
        return Vector.ShiftLeft(biased, 52).As<long, double>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Sigmoid(Vector<double> x)
    {
        var one = Vector<double>.One;
        var s = Exp(-Vector.Abs(x));
        var negative = Vector.LessThan(x, Vector<double>.Zero);
        var d = one + s;
        var roundingOfD = s - (d - one);
        var q = Vector.ConditionalSelect(negative, s, one) / d;
        var reciprocalOfD = Vector.ConditionalSelect(negative, one - q, q);
        return Vector.FusedMultiplyAdd(-(q * reciprocalOfD), roundingOfD, q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<double> Tanh(Vector<double> x)
    {
        var one = Vector<double>.One;
        var a = Vector.Abs(x);
        var e = Exp(new Vector<double>(-2.0) * a);
        var numerator = one - e;
        var d = one + e;
        var q = numerator / d;
        var correction = ((one - numerator) - e) - q * (e - (d - one));
        var large = Vector.FusedMultiplyAdd(correction, Vector.FusedMultiplyAdd(e, e, numerator), q);
        // Cephes' tanh below 0.625: x + x·z·P(z)/Q(z), z = x².
        var z = a * a;
        var p = Vector.FusedMultiplyAdd(new Vector<double>(-9.64399179425052238628e-1), z, new Vector<double>(-9.92877231001918586564e1));
        p = Vector.FusedMultiplyAdd(p, z, new Vector<double>(-1.61468768441708447952e3));
        var q2 = z + new Vector<double>(1.12811678491632931402e2);
        q2 = Vector.FusedMultiplyAdd(q2, z, new Vector<double>(2.23548839060100448583e3));
        q2 = Vector.FusedMultiplyAdd(q2, z, new Vector<double>(4.84406305325125486048e3));
        var small = Vector.FusedMultiplyAdd(z * p / q2, a, a);
        return Vector.ConditionalSelect(Vector.LessThan(a, new Vector<double>(0.625)), small, large) ^ (x & new Vector<double>(-0.0));
    }
}
