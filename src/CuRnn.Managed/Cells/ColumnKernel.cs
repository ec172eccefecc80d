using System.Numerics;

namespace CuRnn.Managed.Cells;

/// <summary>
/// Pointers to the operands of a column kernel: up to six arrays, each made of blocks of H columns (a cell's gates
/// are three or four blocks, its states one). Which are read and written is the kernel's <see cref="IColumnKernel{T}"/>
/// description.
/// </summary>
internal readonly unsafe struct Operands<T>(T* a, T* b, T* c = null, T* d = null, T* e = null, T* f = null) where T : unmanaged
{
    public readonly T* A = a, B = b, C = c, D = d, E = e, F = f;

    public T* this[int index] => index switch { 0 => A, 1 => B, 2 => C, 3 => D, 4 => E, _ => F };
}

/// <summary>
/// A column-wise operation over the operands of one row (a cell's forward or backward step), written once over
/// <see cref="System.Numerics.Vector{T}"/> and run by <see cref="ColumnDriver"/> over every column, the partial last
/// vector included.
/// </summary>
internal unsafe interface IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Blocks of H columns in each operand, in order.</summary>
    static abstract ReadOnlySpan<byte> Blocks { get; }

    /// <summary>1 for each operand the kernel writes, 0 for one it only reads.</summary>
    static abstract ReadOnlySpan<byte> Written { get; }

    /// <summary>Columns [<paramref name="at"/>, at + Vector&lt;T&gt;.Count) of every block; block k of an operand starts
    /// k·<paramref name="stride"/> after it.</summary>
    static abstract void Run(in Operands<T> o, nint stride, nint at);
}
