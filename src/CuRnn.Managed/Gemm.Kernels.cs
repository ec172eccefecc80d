using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CuRnn.Managed;

// The register-tile micro-kernels, one per vector width (as the runtime's own vector operators): c (+)= a · b over
// packed panels.
internal static partial class Gemm
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel<T>(int kc, ref T a, ref T b, ref T c, int ldc, bool overwrite) where T : unmanaged, INumber<T>
    {
        if (Uses512BitKernel) Kernel512(kc, ref a, ref b, ref c, ldc, overwrite);
        else if (Uses256BitKernel) Kernel256(kc, ref a, ref b, ref c, ldc, overwrite);
        else KernelPortable(kc, ref a, ref b, ref c, ldc, overwrite);
    }

    // 8 × (2 × 512-bit) register tile with fused multiply-adds: c[i, 0..nr) (+)= Σ_p a[p, i] · b[p, 0..nr).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel512<T>(int kc, ref T a, ref T b, ref T c, int ldc, bool overwrite) where T : unmanaged, INumber<T>
    {
        int vc = Vector512<T>.Count;
        Vector512<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<T> c40 = default, c41 = default, c50 = default, c51 = default, c60 = default, c61 = default, c70 = default, c71 = default;
        ref T bp = ref b;
        ref T ap = ref a;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadUnsafe(ref bp);
            var b1 = Vector512.LoadUnsafe(ref bp, (nuint)vc);
            var x = Vector512.Create(ap); c00 = FusedMultiplyAdd(x, b0, c00); c01 = FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(Unsafe.Add(ref ap, 1)); c10 = FusedMultiplyAdd(x, b0, c10); c11 = FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(Unsafe.Add(ref ap, 2)); c20 = FusedMultiplyAdd(x, b0, c20); c21 = FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(Unsafe.Add(ref ap, 3)); c30 = FusedMultiplyAdd(x, b0, c30); c31 = FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(Unsafe.Add(ref ap, 4)); c40 = FusedMultiplyAdd(x, b0, c40); c41 = FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(Unsafe.Add(ref ap, 5)); c50 = FusedMultiplyAdd(x, b0, c50); c51 = FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(Unsafe.Add(ref ap, 6)); c60 = FusedMultiplyAdd(x, b0, c60); c61 = FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(Unsafe.Add(ref ap, 7)); c70 = FusedMultiplyAdd(x, b0, c70); c71 = FusedMultiplyAdd(x, b1, c71);
            bp = ref Unsafe.Add(ref bp, 2 * vc);
            ap = ref Unsafe.Add(ref ap, 8);
        }
        Store512(ref c, 0, vc, c00, c01, overwrite);
        Store512(ref c, ldc, vc, c10, c11, overwrite);
        Store512(ref c, 2 * ldc, vc, c20, c21, overwrite);
        Store512(ref c, 3 * ldc, vc, c30, c31, overwrite);
        Store512(ref c, 4 * ldc, vc, c40, c41, overwrite);
        Store512(ref c, 5 * ldc, vc, c50, c51, overwrite);
        Store512(ref c, 6 * ldc, vc, c60, c61, overwrite);
        Store512(ref c, 7 * ldc, vc, c70, c71, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> FusedMultiplyAdd<T>(Vector512<T> x, Vector512<T> y, Vector512<T> acc) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) return Vector512.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), acc.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector512.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), acc.As<T, double>()).As<double, T>();
        return x * y + acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store512<T>(ref T c, int offset, int vc, Vector512<T> v0, Vector512<T> v1, bool overwrite) where T : unmanaged, INumber<T>
    {
        ref T row = ref Unsafe.Add(ref c, offset);
        if (!overwrite)
        {
            v0 += Vector512.LoadUnsafe(ref row);
            v1 += Vector512.LoadUnsafe(ref row, (nuint)vc);
        }
        v0.StoreUnsafe(ref row);
        v1.StoreUnsafe(ref row, (nuint)vc);
    }

    // 6 × (2 × 256-bit) register tile with fused multiply-adds: c[i, 0..nr) (+)= Σ_p a[p, i] · b[p, 0..nr).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel256<T>(int kc, ref T a, ref T b, ref T c, int ldc, bool overwrite) where T : unmanaged, INumber<T>
    {
        int vc = Vector256<T>.Count;
        Vector256<T> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<T> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        ref T bp = ref b;
        ref T ap = ref a;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadUnsafe(ref bp);
            var b1 = Vector256.LoadUnsafe(ref bp, (nuint)vc);
            var x = Vector256.Create(ap); c00 = FusedMultiplyAdd(x, b0, c00); c01 = FusedMultiplyAdd(x, b1, c01);
            x = Vector256.Create(Unsafe.Add(ref ap, 1)); c10 = FusedMultiplyAdd(x, b0, c10); c11 = FusedMultiplyAdd(x, b1, c11);
            x = Vector256.Create(Unsafe.Add(ref ap, 2)); c20 = FusedMultiplyAdd(x, b0, c20); c21 = FusedMultiplyAdd(x, b1, c21);
            x = Vector256.Create(Unsafe.Add(ref ap, 3)); c30 = FusedMultiplyAdd(x, b0, c30); c31 = FusedMultiplyAdd(x, b1, c31);
            x = Vector256.Create(Unsafe.Add(ref ap, 4)); c40 = FusedMultiplyAdd(x, b0, c40); c41 = FusedMultiplyAdd(x, b1, c41);
            x = Vector256.Create(Unsafe.Add(ref ap, 5)); c50 = FusedMultiplyAdd(x, b0, c50); c51 = FusedMultiplyAdd(x, b1, c51);
            bp = ref Unsafe.Add(ref bp, 2 * vc);
            ap = ref Unsafe.Add(ref ap, 6);
        }
        Store256(ref c, 0, vc, c00, c01, overwrite);
        Store256(ref c, ldc, vc, c10, c11, overwrite);
        Store256(ref c, 2 * ldc, vc, c20, c21, overwrite);
        Store256(ref c, 3 * ldc, vc, c30, c31, overwrite);
        Store256(ref c, 4 * ldc, vc, c40, c41, overwrite);
        Store256(ref c, 5 * ldc, vc, c50, c51, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> FusedMultiplyAdd<T>(Vector256<T> x, Vector256<T> y, Vector256<T> acc) where T : unmanaged, INumber<T>
    {
        if (typeof(T) == typeof(float)) return Vector256.FusedMultiplyAdd(x.As<T, float>(), y.As<T, float>(), acc.As<T, float>()).As<float, T>();
        if (typeof(T) == typeof(double)) return Vector256.FusedMultiplyAdd(x.As<T, double>(), y.As<T, double>(), acc.As<T, double>()).As<double, T>();
        return x * y + acc;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store256<T>(ref T c, int offset, int vc, Vector256<T> v0, Vector256<T> v1, bool overwrite) where T : unmanaged, INumber<T>
    {
        ref T row = ref Unsafe.Add(ref c, offset);
        if (!overwrite)
        {
            v0 += Vector256.LoadUnsafe(ref row);
            v1 += Vector256.LoadUnsafe(ref row, (nuint)vc);
        }
        v0.StoreUnsafe(ref row);
        v1.StoreUnsafe(ref row, (nuint)vc);
    }

    // Portable 4 × (2 × Vector<T>) register tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void KernelPortable<T>(int kc, ref T a, ref T b, ref T c, int ldc, bool overwrite) where T : unmanaged, INumber<T>
    {
        int vc = Vector<T>.Count;
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<T> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector.LoadUnsafe(ref b, (nuint)(p * 2 * vc));
            var b1 = Vector.LoadUnsafe(ref b, (nuint)(p * 2 * vc + vc));
            ref T ap = ref Unsafe.Add(ref a, p * 4);
            var a0 = new Vector<T>(ap);
            c00 += a0 * b0; c01 += a0 * b1;
            var a1 = new Vector<T>(Unsafe.Add(ref ap, 1));
            c10 += a1 * b0; c11 += a1 * b1;
            var a2 = new Vector<T>(Unsafe.Add(ref ap, 2));
            c20 += a2 * b0; c21 += a2 * b1;
            var a3 = new Vector<T>(Unsafe.Add(ref ap, 3));
            c30 += a3 * b0; c31 += a3 * b1;
        }
        Store(ref c, 0, vc, c00, c01, overwrite);
        Store(ref c, ldc, vc, c10, c11, overwrite);
        Store(ref c, 2 * ldc, vc, c20, c21, overwrite);
        Store(ref c, 3 * ldc, vc, c30, c31, overwrite);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store<T>(ref T c, int offset, int vc, Vector<T> v0, Vector<T> v1, bool overwrite)
        where T : unmanaged, INumber<T>
    {
        ref T row = ref Unsafe.Add(ref c, offset);
        if (!overwrite)
        {
            v0 += Vector.LoadUnsafe(ref row);
            v1 += Vector.LoadUnsafe(ref row, (nuint)vc);
        }
        v0.StoreUnsafe(ref row);
        v1.StoreUnsafe(ref row, (nuint)vc);
    }
}
