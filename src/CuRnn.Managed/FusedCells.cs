using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CuRnn.Managed;

/// <summary>
/// The LSTM and GRU cells of one row in a single pass over 512-bit vectors: every gate, the cell state and the
/// output in registers, where the element-wise library calls take seven passes (and seven calls, which dominate
/// at small H). The activations use the same formulas as <see cref="TensorPrimitives"/> (σ(x) = 1 / (1 + e^-x),
/// tanh(x) = sign(x)·(1 - e^-2|x|) / (1 + e^-2|x|)); float vectors take e^x from <see cref="SingleExp512"/> (within
/// a few units in the last place of the library's), double vectors from <see cref="Vector512.Exp(Vector512{double})"/>.
/// Columns past the last whole vector, other element types and CPUs without 512-bit vectors take the library calls.
/// </summary>
internal static class FusedCells
{
    /// <summary>LSTM, gates i, f, g, o in <paramref name="row"/> [4H] (pre-activation in, activated out); c [H] updated in
    /// place; h = o ⊙ tanh(c) written to <paramref name="hOut"/> [H]; <paramref name="tanhTemp"/> [H] scratch for the tail.</summary>
    public static void Lstm<T>(Span<T> row, Span<T> c, Span<T> hOut, Span<T> tanhTemp, int h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int done = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            if (typeof(T) == typeof(float)) done = LstmVector(Cast<T, float>(row), Cast<T, float>(c), Cast<T, float>(hOut), h);
            else if (typeof(T) == typeof(double)) done = LstmVector(Cast<T, double>(row), Cast<T, double>(c), Cast<T, double>(hOut), h);
        }
        if (done == h) return;
        int n = h - done;
        Span<T> i = row.Slice(done, n), f = row.Slice(h + done, n), g = row.Slice(2 * h + done, n), o = row.Slice(3 * h + done, n);
        Span<T> cRest = c[done..h], t = tanhTemp[..n];
        TensorPrimitives.Sigmoid(i, i);
        TensorPrimitives.Sigmoid(f, f);
        TensorPrimitives.Tanh(g, g);
        TensorPrimitives.Sigmoid(o, o);
        TensorPrimitives.Multiply(f, cRest, cRest);
        TensorPrimitives.FusedMultiplyAdd(i, g, cRest, cRest);
        TensorPrimitives.Tanh(cRest, t);
        TensorPrimitives.Multiply(o, t, hOut[done..h]);
    }

    /// <summary>GRU, gates r, z, n in <paramref name="row"/> [3H] (input part, pre-activation in, activated out) with
    /// the recurrent part <paramref name="recurrent"/> [3H] (<c>W_h· h + b_h</c>); h [H] replaced by
    /// n + z ⊙ (h - n); <paramref name="temp"/> [H] scratch for the tail.</summary>
    public static void Gru<T>(Span<T> row, ReadOnlySpan<T> recurrent, Span<T> hState, Span<T> temp, int h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int done = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            if (typeof(T) == typeof(float)) done = GruVector(Cast<T, float>(row), CastRead<T, float>(recurrent), Cast<T, float>(hState), h);
            else if (typeof(T) == typeof(double)) done = GruVector(Cast<T, double>(row), CastRead<T, double>(recurrent), Cast<T, double>(hState), h);
        }
        if (done == h) return;
        int n = h - done;
        Span<T> r = row.Slice(done, n), z = row.Slice(h + done, n), nn = row.Slice(2 * h + done, n);
        TensorPrimitives.Add(r, recurrent.Slice(done, n), r);
        TensorPrimitives.Add(z, recurrent.Slice(h + done, n), z);
        TensorPrimitives.Sigmoid(r, r);
        TensorPrimitives.Sigmoid(z, z);
        TensorPrimitives.FusedMultiplyAdd(r, recurrent.Slice(2 * h + done, n), nn, nn);
        TensorPrimitives.Tanh(nn, nn);
        Span<T> hRest = hState[done..h], t = temp[..n];
        TensorPrimitives.Subtract(hRest, nn, t);
        TensorPrimitives.FusedMultiplyAdd(z, t, nn, hRest);
    }

    // Whole vectors of columns; returns how many columns were done.
    private static int LstmVector<V>(Span<V> row, Span<V> c, Span<V> hOut, int h) where V : unmanaged, IFloatingPointIeee754<V>
    {
        int vc = Vector512<V>.Count, j = 0;
        ref V r = ref MemoryMarshal.GetReference(row);
        ref V cr = ref MemoryMarshal.GetReference(c);
        ref V hr = ref MemoryMarshal.GetReference(hOut);
        for (; j <= h - vc; j += vc)
        {
            var i = Sigmoid(Vector512.LoadUnsafe(ref r, (nuint)j));
            var f = Sigmoid(Vector512.LoadUnsafe(ref r, (nuint)(h + j)));
            var g = Tanh(Vector512.LoadUnsafe(ref r, (nuint)(2 * h + j)));
            var o = Sigmoid(Vector512.LoadUnsafe(ref r, (nuint)(3 * h + j)));
            var cNew = Fma(i, g, f * Vector512.LoadUnsafe(ref cr, (nuint)j));
            i.StoreUnsafe(ref r, (nuint)j);
            f.StoreUnsafe(ref r, (nuint)(h + j));
            g.StoreUnsafe(ref r, (nuint)(2 * h + j));
            o.StoreUnsafe(ref r, (nuint)(3 * h + j));
            cNew.StoreUnsafe(ref cr, (nuint)j);
            (o * Tanh(cNew)).StoreUnsafe(ref hr, (nuint)j);
        }
        return j;
    }

    private static int GruVector<V>(Span<V> row, ReadOnlySpan<V> recurrent, Span<V> hState, int h) where V : unmanaged, IFloatingPointIeee754<V>
    {
        int vc = Vector512<V>.Count, j = 0;
        ref V x = ref MemoryMarshal.GetReference(row);
        ref V rec = ref MemoryMarshal.GetReference(recurrent);
        ref V hs = ref MemoryMarshal.GetReference(hState);
        for (; j <= h - vc; j += vc)
        {
            var r = Sigmoid(Vector512.LoadUnsafe(ref x, (nuint)j) + Vector512.LoadUnsafe(ref rec, (nuint)j));
            var z = Sigmoid(Vector512.LoadUnsafe(ref x, (nuint)(h + j)) + Vector512.LoadUnsafe(ref rec, (nuint)(h + j)));
            var n = Tanh(Fma(r, Vector512.LoadUnsafe(ref rec, (nuint)(2 * h + j)), Vector512.LoadUnsafe(ref x, (nuint)(2 * h + j))));
            r.StoreUnsafe(ref x, (nuint)j);
            z.StoreUnsafe(ref x, (nuint)(h + j));
            n.StoreUnsafe(ref x, (nuint)(2 * h + j));
            Fma(z, Vector512.LoadUnsafe(ref hs, (nuint)j) - n, n).StoreUnsafe(ref hs, (nuint)j);
        }
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<V> Sigmoid<V>(Vector512<V> x) where V : unmanaged, IFloatingPointIeee754<V>
        => Vector512<V>.One / (Vector512<V>.One + Exp(-x));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<V> Tanh<V>(Vector512<V> x) where V : unmanaged, IFloatingPointIeee754<V>
    {
        var z = Exp(Vector512.Create(-V.CreateTruncating(2)) * Vector512.Abs(x)) - Vector512<V>.One;
        var sign = x & Vector512.Create(V.NegativeZero);
        return sign ^ (-z / (z + Vector512.Create(V.CreateTruncating(2))));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<V> Exp<V>(Vector512<V> x) where V : unmanaged, IFloatingPointIeee754<V>
    {
        if (typeof(V) == typeof(float)) return SingleExp512.Exp(x.As<V, float>()).As<float, V>();
        return Vector512.Exp(x.As<V, double>()).As<double, V>();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<V> Fma<V>(Vector512<V> a, Vector512<V> b, Vector512<V> addend) where V : unmanaged, IFloatingPointIeee754<V>
    {
        if (typeof(V) == typeof(float)) return Vector512.FusedMultiplyAdd(a.As<V, float>(), b.As<V, float>(), addend.As<V, float>()).As<float, V>();
        return Vector512.FusedMultiplyAdd(a.As<V, double>(), b.As<V, double>(), addend.As<V, double>()).As<double, V>();
    }

    private static Span<TTo> Cast<TFrom, TTo>(Span<TFrom> s) where TFrom : unmanaged where TTo : unmanaged
        => MemoryMarshal.CreateSpan(ref Unsafe.As<TFrom, TTo>(ref MemoryMarshal.GetReference(s)), s.Length);

    private static ReadOnlySpan<TTo> CastRead<TFrom, TTo>(ReadOnlySpan<TFrom> s) where TFrom : unmanaged where TTo : unmanaged
        => MemoryMarshal.CreateReadOnlySpan(ref Unsafe.As<TFrom, TTo>(ref MemoryMarshal.GetReference(s)), s.Length);
}
