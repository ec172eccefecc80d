using System.Numerics;
using System.Runtime.CompilerServices;
using CuRnn.Managed.Threading;

namespace CuRnn.Managed;

internal static partial class RecurrentPass
{
    // Rows per projected chunk: enough for the product to run near the kernel's rate, few enough that the step
    // loop's first wait is short (16 steps of 8 rows at I = 128, 4 gates × 128: about 80 µs).
    private const int PipelineChunkRows = 128;

    /// <summary>
    /// For a batch too narrow to share its rows (the step loop runs on one thread), a worker projects the inputs
    /// chunk by chunk of steps, in the order the loop takes them, while the caller runs the steps of the chunks
    /// already projected: the projection and the loop overlap instead of following each other. False (nothing done)
    /// when no worker was idle.
    /// </summary>
    private static unsafe bool TryProjectAlongside<T>(ref DirectionForward<T> p, StepSchedule s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var pipeline = new ProjectionPipeline<T>(Unsafe.AsPointer(ref p), Unsafe.AsPointer(ref s), PipelineChunkSteps(s));
        WorkerPool.Gang(2, &ProjectionPipeline<T>.Run, &pipeline);
        return pipeline.Ran;
    }

    /// <summary>Steps per projected chunk: at least two chunks, else 0 (no pipeline).</summary>
    internal static int PipelineChunkSteps(StepSchedule s)
    {
        if (s.MaxBatch == 0) return 0;
        int chunk = Math.Max(1, PipelineChunkRows / s.MaxBatch);
        return s.Steps >= 2 * chunk ? chunk : 0;
    }

    // Before the loop's k-th step: wait until the worker has projected it.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void AwaitProjection(int* projectedSteps, int k)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref *projectedSteps) <= k) spin.SpinOnce(sleep1Threshold: -1);
    }

    // The worker's side: chunks of steps in loop order (last to first for a reverse direction), each one product
    // over its contiguous packed rows; publishes the count of steps done after each. Publishes "all" on the way out,
    // so a failure never leaves the caller waiting (the pool rethrows it).
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
                if (rows > 0) ProjectInputs(ref p, row, rows, threads: 1);
                Volatile.Write(ref *projectedSteps, k1);
            }
        }
        finally { Volatile.Write(ref *projectedSteps, int.MaxValue); }
    }

    /// <summary>The gang's state for <see cref="TryProjectAlongside"/>: the caller's pass and schedule by pointer.</summary>
    private unsafe struct ProjectionPipeline<T>(void* pass, void* schedule, int chunk) where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly void* _pass = pass, _schedule = schedule;
        private readonly int _chunk = chunk;
        /// <summary>Steps (in loop order) whose gates hold their input projection.</summary>
        private int _projectedSteps;
        /// <summary>Whether a worker joined (else the caller did nothing and the pass runs the plain way).</summary>
        public bool Ran;

        public static void Run(void* state, GangMember member)
        {
            ref ProjectionPipeline<T> pipeline = ref Unsafe.AsRef<ProjectionPipeline<T>>(state);
            if (member.Count < 2) return;
            ref var p = ref Unsafe.AsRef<DirectionForward<T>>(pipeline._pass);
            var s = Unsafe.AsRef<StepSchedule>(pipeline._schedule);
            int* projected = (int*)Unsafe.AsPointer(ref pipeline._projectedSteps);
            if (member.Index == 1) { ProjectChunks(ref p, s, pipeline._chunk, projected); return; }
            pipeline.Ran = true;
            p.ProjectedSteps = projected;
            try { ForwardRows(ref p, s, 0, s.MaxBatch, 1); }
            finally { p.ProjectedSteps = null; }
        }
    }
}
