using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace CuRnn.Managed;

/// <summary>Whether a GEMM operand is read as stored or transposed.</summary>
public enum Transpose
{
    /// <summary>Read the matrix as stored (row-major).</summary>
    No,
    /// <summary>Read the transpose of the stored (row-major) matrix.</summary>
    Yes,
}

/// <summary>
/// Blocked, packed, SIMD matrix product on row-major spans:
/// <c>C[m, n] = (accumulate ? C : 0) + op(A)[m, k] · op(B)[k, n]</c>.
/// </summary>
/// <remarks>
/// Panels of A (<see cref="MR"/> rows) and B (<c>NR</c> columns) are packed into thread-local scratch
/// so the micro-kernel reads both contiguously whatever the transposition; partial tiles are padded
/// with zeros in the panels and written back through a small tile buffer. Large products split their
/// columns over two workers. Scratch is allocated once per thread and element type.
/// </remarks>
public static class Gemm
{
    private const int MR = 4;
    private const int KC = 256;
    private const int MC = 64;
    private const int NC = 512;
    private const long ParallelThreshold = 1L << 22;

    /// <summary>Computes <c>C = (accumulate ? C : 0) + op(A)·op(B)</c>.</summary>
    /// <param name="transA">Whether A is read transposed.</param>
    /// <param name="transB">Whether B is read transposed.</param>
    /// <param name="m">Rows of op(A) and C.</param>
    /// <param name="n">Columns of op(B) and C.</param>
    /// <param name="k">Columns of op(A), rows of op(B).</param>
    /// <param name="a">A, row-major with leading dimension <paramref name="lda"/>.</param>
    /// <param name="lda">Distance between rows of A as stored.</param>
    /// <param name="b">B, row-major with leading dimension <paramref name="ldb"/>.</param>
    /// <param name="ldb">Distance between rows of B as stored.</param>
    /// <param name="c">C, row-major with leading dimension <paramref name="ldc"/>.</param>
    /// <param name="ldc">Distance between rows of C.</param>
    /// <param name="accumulate">Add into C instead of overwriting it.</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or a span is too short.</exception>
    public static void Multiply<T>(Transpose transA, Transpose transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        CheckOperand(nameof(a), a.Length, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda);
        CheckOperand(nameof(b), b.Length, transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, ldb);
        CheckOperand(nameof(c), c.Length, m, n, ldc);
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }

