using System.Numerics;
using System.Runtime.CompilerServices;

namespace CuRnn.Managed.Cells;

/// <summary>
/// Runs a column kernel over H columns, one <see cref="Vector{T}"/> at a time; the columns past the last whole
/// vector run through the same code as a whole vector (below), so every column of every H gets the same arithmetic,
/// bit for bit. Each run is a method of its own for the JIT (not inlined into its caller): the inlining budget is per
/// compiled method, and a kernel with one or two activations fits it whole.
/// </summary>
internal static unsafe class ColumnDriver
{
    // Room for one vector of every block of every operand (at most 16 blocks of 64 bytes).
    private const int ScratchBytes = 16 * 64;

    /// <summary>Columns [0, <paramref name="h"/>) of operands whose blocks are <paramref name="h"/> apart.</summary>
    public static void Run<TKernel, T>(in Operands<T> o, int h) where TKernel : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
        => Run<TKernel, T>(o, h, h);

    /// <summary>Columns [0, <paramref name="columns"/>) of operands whose blocks are <paramref name="stride"/> apart.</summary>
    [MethodImpl(MethodImplOptions.NoInlining), SkipLocalsInit]
    public static void Run<TKernel, T>(in Operands<T> o, int columns, int stride) where TKernel : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vc = Vector<T>.Count, whole = columns - columns % vc;
        if (whole == columns)
        {
            for (nint j = 0; j < columns; j += vc) TKernel.Run(in o, stride, j);
            return;
        }
        byte* scratch = stackalloc byte[ScratchBytes];
        if (columns < vc)
        {
            // Fewer columns than one vector: copied into zero-padded vectors, run there, copied back.
            var padded = Gather<TKernel, T>(o, columns, stride, (T*)scratch);
            TKernel.Run(in padded, vc, 0);
            Scatter<TKernel, T>(padded, o, columns, stride);
            return;
        }
        // The last vector [columns - vc, columns) overlaps columns the loop handles: the written operands' values
        // there are kept before the loop and put back after it, so that the kernel runs on the window's original
        // values in place. The overlapping columns get the bits the loop wrote.
        Save<TKernel, T>(o, columns, stride, (T*)scratch, restore: false);
        for (nint j = 0; j < whole; j += vc) TKernel.Run(in o, stride, j);
        Save<TKernel, T>(o, columns, stride, (T*)scratch, restore: true);
        TKernel.Run(in o, stride, columns - vc);
    }

    // Copies the window [columns - vc, columns) of every block of every written operand to `saved` (or back from it).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Save<TKernel, T>(in Operands<T> o, int columns, int stride, T* saved, bool restore)
        where TKernel : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vc = Vector<T>.Count;
        ReadOnlySpan<byte> blocks = TKernel.Blocks, written = TKernel.Written;
        for (int op = 0; op < blocks.Length; op++)
        {
            if (written[op] == 0) continue;
            for (int k = 0; k < blocks[op]; k++, saved += vc)
            {
                T* window = o[op] + (long)k * stride + columns - vc;
                if (restore) Vector.Store(Vector.Load(saved), window);
                else Vector.Store(Vector.Load(window), saved);
            }
        }
    }

    private static Operands<T> Gather<TKernel, T>(in Operands<T> o, int n, int stride, T* scratch)
        where TKernel : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vc = Vector<T>.Count;
        ReadOnlySpan<byte> blocks = TKernel.Blocks;
        T** at = stackalloc T*[6];
        for (int op = 0; op < 6; op++)
        {
            if (op >= blocks.Length) { at[op] = null; continue; }
            at[op] = scratch;
            for (int k = 0; k < blocks[op]; k++, scratch += vc)
            {
                T* source = o[op] + (long)k * stride;
                Vector.Store(Vector<T>.Zero, scratch);
                for (int c = 0; c < n; c++) scratch[c] = source[c];
            }
        }
        return new Operands<T>(at[0], at[1], at[2], at[3], at[4], at[5]);
    }

    private static void Scatter<TKernel, T>(in Operands<T> tail, in Operands<T> o, int n, int stride)
        where TKernel : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        int vc = Vector<T>.Count;
        ReadOnlySpan<byte> blocks = TKernel.Blocks, written = TKernel.Written;
        for (int op = 0; op < blocks.Length; op++)
        {
            if (written[op] == 0) continue;
            for (int k = 0; k < blocks[op]; k++)
            {
                T* source = tail[op] + k * vc, destination = o[op] + (long)k * stride;
                for (int c = 0; c < n; c++) destination[c] = source[c];
            }
        }
    }
}
