using System.Diagnostics;

namespace CuRnn.Checks;

/// <summary>One measured row of the managed engine.</summary>
/// <param name="Shape">The shape.</param>
/// <param name="What">forward / train and the mode.</param>
/// <param name="MedianMs">Median wall time of one call.</param>
/// <param name="PlannedHostBytes">What the engine plans to hold for the call (workspace and saved activations).</param>
/// <param name="PeakWorkingSetBytes">The process's peak working set after the calls.</param>
/// <param name="AllocatedBytesPerCall">Managed bytes allocated per call in steady state.</param>
/// <param name="Threads">The layer's thread budget.</param>
internal sealed record ManagedBenchRow(BenchShape Shape, string What, double MedianMs, long PlannedHostBytes, long PeakWorkingSetBytes, long AllocatedBytesPerCall,
    int Threads)
{
    /// <summary>Achieved GFLOP/s (training steps count 3× the forward).</summary>
    public double Gflops => Shape.Gflops(What, MedianMs);
}

/// <summary>Latency and memory of the managed engine: forward and training step, static and dynamic.</summary>
internal static class ManagedBenchmark
{
    /// <summary>Measures <paramref name="shape"/> with <paramref name="threads"/> threads (0: the cores this process may
    /// use); each row is the median of <paramref name="repetitions"/> calls after warm-up.</summary>
    public static IEnumerable<ManagedBenchRow> Run(BenchShape shape, int repetitions = 10, int threads = 0)
    {
        var (batch, x, y, dy, dx) = shape.Data(new Random(1));
        var options = shape.Options(RnnBackend.Managed) with { MaxThreads = threads };
        threads = threads == 0 ? ManagedThreads.Available : threads;
        using var rnn = new Rnn<float>(options);
        var g = new float[rnn.ParameterCount];
        foreach (var mode in Enum.GetValues<ExecutionMode>())
        {
            var forwardPlan = rnn.PlanMemory(batch, training: false, mode);
            yield return Measure(shape, $"forward {mode}", forwardPlan, repetitions, threads, () => rnn.Forward(batch, x, y, mode: mode));
            var trainPlan = rnn.PlanMemory(batch, training: true, mode);
            yield return Measure(shape, $"train {mode}", trainPlan, repetitions, threads, () =>
            {
                using var tape = rnn.ForwardTraining(batch, x, y, mode: mode);
                rnn.Backward(tape, dy, dx, g);
            });
        }
    }

    private static ManagedBenchRow Measure(BenchShape shape, string what, RnnMemoryPlan plan, int repetitions, int threads, Action call)
    {
        // Warm up long enough for the JIT's optimised tier to replace the first-call code.
        long warm = Stopwatch.GetTimestamp();
        for (int i = 0; i < 3 || Stopwatch.GetElapsedTime(warm).TotalMilliseconds < 500; i++) call();
        var times = new double[repetitions];
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < repetitions; i++)
        {
            long start = Stopwatch.GetTimestamp();
            call();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        allocated = (GC.GetAllocatedBytesForCurrentThread() - allocated) / repetitions;
        Array.Sort(times);
        using var process = Process.GetCurrentProcess();
        return new ManagedBenchRow(shape, what, times[repetitions / 2], plan.HostBytes, process.PeakWorkingSet64, allocated, threads);
    }
}
