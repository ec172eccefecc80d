namespace CuRnn.Tests.Support;

/// <summary>
/// A number as the unevaluated sum of two doubles (about 106 significant bits): enough to give e^x, σ(x) and tanh(x)
/// to far better than a double's last place, as the reference the activation sweeps measure units in the last place
/// against (the C library's own tanh is off by up to two of them).
/// </summary>
internal readonly record struct DoubleDouble(double Hi, double Lo)
{
    private static readonly DoubleDouble Ln2 = new(0.6931471805599453, 2.3190468138462996e-17);

    public static implicit operator DoubleDouble(double d) => new(d, 0);

    public double Value => Hi + Lo;

    public static DoubleDouble operator +(DoubleDouble a, DoubleDouble b)
    {
        double s = a.Hi + b.Hi, v = s - a.Hi;
        double e = (a.Hi - (s - v)) + (b.Hi - v) + a.Lo + b.Lo;
        return Normalize(s, e);
    }

    public static DoubleDouble operator -(DoubleDouble a) => new(-a.Hi, -a.Lo);

    public static DoubleDouble operator -(DoubleDouble a, DoubleDouble b) => a + -b;

    public static DoubleDouble operator *(DoubleDouble a, DoubleDouble b)
    {
        double p = a.Hi * b.Hi;
        double e = Math.FusedMultiplyAdd(a.Hi, b.Hi, -p) + a.Hi * b.Lo + a.Lo * b.Hi;
        return Normalize(p, e);
    }

    public static DoubleDouble operator /(DoubleDouble a, DoubleDouble b)
    {
        double q1 = a.Hi / b.Hi;
        var r = a - b * q1;
        double q2 = r.Hi / b.Hi;
        r -= b * q2;
        return Normalize(q1, q2) + r.Hi / b.Hi;
    }

    /// <summary>e^x - 1 for |x| ≤ 0.36 by its Taylor series (35 terms reach far below 2⁻¹⁰⁶).</summary>
    private static DoubleDouble Expm1Reduced(DoubleDouble r)
    {
        DoubleDouble sum = 0, term = r;
        for (int k = 2; k <= 36; k++)
        {
            sum += term;
            term = term * r / k;
        }
        return sum;
    }

    /// <summary>e^x as 2^n·m with m in double-double (so that tiny and huge values keep every digit).</summary>
    public static (int N, DoubleDouble M) Exp(double x)
    {
        double n = Math.Round(x / Ln2.Hi);
        var r = (DoubleDouble)x - Ln2 * n;
        return ((int)n, Expm1Reduced(r) + 1.0);
    }

    /// <summary>e^x - 1, accurate also where it is tiny.</summary>
    public static DoubleDouble Expm1(double x)
    {
        var (n, m) = Exp(x);
        return n == 0 ? m - 1.0 : Scale(m, n) - 1.0;
    }

    /// <summary>e^x (∞ above 710, 0 below -746; the low part is lost where the value is subnormal).</summary>
    public static DoubleDouble ExpOf(double x)
    {
        if (x > 710) return double.PositiveInfinity;
        if (x < -746) return 0;
        var (n, m) = Exp(x);
        return Scale(m, n);
    }

    public static DoubleDouble TanhOf(double x)
    {
        double a = Math.Abs(x);
        if (a > 40) return Math.CopySign(1.0, x);
        if (a < 1e-30) return x;
        var em = Expm1(-2 * a);
        var t = -em / (em + 2.0);
        return x < 0 ? -t : t;
    }

    public static DoubleDouble SigmoidOf(double x)
    {
        if (x >= 0)
        {
            if (x > 746) return 1;
            var (n, m) = Exp(-x);
            return 1.0 / (Scale(m, n) + 1.0);
        }
        if (x < -746) return 0;
        var (k, mk) = Exp(x);
        // e^x / (1 + e^x), scaled late so that a subnormal value rounds once.
        return Scale(mk / (Scale(mk, k) + 1.0), k);
    }

    /// <summary>|value - this| in units of <paramref name="ulp"/>, without rounding the difference to a double first.</summary>
    public double ErrorOf(double value, double ulp) => Math.Abs((value - Hi) - Lo) / ulp;

    // Two halves, as the value may be subnormal or near the largest double.
    private static DoubleDouble Scale(DoubleDouble a, int n) => new(ScaleB(a.Hi, n), ScaleB(a.Lo, n));

    private static double ScaleB(double v, int n) => Math.ScaleB(Math.ScaleB(v, n / 2), n - n / 2);

    private static DoubleDouble Normalize(double s, double e)
    {
        double hi = s + e;
        return new(hi, e - (hi - s));
    }
}
