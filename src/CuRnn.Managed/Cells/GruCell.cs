using System.Numerics;
using System.Runtime.CompilerServices;

namespace CuRnn.Managed.Cells;

/// <summary>
/// The GRU cell of one row, forward and backward: r, z = σ(x-part + h-part), n = tanh(x-part + r ⊙ (W_hn h + b_hn)),
/// h' = (1 - z) ⊙ n + z ⊙ h = n + z ⊙ (h - n), gates in PyTorch's order r, z, n. Forward is two passes (r and z, then
/// n and h'), backward one.
/// </summary>
internal static unsafe class GruCell
{
    /// <summary>Gates [3H]: the input part, pre-activation in, activated out; <paramref name="recurrent"/> [3H] the
    /// recurrent part (W_h·h + b_h); <paramref name="hState"/> [H] replaced by h'.</summary>
    public static void Forward<T>(Span<T> gates, ReadOnlySpan<T> recurrent, Span<T> hState, int h) where T : unmanaged, IFloatingPointIeee754<T>
        => Forward(gates, recurrent, hState, h, 0, h);

    /// <summary>As <see cref="Forward{T}(Span{T}, ReadOnlySpan{T}, Span{T}, int)"/> for the units [<paramref name="from"/>,
    /// from + <paramref name="count"/>) only: the same bits.</summary>
    public static void Forward<T>(Span<T> gates, ReadOnlySpan<T> recurrent, Span<T> hState, int h, int from, int count)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if ((uint)from > (uint)h || (uint)count > (uint)(h - from) || gates.Length < 3 * h || recurrent.Length < 3 * h || hState.Length < h)
            throw new ArgumentOutOfRangeException(nameof(count), $"Units [{from}, {from + count}) of H = {h} do not fit the spans.");
        fixed (T* g = gates, rec = recurrent, hs = hState)
        {
            T* u = g + from, ru = rec + from;
            // r and z: adjacent when the whole row runs.
            if (count == h) ColumnDriver.Run<ResetUpdateKernel<T>, T>(new Operands<T>(u, ru), 2 * h);
            else
            {
                ColumnDriver.Run<ResetUpdateKernel<T>, T>(new Operands<T>(u, ru), count);
                ColumnDriver.Run<ResetUpdateKernel<T>, T>(new Operands<T>(u + h, ru + h), count);
            }
            ColumnDriver.Run<NewStateKernel<T>, T>(new Operands<T>(u, ru, hs + from), count, h);
        }
    }

    /// <summary>
    /// <paramref name="gates"/> [3H] holds the activated gates r, z, n and is overwritten with the gradients of the
    /// input parts; <paramref name="dRecurrent"/> [3H] receives those of the recurrent parts, and
    /// <paramref name="dDirect"/> [H] the gradient reaching h directly (dh ⊙ z). <paramref name="hPrev"/> is h before
    /// the step and <paramref name="recurrentN"/> the saved W_hn h + b_hn.
    /// </summary>
    public static void Backward<T>(Span<T> gates, ReadOnlySpan<T> hPrev, ReadOnlySpan<T> recurrentN, ReadOnlySpan<T> dh,
        Span<T> dRecurrent, Span<T> dDirect, int h) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* g = gates, hp = hPrev, rn = recurrentN, d = dh, dr = dRecurrent, dd = dDirect)
            ColumnDriver.Run<BackwardKernel<T>, T>(new Operands<T>(g, hp, rn, d, dr, dd), h);
    }

    // r and z (the first 2H columns): σ(input part + recurrent part), in place.
    private readonly struct ResetUpdateKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static ReadOnlySpan<byte> Blocks => [1, 1];
        public static ReadOnlySpan<byte> Written => [1, 0];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(in Operands<T> o, nint h, nint j)
            => Vector.Store(Activations.Sigmoid(Vector.Load(o.A + j) + Vector.Load(o.B + j)), o.A + j);
    }

    // n = tanh(x_n + r ⊙ (W_hn h + b_hn)) and h' = n + z ⊙ (h - n).
    private readonly struct NewStateKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static ReadOnlySpan<byte> Blocks => [3, 3, 1];
        public static ReadOnlySpan<byte> Written => [1, 0, 1];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(in Operands<T> o, nint h, nint j)
        {
            T* x = o.A + j, hs = o.C + j;
            var n = Activations.Tanh(Activations.Fma(Vector.Load(x), Vector.Load(o.B + j + 2 * h), Vector.Load(x + 2 * h)));
            Vector.Store(n, x + 2 * h);
            Vector.Store(Activations.Fma(Vector.Load(x + h), Vector.Load(hs) - n, n), hs);
        }
    }

    private readonly struct BackwardKernel<T> : IColumnKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public static ReadOnlySpan<byte> Blocks => [3, 1, 1, 1, 3, 1];
        public static ReadOnlySpan<byte> Written => [1, 0, 0, 0, 1, 1];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Run(in Operands<T> o, nint h, nint j)
        {
            T* x = o.A + j, dr = o.E + j;
            var one = Vector<T>.One;
            var r = Vector.Load(x);
            var z = Vector.Load(x + h);
            var n = Vector.Load(x + 2 * h);
            var dh = Vector.Load(o.D + j);
            var dn = dh * (one - z) * (one - n * n);
            var dz = dh * (Vector.Load(o.B + j) - n) * z * (one - z);
            var drr = dn * Vector.Load(o.C + j) * r * (one - r);
            Vector.Store(drr, x);
            Vector.Store(dz, x + h);
            Vector.Store(dn, x + 2 * h);
            Vector.Store(drr, dr);
            Vector.Store(dz, dr + h);
            Vector.Store(dn * r, dr + 2 * h);
            Vector.Store(dh * z, o.F + j);
        }
    }
}
