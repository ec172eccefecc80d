using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace CuRnn.Benchmarks;

/// <summary>
/// The machine's single-precision FMA peak, measured in this process: on each of N threads, 12 independent chains of
/// fused multiply-adds on the widest hardware vector (enough chains to cover the FMA units' latency), for a fixed
/// time. The suite gives each figure as a share of this.
/// </summary>
internal static class FmaPeak
{
    private static readonly Dictionary<int, double> s_measured = [];

    /// <summary>GFLOP/s with <paramref name="threads"/> threads (measured once per count).</summary>
    public static double Gflops(int threads)
    {
        lock (s_measured)
        {
            if (!s_measured.TryGetValue(threads, out double g)) s_measured[threads] = g = Measure(threads);
            return g;
        }
    }

    private static double Measure(int threads)
    {
        var flops = new double[threads];
        var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(i => new Thread(() => { start.SignalAndWait(); flops[i] = Run(TimeSpan.FromMilliseconds(300)); })).ToList();
        var clock = Stopwatch.StartNew();
        workers.ForEach(t => t.Start());
        workers.ForEach(t => t.Join());
        return flops.Sum() / clock.Elapsed.TotalSeconds / 1e9;
    }

    // FLOPs done in about `time` on this thread.
    private static double Run(TimeSpan time)
    {
        long end = Stopwatch.GetTimestamp() + (long)(time.TotalSeconds * Stopwatch.Frequency);
        double flops = 0;
        while (Stopwatch.GetTimestamp() < end)
            flops += Vector512.IsHardwareAccelerated ? Chains512(1 << 16) : Chains256(1 << 16);
        return flops;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Chains256(int rounds)
    {
        var m = Vector256.Create(0.999999f);
        var a = Vector256.Create(1e-7f);
        Vector256<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (int i = 0; i < rounds; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a); c2 = Vector256.FusedMultiplyAdd(c2, m, a);
            c3 = Vector256.FusedMultiplyAdd(c3, m, a); c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a); c8 = Vector256.FusedMultiplyAdd(c8, m, a);
            c9 = Vector256.FusedMultiplyAdd(c9, m, a); c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }
        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        return sum[0] < 0 ? 0 : 12.0 * 2 * Vector256<float>.Count * rounds;   // the sum keeps the chains alive
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static double Chains512(int rounds)
    {
        var m = Vector512.Create(0.999999f);
        var a = Vector512.Create(1e-7f);
        Vector512<float> c0 = a, c1 = a, c2 = a, c3 = a, c4 = a, c5 = a, c6 = a, c7 = a, c8 = a, c9 = a, c10 = a, c11 = a;
        for (int i = 0; i < rounds; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(c0, m, a); c1 = Vector512.FusedMultiplyAdd(c1, m, a); c2 = Vector512.FusedMultiplyAdd(c2, m, a);
            c3 = Vector512.FusedMultiplyAdd(c3, m, a); c4 = Vector512.FusedMultiplyAdd(c4, m, a); c5 = Vector512.FusedMultiplyAdd(c5, m, a);
            c6 = Vector512.FusedMultiplyAdd(c6, m, a); c7 = Vector512.FusedMultiplyAdd(c7, m, a); c8 = Vector512.FusedMultiplyAdd(c8, m, a);
            c9 = Vector512.FusedMultiplyAdd(c9, m, a); c10 = Vector512.FusedMultiplyAdd(c10, m, a); c11 = Vector512.FusedMultiplyAdd(c11, m, a);
        }
        var sum = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
        return sum[0] < 0 ? 0 : 12.0 * 2 * Vector512<float>.Count * rounds;
    }
}
