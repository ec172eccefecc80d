using System.Numerics;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CuRnn.Managed.Threading;

namespace CuRnn.Managed;

/// <summary>Whether a GEMM operand is read as stored or transposed.</summary>
internal enum Transpose
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
/// with zeros in the panels and written back through a small tile buffer. A product given more than one thread
/// splits its rows (tall ones) or columns into as many parts as its size pays for and runs them on the
/// <see cref="WorkerPool"/>; every element is the same sum in the same order whatever the split, so the result is
/// the same bits for any thread count. Scratch is allocated once per thread and element type.
/// </remarks>
internal static partial class Gemm
{
    private const int KC = 256;
    private const int MaxMC = 64;
    // Rows per block of A against a packed B. Two threads each running products of 32-64 rows with blocks of 64 rows
    // reached 1.3-1.6x one thread's rate on this 2-core machine; with blocks of 16 rows, 1.9x (same rate on one).
    private const int MaxPackedRowBlock = 16;
    private const int NC = 512;
    // Multiply-adds per part of a split product: below this a part's hand-off costs more than it saves.
    private const long WorkPerPart = 1L << 21;

    /// <summary>Whether the 512-bit FMA micro-kernel runs (chosen once at start).</summary>
    public static bool Uses512BitKernel { get; } = Vector512.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary>Whether the 256-bit FMA micro-kernel runs (AVX2 and FMA without 512-bit vectors); else the portable
    /// <see cref="Vector{T}"/> one.</summary>
    public static bool Uses256BitKernel { get; } = !Uses512BitKernel && Vector256.IsHardwareAccelerated && Fma.IsSupported;

    // Register tile: MR rows × NR columns (two vectors). 8 × 2 zmm = 16 accumulators with AVX-512; 6 × 2 ymm = 12 with
    // AVX2 (of its 16 registers, two hold B and one the broadcast A).
    private static readonly int MR = Uses512BitKernel ? 8 : Uses256BitKernel ? 6 : 4;

    // Row blocks of A: whole register tiles, so that only the last block of a product has a partial tile.
    private static readonly int MC = MaxMC / MR * MR, PackedRowBlock = Math.Max(1, MaxPackedRowBlock / MR) * MR;

    /// <summary>Columns of one packed panel of B for <typeparamref name="T"/>.</summary>
    public static int PanelWidth<T>() where T : unmanaged =>
        Uses512BitKernel ? 2 * Vector512<T>.Count : Uses256BitKernel ? 2 * Vector256<T>.Count : 2 * Vector<T>.Count;

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
    /// <param name="threads">Threads the product may use (the calling thread included).</param>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative or a span is too short.</exception>
    public static void Multiply<T>(Transpose transA, Transpose transB, int m, int n, int k,
        ReadOnlySpan<T> a, int lda, ReadOnlySpan<T> b, int ldb, Span<T> c, int ldc, bool accumulate, int threads = 1)
        where T : unmanaged, INumber<T>
    {
        CheckOperand(nameof(a), a.Length, transA == Transpose.No ? m : k, transA == Transpose.No ? k : m, lda);
        CheckOperand(nameof(b), b.Length, transB == Transpose.No ? k : n, transB == Transpose.No ? n : k, ldb);
        CheckOperand(nameof(c), c.Length, m, n, ldc);
        unsafe
        {
            fixed (T* pb = b) Run(transA, m, n, k, a, lda, new BSource<T>(transB, pb, b.Length, ldb, null), c, ldc, accumulate, threads);
        }
    }

    /// <summary>Computes <c>C = (accumulate ? C : 0) + op(A)·B</c> with B packed beforehand (weights packed once per version).</summary>
    /// <exception cref="ArgumentOutOfRangeException">A dimension or span does not match the packed B.</exception>
    public static void Multiply<T>(Transpose transA, int m, ReadOnlySpan<T> a, int lda, PackedMatrix<T> b, Span<T> c, int ldc, bool accumulate,
        int threads = 1) where T : unmanaged, INumber<T>
    {
        ArgumentNullException.ThrowIfNull(b);
        CheckOperand(nameof(a), a.Length, transA == Transpose.No ? m : b.Rows, transA == Transpose.No ? b.Rows : m, lda);
        CheckOperand(nameof(c), c.Length, m, b.Columns, ldc);
        unsafe { Run(transA, m, b.Columns, b.Rows, a, lda, new BSource<T>(Transpose.No, null, 0, 0, b), c, ldc, accumulate, threads); }
    }

