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
    /// Runs a step loop (<paramref name="rows"/>: the pass behind <paramref name="pass"/>, rows [from, to) of every
    /// step) for every row: the caller's rows and the helper thread's when <see cref="HelperRowStart"/> splits them and
    /// the helper is free, else all on the caller. The caller's products stay on its thread while the helper runs.
    /// </summary>
    private static unsafe void RunRows(void* pass, StepSchedule s, delegate*<void*, StepSchedule, int, int, void> rows)
    {
        int split = HelperRowStart(s);
        var share = new RowShare(pass, Unsafe.AsPointer(ref s), split, s.MaxBatch, rows);
        if (split == 0 || !HelperThread.TryStart(&RowShare.Run, &share)) { rows(pass, s, 0, s.MaxBatch); return; }
        int limit = Gemm.SetThreadLimit(1);
        try { rows(pass, s, 0, split); }
        finally { HelperThread.Wait(); Gemm.SetThreadLimit(limit); }
    }

    /// <summary>
    /// The helper thread's share of a step loop: rows [from, to) of every step. The pass and schedule are the
    /// caller's stack values (ref structs of spans), reached through pointers while the caller waits.
    /// </summary>
    private readonly unsafe struct RowShare(void* pass, void* schedule, int from, int to, delegate*<void*, StepSchedule, int, int, void> rows)
    {
        private readonly void* _pass = pass, _schedule = schedule;
        private readonly int _from = from, _to = to;
        private readonly delegate*<void*, StepSchedule, int, int, void> _rows = rows;

        public static void Run(void* state)
        {
            ref readonly RowShare share = ref Unsafe.AsRef<RowShare>(state);
            share._rows(share._pass, Unsafe.AsRef<StepSchedule>(share._schedule), share._from, share._to);
        }
    }
}
