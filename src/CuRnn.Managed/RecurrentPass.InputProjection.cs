using System.Runtime.CompilerServices;

namespace CuRnn.Managed;

internal static partial class RecurrentPass
{
    // Above this, streaming both packed weight matrices at every step costs more than the all-steps product saves.
    private const long PerStepWeightBytesLimit = 16L << 20;

    /// <summary>
    /// Whether dynamic mode should project each step's inputs inside the step loop (what static mode always does)
    /// instead of all steps in one product before it. Per step, each thread projects its own rows and the gates
    /// stay in cache, where the all-steps product writes them for every step first and reads them back later (13 MB
    /// at 32 rows × 50 steps × 2048 gate columns). That wins whenever the step loop runs on every thread the call
    /// may use (one thread, or rows split between them), every step has the whole batch, and both packed weight
    /// matrices fit in <see cref="PerStepWeightBytesLimit"/>. It loses when the rows are too few to split (the
    /// all-steps product is then the work the threads share), with mixed lengths (the later steps' few rows fill the
    /// kernel's tiles poorly; the all-steps product packs them densely) and with large weights (I = H = 1024: 32 MB
    /// streamed per step). Measured: docs/performance-notes.md.
    /// </summary>
    /// <param name="s">The step schedule of the call.</param>
    /// <param name="inputSize">Input features of the layer.</param>
    /// <param name="recurrentSize">Features of the recurrent state (the projection size when there is one).</param>
    /// <param name="gateWidth">Gate columns: gates × hidden size.</param>
    /// <param name="threads">Threads the call may use.</param>
    public static bool PerStepInputProjectionPays<T>(StepSchedule s, int inputSize, int recurrentSize, int gateWidth, int threads) where T : unmanaged
    {
        if (s.Rows != (long)s.Steps * s.MaxBatch) return false;
        long weightBytes = (long)(inputSize + recurrentSize) * gateWidth * Unsafe.SizeOf<T>();
        if (weightBytes > PerStepWeightBytesLimit) return false;
        return threads <= 1 || RowParts(s, threads) >= threads;
    }
}
