using System.Numerics;
using System.Runtime.CompilerServices;

namespace CuRnn.Managed;

public static partial class RecurrentPass
{
    /// <summary>
    /// The first row of the helper's range, or 0 to run every row on the calling thread: when the helper may not be
    /// used (one core, or a thread limit of 1), or with fewer rows than two register tiles (each thread would then
    /// compute a padded tile in the time one thread computes the whole step).
    /// The cut is a multiple of the tile where the rows before it take about half of all row-steps, so mixed
    /// lengths (longest rows first) still split the work evenly.
    /// </summary>
    internal static int HelperRowStart(StepSchedule s)
    {
        int tile = Gemm.RowTile, maxB = s.MaxBatch;
        if (maxB < 2 * tile || !Gemm.MayUseHelper || !HelperThread.Available) return 0;
        long half = (s.Rows + 1) / 2;
        int lo = 1, hi = maxB;                     // smallest r with RowSteps(r) >= half
        while (lo < hi)
        {
            int mid = (lo + hi) / 2;
            if (RowSteps(s, mid) >= half) hi = mid; else lo = mid + 1;
        }
        int cut = (lo + tile / 2) / tile * tile;
        return Math.Clamp(cut, tile, (maxB - 1) / tile * tile);
    }

    // Row-steps of rows [0, r): each step contributes min(its batch, r).
    private static long RowSteps(StepSchedule s, int r)
    {
        long sum = 0;
        foreach (int bs in s.BatchSizes) sum += Math.Min(bs, r);
        return sum;
    }

    /// <summary>
    /// The helper thread's share of a step loop: rows [From, To) of every step. The pass and schedule are the
    /// caller's stack values (ref structs of spans), reached through pointers while the caller waits.
    /// </summary>
    private readonly unsafe struct RowShare(void* pass, void* schedule, int from, int to)
    {
        private readonly void* _pass = pass, _schedule = schedule;
        private readonly int _from = from, _to = to;

        public static void Forward<T>(void* state) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ref readonly RowShare share = ref Unsafe.AsRef<RowShare>(state);
            ForwardRows(ref Unsafe.AsRef<DirectionForward<T>>(share._pass), Unsafe.AsRef<StepSchedule>(share._schedule), share._from, share._to);
        }

        public static void Backward<T>(void* state) where T : unmanaged, IFloatingPointIeee754<T>
        {
            ref readonly RowShare share = ref Unsafe.AsRef<RowShare>(state);
            BackwardRows(ref Unsafe.AsRef<DirectionBackward<T>>(share._pass), Unsafe.AsRef<StepSchedule>(share._schedule), share._from, share._to);
        }
    }
}
