using System.Numerics;
using System.Runtime.CompilerServices;

namespace CuRnn.Managed.Cells;

/// <summary>
/// e^x, σ(x) and tanh(x) for one <see cref="Vector{T}"/> of float or double lanes, shared by every cell, forward and
/// backward, at whatever width the runtime gives <see cref="Vector{T}"/> (128 bits on Arm, 256 on AVX2, 512 with
/// <c>DOTNET_PreferredVectorBitWidth=512</c> on AVX-512); every operation is lane-wise, so a lane's bits do not depend
/// on the width. Within 2 units in the last place of the exact value over the whole range, NaN, ±∞, subnormals and
/// -0 kept (<c>ActivationAccuracyTests</c> sweep every exponent).
/// <list type="bullet">
/// <item>e^x: Cody–Waite reduction x = n·ln 2 + r, |r| ≤ ln 2 / 2; e^r = 1 + (r + r²·P(r)) rounded once; 2^n through
/// the exponent bits. A vector with a lane beyond ±87 (float) or ±708 (double), where 2^n or the result leaves the
/// normal range, is clamped to where e^x is already 0 or ∞ and scaled by 2^n in two halves, so that results down to
/// the subnormals and up to the largest finite value round once.</item>
/// <item>σ(x) = 1 / (1 + e^-x) for x ≥ 0 and e^x / (1 + e^x) below, so that e^-|x| never overflows and tiny results
/// keep their digits. The rounding of d = 1 + s is taken back: with e = (1 + s) - d (exact), σ = q - q·e/d for
/// q = num/d, and 1/d is q itself (x ≥ 0) or 1 - q (x &lt; 0), accurate enough for a correction.</item>
/// <item>tanh(x): below |x| = 0.625 the odd expansion x + x³·P(x²) (Cephes'), where (1 - e^-2|x|) / (1 + e^-2|x|)
/// would cancel; above it that quotient with the roundings of its numerator and denominator taken back the same way
/// (1/d ≈ 1 - e + e²). Computed for |x|, given the sign of x at the end, so -0 stays -0.</item>
/// </list>
/// </summary>
internal static class Activations
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Exp<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float)
            ? SingleActivations.Exp(x.As<T, float>()).As<float, T>()
            : DoubleActivations.Exp(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Sigmoid<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float)
            ? SingleActivations.Sigmoid(x.As<T, float>()).As<float, T>()
            : DoubleActivations.Sigmoid(x.As<T, double>()).As<double, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Tanh<T>(Vector<T> x) where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float)
            ? SingleActivations.Tanh(x.As<T, float>()).As<float, T>()
            : DoubleActivations.Tanh(x.As<T, double>()).As<double, T>();

    /// <summary>a·b + c with one rounding.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Fma<T>(Vector<T> a, Vector<T> b, Vector<T> c) where T : unmanaged, IFloatingPointIeee754<T>
        => typeof(T) == typeof(float)
            ? Vector.FusedMultiplyAdd(a.As<T, float>(), b.As<T, float>(), c.As<T, float>()).As<float, T>()
            : Vector.FusedMultiplyAdd(a.As<T, double>(), b.As<T, double>(), c.As<T, double>()).As<double, T>();
}
