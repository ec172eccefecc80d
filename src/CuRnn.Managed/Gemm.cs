using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
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
/// with zeros in the panels and written back through a small tile buffer. Large products share their
/// rows (tall ones) or columns with the <see cref="HelperThread"/>. Scratch is allocated once per thread
/// and element type.
/// </remarks>
public static partial class Gemm
{
    private const int KC = 256;
    private const int MC = 64;
    // Rows per block of A against a packed B. Two threads each running products of 32-64 rows with blocks of 64 rows
    // reached 1.3-1.6x one thread's rate on this 2-core machine; with blocks of 16 rows, 1.9x (same rate on one).
    private const int PackedRowBlock = 16;
    private const int NC = 512;
    private const long ParallelThreshold = 1L << 22;

    /// <summary>Whether the 512-bit FMA micro-kernel runs (chosen once at start); else the portable <see cref="Vector{T}"/> one.</summary>
    public static bool Uses512BitKernel { get; } = Vector512.IsHardwareAccelerated && Fma.IsSupported;

    // Register tile: MR rows × NR columns (two vectors). 8 × 2 zmm = 16 accumulators with AVX-512.
    private static readonly int MR = Uses512BitKernel ? 8 : 4;

    /// <summary>Columns of one packed panel of B for <typeparamref name="T"/>.</summary>
    public static int PanelWidth<T>() where T : unmanaged => Uses512BitKernel ? 2 * Vector512<T>.Count : 2 * Vector<T>.Count;

    /// <summary>
    /// Threads a product may use on the calling thread: 1 keeps it on the caller, 2 (default) lets large products
    /// share the <see cref="HelperThread"/>. Set by the engine for the duration of a call.
    /// </summary>
    [ThreadStatic] private static int t_threadLimit;

    /// <summary>Sets the calling thread's thread limit (1 or 2; 0 restores the default of 2) and returns the previous one.</summary>
    public static int SetThreadLimit(int threads)
    {
        int old = t_threadLimit;
        t_threadLimit = threads;
        return old;
    }

    /// <summary>Whether work on the calling thread may be shared with the <see cref="HelperThread"/>.</summary>
    internal static bool MayUseHelper => t_threadLimit != 1;

