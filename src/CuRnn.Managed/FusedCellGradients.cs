using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace CuRnn.Managed;

/// <summary>
/// The backward step of the LSTM and GRU cells for one row: 512-bit vectors over whole vectors of columns, the same
/// expressions in scalar code for the rest (and for other element types and CPUs). Both evaluate every product in
/// the same order, without contraction into fused multiply-adds, so they give the same bits.
/// </summary>
internal static class FusedCellGradients
{
    /// <summary>
    /// LSTM: <paramref name="row"/> [4H] holds the activated gates i, f, g, o and is overwritten with the
    /// pre-activation gradients; <paramref name="dc"/> [H] holds dL/dc of the step and is replaced by dL/dc of the step
    /// before. <paramref name="c"/> and <paramref name="cPrev"/> are the cell state after and before the step,
    /// <paramref name="dh"/> dL/dh of the step, <paramref name="tanhC"/> [H] scratch.
    /// </summary>
    public static void Lstm<T>(Span<T> row, ReadOnlySpan<T> c, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> dh, Span<T> dc, Span<T> tanhC, int h)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Tanh(c[..h], tanhC);
        int j = 0;
        if (Vector512.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            ref T r = ref MemoryMarshal.GetReference(row);
            ref T cp = ref MemoryMarshal.GetReference(cPrev);
            ref T d = ref MemoryMarshal.GetReference(dh);
            ref T dcr = ref MemoryMarshal.GetReference(dc);
            ref T tcr = ref MemoryMarshal.GetReference(tanhC);
            var one = Vector512<T>.One;
            for (int vc = Vector512<T>.Count; j <= h - vc; j += vc)
            {
                nuint at = (nuint)j;
                var i = Vector512.LoadUnsafe(ref r, at);
                var f = Vector512.LoadUnsafe(ref r, at + (nuint)h);
                var gg = Vector512.LoadUnsafe(ref r, at + (nuint)(2 * h));
                var og = Vector512.LoadUnsafe(ref r, at + (nuint)(3 * h));
                var tc = Vector512.LoadUnsafe(ref tcr, at);
                var dhj = Vector512.LoadUnsafe(ref d, at);
                var dcj = Vector512.LoadUnsafe(ref dcr, at) + dhj * og * (one - tc * tc);
                (dcj * gg * i * (one - i)).StoreUnsafe(ref r, at);
                (dcj * Vector512.LoadUnsafe(ref cp, at) * f * (one - f)).StoreUnsafe(ref r, at + (nuint)h);
                (dcj * i * (one - gg * gg)).StoreUnsafe(ref r, at + (nuint)(2 * h));
                (dhj * tc * og * (one - og)).StoreUnsafe(ref r, at + (nuint)(3 * h));
                (dcj * f).StoreUnsafe(ref dcr, at);
            }
        }
        T o1 = T.One;
        for (; j < h; j++)
        {
            T i = row[j], f = row[h + j], gg = row[2 * h + j], og = row[3 * h + j], tc = tanhC[j];
            T dcj = dc[j] + dh[j] * og * (o1 - tc * tc);
            row[j] = dcj * gg * i * (o1 - i);
            row[h + j] = dcj * cPrev[j] * f * (o1 - f);
            row[2 * h + j] = dcj * i * (o1 - gg * gg);
            row[3 * h + j] = dh[j] * tc * og * (o1 - og);
            dc[j] = dcj * f;
        }
    }

    /// <summary>
    /// GRU: <paramref name="row"/> [3H] holds the activated gates r, z, n and is overwritten with the gradients of the
    /// input parts; <paramref name="dRecurrent"/> [3H] receives those of the recurrent parts (<c>W_h· h + b_h</c>), and
    /// <paramref name="dDirect"/> [H] the gradient reaching the step's h directly (dh ⊙ z). <paramref name="hPrev"/> is
    /// h before the step and <paramref name="recurrentN"/> the saved <c>W_hn h + b_hn</c>.
    /// </summary>
    public static void Gru<T>(Span<T> row, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> recurrentN, ReadOnlySpan<T> dh, Span<T> dRecurrent, Span<T> dDirect, int h)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int j = 0;
        if (Vector512.IsHardwareAccelerated && (typeof(T) == typeof(float) || typeof(T) == typeof(double)))
        {
            ref T x = ref MemoryMarshal.GetReference(row);
            ref T hp = ref MemoryMarshal.GetReference(hPrev);
            ref T ghn = ref MemoryMarshal.GetReference(recurrentN);
            ref T d = ref MemoryMarshal.GetReference(dh);
            ref T dr = ref MemoryMarshal.GetReference(dRecurrent);
            ref T dd = ref MemoryMarshal.GetReference(dDirect);
            var one = Vector512<T>.One;
            for (int vc = Vector512<T>.Count; j <= h - vc; j += vc)
            {
                nuint at = (nuint)j;
                var r = Vector512.LoadUnsafe(ref x, at);
                var z = Vector512.LoadUnsafe(ref x, at + (nuint)h);
                var n = Vector512.LoadUnsafe(ref x, at + (nuint)(2 * h));
                var dhj = Vector512.LoadUnsafe(ref d, at);
                var dn = dhj * (one - z) * (one - n * n);
                var dz = dhj * (Vector512.LoadUnsafe(ref hp, at) - n) * z * (one - z);
                var drr = dn * Vector512.LoadUnsafe(ref ghn, at) * r * (one - r);
                drr.StoreUnsafe(ref x, at);
                dz.StoreUnsafe(ref x, at + (nuint)h);
                dn.StoreUnsafe(ref x, at + (nuint)(2 * h));
                drr.StoreUnsafe(ref dr, at);
                dz.StoreUnsafe(ref dr, at + (nuint)h);
                (dn * r).StoreUnsafe(ref dr, at + (nuint)(2 * h));
                (dhj * z).StoreUnsafe(ref dd, at);
            }
        }
        T o1 = T.One;
        for (; j < h; j++)
        {
            T r = row[j], z = row[h + j], n = row[2 * h + j];
            T dn = dh[j] * (o1 - z) * (o1 - n * n);
            T dz = dh[j] * (hPrev[j] - n) * z * (o1 - z);
            T dr = dn * recurrentN[j] * r * (o1 - r);
            row[j] = dr; row[h + j] = dz; row[2 * h + j] = dn;
            dRecurrent[j] = dr; dRecurrent[h + j] = dz; dRecurrent[2 * h + j] = dn * r;
            dDirect[j] = dh[j] * z;
        }
    }
}
