using System.Numerics;

namespace CuRnn.Managed;

/// <summary>
/// A GEMM right-hand operand op(B) [k, n] packed once into the micro-kernel's panel layout, block by block
/// (<c>NC</c> columns × <c>KC</c> rows), so products with it (the recurrent weights at every step) skip packing.
/// Repack it whenever the source matrix changes.
/// </summary>
internal sealed class PackedMatrix<T> where T : unmanaged, INumber<T>
{
    private const int NC = 512, MaxDepth = 256;
    private readonly T[] _data;
    private readonly int _blockStride;

    /// <summary>Allocates room for a [<paramref name="rows"/>, <paramref name="columns"/>] operand.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The packed operand would pass what a .NET array holds.</exception>
    public PackedMatrix(int rows, int columns)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(columns);
        Rows = rows;
        Columns = columns;
        DepthBlock = Math.Max(1, Math.Min(rows, MaxDepth));
        _blockStride = BlockStride(DepthBlock);
        long elements = ElementsFor(rows, columns);
        if (elements > Array.MaxLength)
            throw new ArgumentOutOfRangeException(nameof(columns), $"A packed [{rows}, {columns}] operand needs {elements:N0} elements; a .NET array holds at most {Array.MaxLength:N0}.");
        _data = new T[elements];
    }

    /// <summary>Elements a packed [<paramref name="rows"/>, <paramref name="columns"/>] operand takes (its blocks padded).</summary>
    public static long ElementsFor(int rows, int columns)
    {
        // Deep blocks (the whole k up to 1024): each C tile then takes all of k while it is in registers and L1.
        int depth = Math.Max(1, Math.Min(rows, MaxDepth));
        long kBlocks = ((long)rows + depth - 1) / depth, nBlocks = ((long)columns + NC - 1) / NC;
        return kBlocks * nBlocks * BlockStride(depth);
    }

    // Padded by one cache line so blocks (and the threads reading them) never sit a power of two apart.
    private static int BlockStride(int depth)
    {
        int nr = Gemm.PanelWidth<T>();
        return depth * ((NC + nr - 1) / nr * nr) + 64 / System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
    }

    /// <summary>k: rows of op(B).</summary>
    public int Rows { get; }
    /// <summary>n: columns of op(B).</summary>
    public int Columns { get; }
    /// <summary>Rows of op(B) per packed block (the GEMM's k blocking for this operand).</summary>
    public int DepthBlock { get; }

    /// <summary>Packs op(<paramref name="b"/>) (row-major, leading dimension <paramref name="ldb"/>) into this matrix.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="b"/> is too short for the shape.</exception>
    public void Pack(Transpose transB, ReadOnlySpan<T> b, int ldb)
    {
        int rowsStored = transB == Transpose.No ? Rows : Columns, colsStored = transB == Transpose.No ? Columns : Rows;
        if (rowsStored > 0 && colsStored > 0 && (ldb < colsStored || b.Length < (long)(rowsStored - 1) * ldb + colsStored))
            throw new ArgumentOutOfRangeException(nameof(b), $"op(B) [{Rows}, {Columns}] with ld {ldb} does not fit in {b.Length} elements.");
        int nr = Gemm.PanelWidth<T>();
        for (int jc = 0; jc < Columns; jc += NC)
        {
            int nc = Math.Min(NC, Columns - jc);
            for (int pc = 0; pc < Rows; pc += DepthBlock)
            {
                int kc = Math.Min(DepthBlock, Rows - pc);
                Gemm.PackB(transB, b, ldb, pc, jc, kc, nc, nr, _data.AsSpan(BlockOffset(jc, pc), _blockStride));
            }
        }
    }

    private int BlockOffset(int jc, int pc) => (int)(((long)(jc / NC) * ((Rows + DepthBlock - 1) / DepthBlock) + pc / DepthBlock) * _blockStride);

    /// <summary>The panels for columns from <paramref name="jc"/> (inside one NC block) and rows pc..pc+kc.</summary>
    internal ReadOnlySpan<T> Block(int jc, int pc, int kc)
    {
        int nr = Gemm.PanelWidth<T>();
        int panel = jc % NC / nr;
        return _data.AsSpan(BlockOffset(jc - jc % NC, pc) + panel * kc * nr);
    }
}