    /// <summary>Rows of the micro-kernel's register tile: row ranges cut at multiples of it waste no tile rows.</summary>
    internal static int RowTile => MR;

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
        unsafe
        {
            fixed (T* pb = b) Run(transA, m, n, k, a, lda, new BSource<T>(transB, pb, b.Length, ldb, null), c, ldc, accumulate);
        }
    }

    /// <summary>Computes <c>C = (accumulate ? C : 0) + op(A)·B</c> with B packed beforehand (weights packed once per version).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension or span does not match the packed B.</exception>
    public static void Multiply<T>(Transpose transA, int m, ReadOnlySpan<T> a, int lda, PackedMatrix<T> b, Span<T> c, int ldc, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(b);
        CheckOperand(nameof(a), a.Length, transA == Transpose.No ? m : b.Rows, transA == Transpose.No ? b.Rows : m, lda);
        CheckOperand(nameof(c), c.Length, m, b.Columns, ldc);
        unsafe { Run(transA, m, b.Columns, b.Rows, a, lda, new BSource<T>(Transpose.No, null, 0, 0, b), c, ldc, accumulate); }
    }

    private static unsafe void Run<T>(Transpose transA, int m, int n, int k, ReadOnlySpan<T> a, int lda, BSource<T> b, Span<T> c, int ldc, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        long work = (long)m * n * k;
        int nr = PanelWidth<T>();
        fixed (T* pa = a, pc = c)
        {
            var job = new Job<T>(transA, m, k, pa, a.Length, lda, b, pc, c.Length, ldc, accumulate);
            if (MayUseHelper && work >= ParallelThreshold)
            {
                // Two halves, each a full blocked product; the second goes to the helper thread. A tall product splits
                // its rows (both threads read the same packed panels, or each packs all of B: still faster than
                // splitting columns, where each packs only half of B but all of A); any other splits its columns.
                if (m >= 2 * MC)
                {
                    int rows = (m / 2 + MR - 1) / MR * MR;
                    if (RunShared(job.Rows(0, rows), 0, n, job.Rows(rows, m), 0, n)) return;
                }
                else if (n >= 2 * nr)
                {
                    int half = (n / 2 + nr - 1) / nr * nr;
                    if (RunShared(job, 0, half, job, half, n)) return;
                }
            }
            Blocked(job, 0, n);
        }
    }

    // Columns [from, to) of `mine` here and [helperFrom, helperTo) of `theirs` on the helper; false (nothing done) when
    // the helper is busy.
    private static unsafe bool RunShared<T>(in Job<T> mine, int from, int to, in Job<T> theirs, int helperFrom, int helperTo)
        where T : unmanaged, INumber<T>
    {
        var share = new HelperShare<T>(theirs, helperFrom, helperTo);
        if (!HelperThread.TryStart(&HelperShare<T>.Run, Unsafe.AsPointer(ref share))) return false;
        try { Blocked(mine, from, to); }
        finally { HelperThread.Wait(); }
        return true;
    }

    /// <summary>Where B comes from: a row-major operand read as stored or transposed, or a packed matrix.</summary>
    private readonly unsafe struct BSource<T>(Transpose trans, T* pointer, int length, int ld, PackedMatrix<T>? packed) where T : unmanaged, INumber<T>
    {
        public readonly Transpose Trans = trans;
        public readonly T* Pointer = pointer;
        public readonly int Length = length;
        public readonly int Ld = ld;
        public readonly PackedMatrix<T>? Packed = packed;
        public ReadOnlySpan<T> Span => new(Pointer, Length);
    }

    /// <summary>One product, by pointers, so the helper thread can take part of it.</summary>
    private readonly unsafe struct Job<T>(Transpose ta, int m, int k, T* a, int aLength, int lda, BSource<T> b, T* c, int cLength, int ldc, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        public readonly Transpose TransA = ta;
        public readonly int M = m, K = k, Lda = lda, Ldc = ldc, ALength = aLength, CLength = cLength;
        public readonly T* A = a, C = c;
        public readonly BSource<T> B = b;
        public readonly bool Accumulate = accumulate;
        public ReadOnlySpan<T> ASpan => new(A, ALength);
        public Span<T> CSpan => new(C, CLength);

        /// <summary>The same product restricted to rows [from, to) of op(A) and C.</summary>
        public Job<T> Rows(int from, int to)
        {
            int aOffset = TransA == Transpose.No ? from * Lda : from, cOffset = from * Ldc;
            return new Job<T>(TransA, to - from, K, A + aOffset, ALength - aOffset, Lda, B, C + cOffset, CLength - cOffset, Ldc, Accumulate);
        }
    }

    /// <summary>The helper's share of a product: columns [From, To) of a job.</summary>
    private unsafe struct HelperShare<T>(Job<T> job, int from, int to) where T : unmanaged, INumber<T>
    {
        public readonly Job<T> Job = job;
        public readonly int From = from, To = to;

        public static void Run(void* state)
        {
            ref HelperShare<T> share = ref Unsafe.AsRef<HelperShare<T>>(state);
            Blocked(share.Job, share.From, share.To);
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

    // Columns [from, to) of C (from a multiple of NR). Blocks of NC columns never straddle an NC boundary, so a
    // packed B's blocks line up with the loop's.
    private static void Blocked<T>(in Job<T> job, int from, int to) where T : unmanaged, INumber<T>
    {
        int nr = PanelWidth<T>(), mr = MR, m = job.M, k = job.K, ldc = job.Ldc;
        var scratch = GemmScratch<T>.Get(nr);
        Span<T> packA = scratch.PackA, packBScratch = scratch.PackB, tile = scratch.Tile;
        ReadOnlySpan<T> a = job.ASpan;
        Span<T> c = job.CSpan;
        var packed = job.B.Packed;
        if (packed is not null)
        {
            BlockedPackedB(job, packed, from, to, scratch);
            return;
        }

        for (int jc = from; jc < to;)
        {
            int nc = Math.Min(NC - jc % NC, to - jc);
            int nPanels = (nc + nr - 1) / nr;
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                bool first = pc == 0 && !job.Accumulate;
                PackB(job.B.Trans, job.B.Span, job.B.Ld, pc, jc, kc, nc, nr, packBScratch);
                for (int ic = 0; ic < m; ic += MC)
                {
                    int mc = Math.Min(MC, m - ic);
                    PackA(job.TransA, a, job.Lda, ic, pc, mc, kc, mr, packA);
                    PanelProducts(c, ldc, m, ic, mc, jc, nPanels, to, kc, packA, packBScratch, tile, first);
                }
            }
            jc += nc;
        }
    }

    // With B packed once, each block of A is packed once for all columns (the loop over column blocks runs inside the
    // row block), instead of once per column block. Each C tile still sums its depth blocks in the same order, so the
    // result is the same bits as the other loop order.
    private static void BlockedPackedB<T>(in Job<T> job, PackedMatrix<T> packed, int from, int to, GemmScratch<T> scratch)
        where T : unmanaged, INumber<T>
    {
        int nr = PanelWidth<T>(), m = job.M, k = job.K, ldc = job.Ldc, depth = packed.DepthBlock;
        Span<T> packA = scratch.PackA, tile = scratch.Tile;
        ReadOnlySpan<T> a = job.ASpan;
        Span<T> c = job.CSpan;
        for (int pc = 0; pc < k; pc += depth)
        {
            int kc = Math.Min(depth, k - pc);
            bool first = pc == 0 && !job.Accumulate;
            for (int ic = 0; ic < m; ic += PackedRowBlock)
            {
                int mc = Math.Min(PackedRowBlock, m - ic);
                PackA(job.TransA, a, job.Lda, ic, pc, mc, kc, MR, packA);
                for (int jc = from; jc < to;)
                {
                    int nc = Math.Min(NC - jc % NC, to - jc);
                    PanelProducts(c, ldc, m, ic, mc, jc, (nc + nr - 1) / nr, to, kc, packA, packed.Block(jc, pc, kc), tile, first);
                    jc += nc;
                }
            }
        }
    }

    // The kernel over every panel pair of one block: rows [ic, ic + mc), nPanels panels of columns from jc (none past
    // `to`); partial tiles go through `tile`.
    private static void PanelProducts<T>(Span<T> c, int ldc, int m, int ic, int mc, int jc, int nPanels, int to, int kc,
        ReadOnlySpan<T> packA, ReadOnlySpan<T> packB, Span<T> tile, bool first) where T : unmanaged, INumber<T>
    {
        int nr = PanelWidth<T>(), mr = MR;
        for (int jp = 0; jp < nPanels; jp++)
        {
            int j = jc + jp * nr;
            int nw = Math.Min(nr, to - j);
            ref T bPanel = ref MemoryMarshal.GetReference(packB.Slice(jp * kc * nr));
            for (int ip = 0; ip * mr < mc; ip++)
            {
                int i = ic + ip * mr;
                int mw = Math.Min(mr, m - i);
                ref T aPanel = ref MemoryMarshal.GetReference(packA.Slice(ip * kc * mr));
                if (mw == mr && nw == nr)
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

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Kernel<T>(int kc, ref T a, ref T b, ref T c, int ldc, bool overwrite) where T : unmanaged, INumber<T>
    {
        if (Uses512BitKernel) Kernel512(kc, ref a, ref b, ref c, ldc, overwrite);
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

    private sealed class GemmScratch<T> where T : unmanaged
    {
        [ThreadStatic] private static GemmScratch<T>? t_current;
        public readonly T[] PackA = new T[MC * 1024];
        public readonly T[] PackB;
        public readonly T[] Tile;
        private GemmScratch(int nr) { PackB = new T[(NC + nr) * KC]; Tile = new T[MR * nr]; }
        public static GemmScratch<T> Get(int nr) => t_current ??= new GemmScratch<T>(nr);
    }
}