        long work = (long)m * n * k;
        int nr = NR<T>();
        if (work >= ParallelThreshold && n >= 2 * nr && GemmWorker<T>.Available)
        {
            // Two column halves, each a full blocked product; the right half goes to the persistent worker.
            int half = (n / 2 + nr - 1) / nr * nr;
            var bRight = transB == Transpose.No ? b[half..] : b[(half * ldb)..];
            unsafe
            {
                fixed (T* pa = a, pb = bRight, pc = c)
                {
                    if (GemmWorker<T>.TryStart(transA, transB, m, n - half, k, pa, a.Length, lda, pb, bRight.Length, ldb, pc + half, c.Length - half, ldc, accumulate))
                    {
                        try { Blocked(transA, transB, m, half, k, a, lda, b, ldb, c, ldc, accumulate); }
                        finally { GemmWorker<T>.Wait(); }
                        return;
                    }
                }
            }
        }
        Blocked(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate);
    }

    private static int NR<T>() where T : unmanaged => 2 * Vector<T>.Count;

    /// <summary>
    /// One persistent background thread per element type that takes the right half of large products, so the
    /// two cores share a GEMM without a task (or any allocation) per call. A caller that finds it busy (another
    /// thread's product) simply computes the whole product itself.
    /// </summary>
    private static unsafe class GemmWorker<T> where T : unmanaged, INumber<T>
    {
        private static readonly SemaphoreSlim s_start = new(0), s_done = new(0);
        private static int s_busy;
        private static Transpose s_ta, s_tb;
        private static int s_m, s_n, s_k, s_lda, s_ldb, s_ldc, s_aLength, s_bLength, s_cLength;
        private static T* s_a, s_b, s_c;
        private static bool s_accumulate;
        private static Exception? s_error;

        public static bool Available { get; } = Environment.ProcessorCount >= 2 && Start();

        private static bool Start()
        {
            var thread = new Thread(Loop) { IsBackground = true, Name = $"CuRnn GEMM worker ({typeof(T).Name})" };
            thread.Start();
            return true;
        }

        public static bool TryStart(Transpose ta, Transpose tb, int m, int n, int k, T* a, int aLength, int lda, T* b, int bLength, int ldb,
            T* c, int cLength, int ldc, bool accumulate)
        {
            if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0) return false;
            s_ta = ta; s_tb = tb; s_m = m; s_n = n; s_k = k; s_accumulate = accumulate;
            s_a = a; s_aLength = aLength; s_lda = lda;
            s_b = b; s_bLength = bLength; s_ldb = ldb;
            s_c = c; s_cLength = cLength; s_ldc = ldc;
            s_error = null;
            s_start.Release();
            return true;
        }

        public static void Wait()
        {
            s_done.Wait();
            var error = s_error;
            Volatile.Write(ref s_busy, 0);
            if (error is not null) throw new InvalidOperationException("The GEMM worker failed.", error);
        }

        private static void Loop()
        {
            while (true)
            {
                s_start.Wait();
                try
                {
                    Blocked(s_ta, s_tb, s_m, s_n, s_k, new ReadOnlySpan<T>(s_a, s_aLength), s_lda, new ReadOnlySpan<T>(s_b, s_bLength), s_ldb,
                        new Span<T>(s_c, s_cLength), s_ldc, s_accumulate);
                }
                catch (Exception e) { s_error = e; }
                s_done.Release();
            }
        }
    }

    private static void CheckOperand(string name, int length, int rows, int cols, int ld)
    {
        if (rows < 0 || cols < 0) throw new ArgumentOutOfRangeException(name, $"Dimensions must be non-negative (rows {rows}, columns {cols}).");
        if (rows == 0 || cols == 0) return;
        if (ld < cols) throw new ArgumentOutOfRangeException(name, $"Leading dimension {ld} is smaller than the {cols} columns.");
        long need = (long)(rows - 1) * ld + cols;
        if (length < need) throw new ArgumentOutOfRangeException(name, $"Operand needs {need} elements for {rows}x{cols} (ld {ld}) but has {length}.");
    }

    private static void Blocked<T>(Transpose ta, Transpose tb, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        int nr = NR<T>();
        var scratch = GemmScratch<T>.Get(nr);
        Span<T> packA = scratch.PackA, packB = scratch.PackB, tile = scratch.Tile;

        for (int jc = 0; jc < n; jc += NC)
        {
            int nc = Math.Min(NC, n - jc);
            int nPanels = (nc + nr - 1) / nr;
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                bool first = pc == 0 && !accumulate;
                PackB(tb, b, ldb, pc, jc, kc, nc, nr, packB);
                for (int ic = 0; ic < m; ic += MC)
                {
                    int mc = Math.Min(MC, m - ic);
                    PackA(ta, a, lda, ic, pc, mc, kc, packA);
                    for (int jp = 0; jp < nPanels; jp++)
                    {
                        int j = jc + jp * nr;
                        int nw = Math.Min(nr, n - j);
                        ref T bPanel = ref MemoryMarshal.GetReference(packB.Slice(jp * kc * nr));
                        for (int ip = 0; ip * MR < mc; ip++)
                        {
                            int i = ic + ip * MR;
                            int mw = Math.Min(MR, m - i);
                            ref T aPanel = ref MemoryMarshal.GetReference(packA.Slice(ip * kc * MR));
                            if (mw == MR && nw == nr)
                                Kernel(kc, ref aPanel, ref bPanel, ref c[i * ldc + j], ldc, first);
                            else
                            {
                                Kernel(kc, ref aPanel, ref bPanel, ref MemoryMarshal.GetReference(tile), nr, overwrite: true);
                                for (int ii = 0; ii < mw; ii++)
                                {
                                    var dst = c.Slice((i + ii) * ldc + j, nw);
                                    var src = tile.Slice(ii * nr, nw);
                                    if (first) src.CopyTo(dst);
                                    else for (int jj = 0; jj < nw; jj++) dst[jj] += src[jj];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    // packB layout: panel jp, then p (0..kc), then jj (0..nr); columns past n are zero.
    private static void PackB<T>(Transpose tb, ReadOnlySpan<T> b, int ldb, int pc, int jc, int kc, int nc, int nr, Span<T> packB)
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

    // packA layout: panel ip, then p (0..kc), then ii (0..MR); rows past m are zero.
    private static void PackA<T>(Transpose ta, ReadOnlySpan<T> a, int lda, int ic, int pc, int mc, int kc, Span<T> packA)
        where T : unmanaged, INumber<T>
    {
        for (int ip = 0; ip * MR < mc; ip++)
        {
            var panel = packA.Slice(ip * kc * MR, kc * MR);
            int i0 = ic + ip * MR;
            int mw = Math.Min(MR, ic + mc - i0);
            if (mw < MR) panel.Clear();
            if (ta == Transpose.No)
            {
                for (int ii = 0; ii < mw; ii++)
                {
                    var src = a.Slice((i0 + ii) * lda + pc, kc);
                    for (int p = 0; p < kc; p++) panel[p * MR + ii] = src[p];
                }
            }
            else
            {
                for (int p = 0; p < kc; p++)
                    a.Slice((pc + p) * lda + i0, mw).CopyTo(panel.Slice(p * MR, mw));
            }
        }
    }

    // MR x (2 vectors) register tile: c[i, 0..nr) (+)= sum_p a[p, i] * b[p, 0..nr).
    [MethodImpl(MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<T>(int kc, ref T a, ref T b, ref T c, int ldc, bool overwrite)
        where T : unmanaged, INumber<T>
    {
        int vc = Vector<T>.Count;
        Vector<T> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector<T> c20 = default, c21 = default, c30 = default, c31 = default;
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector.LoadUnsafe(ref b, (nuint)(p * 2 * vc));
            var b1 = Vector.LoadUnsafe(ref b, (nuint)(p * 2 * vc + vc));
            ref T ap = ref Unsafe.Add(ref a, p * MR);
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

    private sealed class GemmScratch<T> where T : unmanaged
    {
        [ThreadStatic] private static GemmScratch<T>? t_current;
        public readonly T[] PackA = new T[MC * KC];
        public readonly T[] PackB;
        public readonly T[] Tile;
        private GemmScratch(int nr) { PackB = new T[(NC + nr) * KC]; Tile = new T[MR * nr]; }
        public static GemmScratch<T> Get(int nr) => t_current ??= new GemmScratch<T>(nr);
    }
}
