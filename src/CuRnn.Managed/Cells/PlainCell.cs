using System.Numerics;
using System.Runtime.CompilerServices;

namespace CuRnn.Managed.Cells;

/// <summary>The tanh RNN cell's activation h = tanh(·) and its gradient, column-wise like the gated cells.</summary>
internal static unsafe class PlainCell
{
    /// <summary>y = tanh(x), element-wise; <paramref name="y"/> may be <paramref name="x"/>.</summary>
    public static void Tanh<T>(ReadOnlySpan<T> x, Span<T> y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (y.Length < x.Length) throw new ArgumentException("The destination is shorter than the source.", nameof(y));
        fixed (T* xs = x, ys = y)
            ColumnDriver.Run<TanhKernel<T>, T>(new Operands<T>(xs, ys), x.Length);
    }

    /// <summary>Gradient of h = tanh(a): <paramref name="rows"/> holds h and is replaced by dh ⊙ (1 - h²).</summary>
    public static void TanhGradient<T>(Span<T> rows, ReadOnlySpan<T> dh) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* r = rows, d = dh)
            ColumnDriver.Run<TanhGradientKernel<T>, T>(new Operands<T>(r, d), rows.Length);
    }

    private readonly struct TanhKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static ReadOnlySpan<byte> Blocks => [1, 1];
        public static ReadOnlySpan<byte> Written => [0, 1];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(in Operands<T> o, nint h, nint j)
            => Vector.Store(Activations.Tanh(Vector.Load(o.A + j)), o.B + j);
    }

    private readonly struct TanhGradientKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static ReadOnlySpan<byte> Blocks => [1, 1];
        public static ReadOnlySpan<byte> Written => [1, 0];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(in Operands<T> o, nint h, nint j)
        {
            var y = Vector.Load(o.A + j);
            Vector.Store(Vector.Load(o.B + j) * (Vector<T>.One - y * y), o.A + j);
        }
    }
}