    /// <summary>
    /// Columns [<paramref name="from"/>, <paramref name="to"/>) of <c>C = (accumulate ? C : 0) + op(A)·B</c> with B
    /// packed, on the calling thread; <paramref name="from"/> a multiple of <see cref="PanelWidth{T}"/>. The columns
    /// get the bits the whole product gives them (a step's hidden units split between threads).
    /// </summary>
    internal static void MultiplyColumns<T>(int m, ReadOnlySpan<T> a, int lda, PackedMatrix<T> b, Span<T> c, int ldc, int from, int to, bool accumulate)
        where T : unmanaged, INumber<T>
    {
        if (m == 0 || from >= to) return;
        if (from % PanelWidth<T>() != 0 || to > b.Columns)
            throw new ArgumentOutOfRangeException(nameof(from), $"Columns [{from}, {to}) must start at a multiple of {PanelWidth<T>()} and end by {b.Columns}.");
        CheckOperand(nameof(a), a.Length, m, b.Rows, lda);
        CheckOperand(nameof(c), c.Length, m, b.Columns, ldc);
        unsafe
        {
            fixed (T* pa = a, pc = c)
                Blocked(new Job<T>(Transpose.No, m, b.Rows, pa, a.Length, lda, new BSource<T>(Transpose.No, null, 0, 0, b), pc, c.Length, ldc, accumulate), from, to);
        }
    }

    private static unsafe void Run<T>(Transpose transA, int m, int n, int k, ReadOnlySpan<T> a, int lda, BSource<T> b, Span<T> c, int ldc,
        bool accumulate, int threads) where T : unmanaged, INumber<T>
    {
        if (m == 0 || n == 0) return;
        if (k == 0)
        {
            if (!accumulate) for (int i = 0; i < m; i++) c.Slice(i * ldc, n).Clear();
            return;
        }
        fixed (T* pa = a, pc = c)
        {
            var job = new Job<T>(transA, m, k, pa, a.Length, lda, b, pc, c.Length, ldc, accumulate, n);
            // A tall product splits its rows (each part reads the same packed panels, or packs all of B: still faster
            // than splitting columns, where each packs only its part of B but all of A); any other splits its columns.
            bool byRows = m >= 2 * MC;
            int units = byRows ? (m + MR - 1) / MR : (n + PanelWidth<T>() - 1) / PanelWidth<T>();
            int parts = (int)Math.Min(Math.Min(threads, units), Math.Max(1, (long)m * n * k / WorkPerPart));
            if (parts <= 1) { Blocked(job, 0, n); return; }
            var share = new SplitProduct<T>(job, byRows, parts, units);
            WorkerPool.For(parts, threads, &SplitProduct<T>.Run, Unsafe.AsPointer(ref share));
        }
    }

    /// <summary>A product split into parts of whole register tiles (rows) or panels (columns) for the worker pool.</summary>
    private readonly unsafe struct SplitProduct<T>(Job<T> job, bool byRows, int parts, int units) where T : unmanaged, INumber<T>
    {
        private readonly Job<T> _job = job;
        private readonly bool _byRows = byRows;
        private readonly int _parts = parts, _units = units;

        public static void Run(void* state, int part)
        {
            ref readonly SplitProduct<T> s = ref Unsafe.AsRef<SplitProduct<T>>(state);
            int size = s._byRows ? MR : PanelWidth<T>();
            int from = (int)((long)s._units * part / s._parts) * size, to = (int)((long)s._units * (part + 1) / s._parts) * size;
            if (s._byRows) Blocked(s._job.Rows(from, Math.Min(to, s._job.M)), 0, s.Columns);
            else Blocked(s._job, from, Math.Min(to, s.Columns));
        }

        private int Columns => _job.N;
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

    /// <summary>One product, by pointers, so that workers can take parts of it.</summary>
    private readonly unsafe struct Job<T>(Transpose ta, int m, int k, T* a, int aLength, int lda, BSource<T> b, T* c, int cLength, int ldc, bool accumulate,
        int n = 0) where T : unmanaged, INumber<T>
    {
        public readonly Transpose TransA = ta;
        public readonly int M = m, K = k, N = n, Lda = lda, Ldc = ldc, ALength = aLength, CLength = cLength;
        public readonly T* A = a, C = c;
        public readonly BSource<T> B = b;
        public readonly bool Accumulate = accumulate;
        public ReadOnlySpan<T> ASpan => new(A, ALength);
        public Span<T> CSpan => new(C, CLength);

        /// <summary>The same product restricted to rows [from, to) of op(A) and C.</summary>
        public Job<T> Rows(int from, int to)
        {
            int aOffset = TransA == Transpose.No ? from * Lda : from, cOffset = from * Ldc;
            return new Job<T>(TransA, to - from, K, A + aOffset, ALength - aOffset, Lda, B, C + cOffset, CLength - cOffset, Ldc, Accumulate, N);
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

    private sealed class GemmScratch<T> where T : unmanaged
    {
        [ThreadStatic] private static GemmScratch<T>? t_current;
        public readonly T[] PackA = new T[MaxMC * 1024];
        public readonly T[] PackB;
        public readonly T[] Tile;
        private GemmScratch(int nr) { PackB = new T[(NC + nr) * KC]; Tile = new T[MR * nr]; }
        public static GemmScratch<T> Get(int nr) => t_current ??= new GemmScratch<T>(nr);
    }
}
