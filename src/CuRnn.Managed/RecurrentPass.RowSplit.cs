using System.Runtime.CompilerServices;
using CuRnn.Managed.Threading;

namespace CuRnn.Managed;

internal static partial class RecurrentPass
{
    /// <summary>
    /// How many row ranges a step loop splits into for <paramref name="threads"/> threads: each range at least one
    /// register tile of rows (with fewer, a thread computes a padded tile in about the time one thread computes the
    /// whole step), at most one per thread. 1 runs every row on the calling thread.
    /// </summary>
    internal static int RowParts(StepSchedule s, int threads) => Math.Max(1, Math.Min(threads, s.MaxBatch / Gemm.RowTile));

    /// <summary>
    /// Cuts rows [0, MaxBatch) into <paramref name="cuts"/>.Length - 1 ranges at multiples of the register tile, each
    /// taking about an equal share of the row-steps (with mixed lengths the first rows run more steps); returns the
    /// number of ranges (fewer when two cuts would meet).
    /// </summary>
    internal static int RowCuts(StepSchedule s, Span<int> cuts)
    {
        int parts = cuts.Length - 1, tile = Gemm.RowTile, maxB = s.MaxBatch;
        long total = s.Rows;
        cuts[0] = 0;
        int n = 0;
        for (int i = 1; i < parts; i++)
        {
            long target = total * i / parts;
            int lo = 1, hi = maxB;                     // smallest r with RowSteps(r) >= target
            while (lo < hi)
            {
                int mid = (lo + hi) / 2;
                if (RowSteps(s, mid) >= target) hi = mid; else lo = mid + 1;
            }
            int cut = Math.Clamp((lo + tile / 2) / tile * tile, tile, (maxB - 1) / tile * tile);
            if (cut > cuts[n]) cuts[++n] = cut;
        }
        cuts[++n] = maxB;
        return n;
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
    /// step, with a thread budget for its own products) over every row: in ranges on the worker pool, each range
    /// running every step for its own sequences on one thread (a sequence's recurrence reads only its own row), or
    /// on the calling thread with all <paramref name="threads"/> for its products when the rows are too few to split.
    /// </summary>
    private static unsafe void RunRows(void* pass, StepSchedule s, delegate*<void*, StepSchedule, int, int, int, void> rows, int threads)
    {
        int parts = RowParts(s, threads);
        if (parts == 1) { rows(pass, s, 0, s.MaxBatch, threads); return; }
        Span<int> cuts = stackalloc int[parts + 1];
        parts = RowCuts(s, cuts);
        var split = new RowSplit(pass, Unsafe.AsPointer(ref s), (int*)Unsafe.AsPointer(ref cuts[0]), rows);
        WorkerPool.For(parts, threads, &RowSplit.Run, &split);
    }

    /// <summary>One range of a split step loop. The pass, schedule and cuts are the caller's stack values (ref structs
    /// of spans), reached through pointers while the caller waits.</summary>
    private readonly unsafe struct RowSplit(void* pass, void* schedule, int* cuts, delegate*<void*, StepSchedule, int, int, int, void> rows)
    {
        private readonly void* _pass = pass, _schedule = schedule;
        private readonly int* _cuts = cuts;
        private readonly delegate*<void*, StepSchedule, int, int, int, void> _rows = rows;

        public static void Run(void* state, int part)
        {
            ref readonly RowSplit split = ref Unsafe.AsRef<RowSplit>(state);
            split._rows(split._pass, Unsafe.AsRef<StepSchedule>(split._schedule), split._cuts[part], split._cuts[part + 1], 1);
        }
    }
}
