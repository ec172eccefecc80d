using System.Numerics;
using System.Runtime.CompilerServices;

namespace CuRnn.Managed.Cells;

/// <summary>σ and tanh in place over a run of columns: the gates' activations, each its own pass over the row (all
/// of it in L1), so that every pass keeps its activation inlined whole.</summary>
internal static unsafe class ActivationKernels
{
    /// <summary>x = σ(x) over <paramref name="n"/> columns.</summary>
    public static void Sigmoid<T>(T* x, int n) where T : unmanaged, IFloatingPointIeee754<T>
        => ColumnDriver.Run<SigmoidInPlace<T>, T>(new Operands<T>(x, null), n);

    /// <summary>x = tanh(x) over <paramref name="n"/> columns.</summary>
    public static void Tanh<T>(T* x, int n) where T : unmanaged, IFloatingPointIeee754<T>
        => ColumnDriver.Run<TanhInPlace<T>, T>(new Operands<T>(x, null), n);

    private readonly struct SigmoidInPlace<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static ReadOnlySpan<byte> Blocks => [1];
        public static ReadOnlySpan<byte> Written => [1];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(in Operands<T> o, nint h, nint j) => Vector.Store(Activations.Sigmoid(Vector.Load(o.A + j)), o.A + j);
    }

    private readonly struct TanhInPlace<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static ReadOnlySpan<byte> Blocks => [1];
        public static ReadOnlySpan<byte> Written => [1];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(in Operands<T> o, nint h, nint j) => Vector.Store(Activations.Tanh(Vector.Load(o.A + j)), o.A + j);
    }
}
