using System.Numerics;
using System.Runtime.CompilerServices;

namespace CuRnn.Managed;

public static partial class RecurrentPass
{
    // Rows per projected chunk: enough for the product to run near the kernel's rate, few enough that the step
    // loop's first wait is short (16 steps of 8 rows at I = 128, 4 gates × 128: about 80 µs).
    private const int PipelineChunkRows = 128;

    /// <summary>
    /// For a batch too narrow to share its rows (the step loop runs on one thread), the helper thread projects the
    /// inputs chunk by chunk of steps, in the order the loop takes them, while the caller runs the steps of the
    /// chunks already projected: the projection and the loop overlap instead of following each other. False
    /// (nothing done) when the rows are shared, there is one thread, or the helper is busy.
    /// </summary>
    private static unsafe bool TryProjectAlongside<T>(ref DirectionForward<T> p, StepSchedule s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int chunk = PipelineChunkSteps(s);
        if (chunk == 0) return false;
        var pipeline = new ProjectionPipeline<T>(Unsafe.AsPointer(ref p), Unsafe.AsPointer(ref s), chunk);
        if (!HelperThread.TryStart(&ProjectionPipeline<T>.Run, &pipeline)) return false;
        int limit = Gemm.SetThreadLimit(1);
        p.ProjectedSteps = &pipeline.ProjectedSteps;
        try { ForwardRows(ref p, s, 0, s.MaxBatch); }
        finally
        {
            p.ProjectedSteps = null;
            HelperThread.Wait();
            Gemm.SetThreadLimit(limit);
        }
        return true;
    }

    /// <summary>Steps per projected chunk when the helper should project alongside the step loop, else 0: rows not
    /// shared, two threads allowed, and at least two chunks.</summary>
    internal static int PipelineChunkSteps(StepSchedule s)
    {
        if (!Gemm.MayUseHelper || !HelperThread.Available || HelperRowStart(s) != 0 || s.MaxBatch == 0) return 0;
        int chunk = Math.Max(1, PipelineChunkRows / s.MaxBatch);
        return s.Steps >= 2 * chunk ? chunk : 0;
    }

    // Before the loop's k-th step: wait until the helper has projected it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AwaitProjection(int* projectedSteps, int k)
    {
        while (Volatile.Read(ref *projectedSteps) <= k) Thread.SpinWait(8);
    }

    // The helper's side: chunks of steps in loop order (last to first for a reverse direction), each one product
    // over its contiguous packed rows; publishes the count of steps done after each. Publishes "all" on the way out,
    // so a failure never leaves the caller waiting (the caller's Wait rethrows it).
    private static unsafe void ProjectChunks<T>(ref DirectionForward<T> p, StepSchedule s, int chunk, int* projectedSteps)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        try
        {
            for (int k0 = 0; k0 < s.Steps; k0 += chunk)
            {
                int k1 = Math.Min(k0 + chunk, s.Steps);
                int tFirst = p.Reverse ? s.Steps - k1 : k0, tLast = p.Reverse ? s.Steps - 1 - k0 : k1 - 1;
                int row = s.Offsets[tFirst], rows = s.Offsets[tLast] + s.BatchSizes[tLast] - row;
                if (rows > 0) ProjectInputs(ref p, row, rows);
                Volatile.Write(ref *projectedSteps, k1);
            }
        }
        finally { Volatile.Write(ref *projectedSteps, int.MaxValue); }
    }

    /// <summary>The helper's state for <see cref="TryProjectAlongside"/>: the caller's pass and schedule by pointer.</summary>
    private unsafe struct ProjectionPipeline<T>(void* pass, void* schedule, int chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly void* _pass = pass, _schedule = schedule;
        private readonly int _chunk = chunk;
        /// <summary>Steps (in loop order) whose gates hold their input projection.</summary>
        public int ProjectedSteps;

        public static void Run(void* state)
        {
            ref ProjectionPipeline<T> pipeline = ref Unsafe.AsRef<ProjectionPipeline<T>>(state);
            ProjectChunks(ref Unsafe.AsRef<DirectionForward<T>>(pipeline._pass), Unsafe.AsRef<StepSchedule>(pipeline._schedule),
                pipeline._chunk, (int*)Unsafe.AsPointer(ref pipeline.ProjectedSteps));
        }
    }
}
