using System.Numerics;
using System.Runtime.CompilerServices;

namespace CuRnn.Managed.Cells;

/// <summary>
/// The LSTM cell of one row, forward and backward: i, f, o = σ(·), g = tanh(·), c' = f ⊙ c + i ⊙ g, h = o ⊙ tanh(c'),
/// gates in PyTorch's order i, f, g, o; the activations are <see cref="Activations"/>'. Forward activates the gates
/// in place (σ over i and f together, tanh over g, σ over o), then updates the state in one pass; backward is one pass.
/// </summary>
internal static unsafe class LstmCell
{
    /// <summary>Gates [4H] pre-activation in, activated out; <paramref name="c"/> [H] replaced by c';
    /// h = o ⊙ tanh(c') written to <paramref name="hOut"/> [H].</summary>
    public static void Forward<T>(Span<T> gates, Span<T> c, Span<T> hOut, int h) where T : unmanaged, IFloatingPointIeee754<T>
        => Forward(gates, c, hOut, h, 0, h);

    /// <summary>As <see cref="Forward{T}(Span{T}, Span{T}, Span{T}, int)"/> for the units [<paramref name="from"/>,
    /// from + <paramref name="count"/>) only (each gate's columns of them, and theirs of c and h): the same bits.</summary>
    public static void Forward<T>(Span<T> gates, Span<T> c, Span<T> hOut, int h, int from, int count) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if ((uint)from > (uint)h || (uint)count > (uint)(h - from) || gates.Length < 4 * h || c.Length < h || hOut.Length < h)
            throw new ArgumentOutOfRangeException(nameof(count), $"Units [{from}, {from + count}) of H = {h} do not fit the spans.");
        fixed (T* g = gates, cs = c, ho = hOut)
        {
            T* u = g + from;
            if (count == h) ActivationKernels.Sigmoid(u, 2 * h);   // i and f are adjacent
            else { ActivationKernels.Sigmoid(u, count); ActivationKernels.Sigmoid(u + h, count); }
            ActivationKernels.Tanh(u + 2 * h, count);
            ActivationKernels.Sigmoid(u + 3 * h, count);
            ColumnDriver.Run<StateKernel<T>, T>(new Operands<T>(u, cs + from, ho + from), count, h);
        }
    }

    /// <summary>
    /// <paramref name="gates"/> [4H] holds the activated gates i, f, g, o and is overwritten with the pre-activation
    /// gradients; <paramref name="dc"/> [H] holds dL/dc' and is replaced by dL/dc. <paramref name="c"/> and
    /// <paramref name="cPrev"/> are c' and c, <paramref name="dh"/> is dL/dh.
    /// </summary>
    public static void Backward<T>(Span<T> gates, ReadOnlySpan<T> c, ReadOnlySpan<T> cPrev, ReadOnlySpan<T> dh, Span<T> dc, int h)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* g = gates, cs = c, cp = cPrev, d = dh, dcs = dc)
            ColumnDriver.Run<BackwardKernel<T>, T>(new Operands<T>(g, cs, cp, d, dcs), h);
    }

    // c' = f ⊙ c + i ⊙ g and h = o ⊙ tanh(c') from the activated gates.
    private readonly struct StateKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static ReadOnlySpan<byte> Blocks => [4, 1, 1];
        public static ReadOnlySpan<byte> Written => [0, 1, 1];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(in Operands<T> o, nint h, nint j)
        {
            T* gates = o.A + j, c = o.B + j;
            var cNew = Activations.Fma(Vector.Load(gates), Vector.Load(gates + 2 * h), Vector.Load(gates + h) * Vector.Load(c));
            Vector.Store(cNew, c);
            Vector.Store(Vector.Load(gates + 3 * h) * Activations.Tanh(cNew), o.C + j);
        }
    }

    private readonly struct BackwardKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static ReadOnlySpan<byte> Blocks => [4, 1, 1, 1, 1];
        public static ReadOnlySpan<byte> Written => [1, 0, 0, 0, 1];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(in Operands<T> o, nint h, nint j)
        {
            T* gates = o.A + j;
            var one = Vector<T>.One;
            var i = Vector.Load(gates);
            var f = Vector.Load(gates + h);
            var g = Vector.Load(gates + 2 * h);
            var og = Vector.Load(gates + 3 * h);
            var tc = Activations.Tanh(Vector.Load(o.B + j));
            var dh = Vector.Load(o.D + j);
            var dc = Vector.Load(o.E + j) + dh * og * (one - tc * tc);
            Vector.Store(dc * g * i * (one - i), gates);
            Vector.Store(dc * Vector.Load(o.C + j) * f * (one - f), gates + h);
            Vector.Store(dc * i * (one - g * g), gates + 2 * h);
            Vector.Store(dh * tc * og * (one - og), gates + 3 * h);
            Vector.Store(dc * f, o.E + j);
        }
    }
}
