using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace CuRnn.Managed;

// Packing of GEMM operands into the micro-kernel's panel layouts.
internal static partial class Gemm
{
    // packB layout: panel jp, then p (0..kc), then jj (0..nr); columns past the block are zero.
    internal static void PackB<T>(Transpose tb, ReadOnlySpan<T> b, int ldb, int pc, int jc, int kc, int nc, int nr, Span<T> packB)
        where T : unmanaged, INumber<T>
    {
        int nPanels = (nc + nr - 1) / nr;
        for (int jp = 0; jp < nPanels; jp++)
        {
            var panel = packB.Slice(jp * kc * nr, kc * nr);
            int j0 = jc + jp * nr;
            int nw = Math.Min(nr, jc + nc - j0);
            if (nw < nr) panel.Clear();
            if (tb == Transpose.No)
            {
                for (int p = 0; p < kc; p++)
                    b.Slice((pc + p) * ldb + j0, nw).CopyTo(panel.Slice(p * nr, nw));
            }
            else
            {
                for (int jj = 0; jj < nw; jj++)
                {
                    var src = b.Slice((j0 + jj) * ldb + pc, kc);
                    for (int p = 0; p < kc; p++) panel[p * nr + jj] = src[p];
                }
            }
        }
    }

    // packA layout: panel ip, then p (0..kc), then ii (0..mr); rows past m are zero.
    internal static void PackA<T>(Transpose ta, ReadOnlySpan<T> a, int lda, int ic, int pc, int mc, int kc, int mr, Span<T> packA)
        where T : unmanaged, INumber<T>
    {
        for (int ip = 0; ip * mr < mc; ip++)
        {
            var panel = packA.Slice(ip * kc * mr, kc * mr);
            int i0 = ic + ip * mr;
            int mw = Math.Min(mr, ic + mc - i0);
            if (mw < mr) panel.Clear();
            if (ta == Transpose.No)
            {
                if (typeof(T) == typeof(float) && mw == 8 && mr == 8 && Avx.IsSupported)
                {
                    PackRows8(ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(a.Slice(i0 * lda + pc))), lda, kc,
                        ref Unsafe.As<T, float>(ref MemoryMarshal.GetReference(panel)));
                    continue;
                }
                for (int ii = 0; ii < mw; ii++)
                {
                    var src = a.Slice((i0 + ii) * lda + pc, kc);
                    for (int p = 0; p < kc; p++) panel[p * mr + ii] = src[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                    a.Slice((pc + p) * lda + i0, mw).CopyTo(panel.Slice(p * mr, mw));
            }
        }
    }

    // Eight rows of a row-major float matrix (leading dimension lda), kc columns from `src`, written as kc groups of
    // eight (column p of every row together): 8 × 8 blocks transposed in registers, the remaining columns one by one.
    private static void PackRows8(ref float src, int lda, int kc, ref float dst)
    {
        int p = 0;
        for (; p + 8 <= kc; p += 8)
        {
            ref float s = ref Unsafe.Add(ref src, p);
            var r0 = Vector256.LoadUnsafe(ref s);
            var r1 = Vector256.LoadUnsafe(ref s, (nuint)lda);
            var r2 = Vector256.LoadUnsafe(ref s, (nuint)(2 * lda));
            var r3 = Vector256.LoadUnsafe(ref s, (nuint)(3 * lda));
            var r4 = Vector256.LoadUnsafe(ref s, (nuint)(4 * lda));
            var r5 = Vector256.LoadUnsafe(ref s, (nuint)(5 * lda));
            var r6 = Vector256.LoadUnsafe(ref s, (nuint)(6 * lda));
            var r7 = Vector256.LoadUnsafe(ref s, (nuint)(7 * lda));
            // Interleave pairs of rows, then pairs of pairs, then the 128-bit halves: column q of the block ends in tq.
            var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
            var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
            var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
            var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
            var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
            var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
            var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
            var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
            ref float d = ref Unsafe.Add(ref dst, p * 8);
            Avx.Permute2x128(u0, u4, 0x20).StoreUnsafe(ref d);
            Avx.Permute2x128(u1, u5, 0x20).StoreUnsafe(ref d, 8);
            Avx.Permute2x128(u2, u6, 0x20).StoreUnsafe(ref d, 16);
            Avx.Permute2x128(u3, u7, 0x20).StoreUnsafe(ref d, 24);
            Avx.Permute2x128(u0, u4, 0x31).StoreUnsafe(ref d, 32);
            Avx.Permute2x128(u1, u5, 0x31).StoreUnsafe(ref d, 40);
            Avx.Permute2x128(u2, u6, 0x31).StoreUnsafe(ref d, 48);
            Avx.Permute2x128(u3, u7, 0x31).StoreUnsafe(ref d, 56);
        }
        for (; p < kc; p++)
            for (int ii = 0; ii < 8; ii++)
                Unsafe.Add(ref dst, p * 8 + ii) = Unsafe.Add(ref src, ii * lda + p);
    }
}
