using System.Numerics;

namespace CuRnn.Tests.Support;

/// <summary>Fresh random data for every check (the seed is printed so a failure can be replayed), poison and error measures.</summary>
internal static class TestData
{
    /// <summary>A generator with a fresh seed, written to the test's output.</summary>
    public static Random NewRandom()
    {
        // A failed run prints its seed; CURNN_TEST_SEED=<seed> replays that draw (with a --filter for the one test).
        int seed = int.TryParse(Environment.GetEnvironmentVariable("CURNN_TEST_SEED"), out int fixedSeed) ? fixedSeed : TestContext.CurrentContext.Random.Next();
        TestContext.Out.WriteLine($"data seed {seed}");
        return new Random(seed);
    }

    /// <summary>Uniform values in [-scale, scale], never all zeros.</summary>
    public static T[] Uniform<T>(Random r, long count, double scale = 1.0) where T : INumber<T>
    {
        var a = new T[count];
        for (long i = 0; i < count; i++) a[i] = T.CreateChecked((2 * r.NextDouble() - 1) * scale);
        return a;
    }

    /// <summary>Fills a buffer with NaN so an element the code under test forgets to write is caught.</summary>
    public static T[] Poisoned<T>(long count) where T : IFloatingPointIeee754<T>
    {
        var a = new T[count];
        Array.Fill(a, T.NaN);
        return a;
    }

    /// <summary>Random lengths in 0..T for B sequences that include 0 and T (for B ≥ 2), in random order.</summary>
    public static int[] MixedLengths(Random r, int batch, int steps)
    {
        var lengths = new int[batch];
        for (int b = 0; b < batch; b++) lengths[b] = r.Next(0, steps + 1);
        if (batch >= 2) { lengths[0] = steps; lengths[1] = 0; }
        r.Shuffle(lengths);
        if (lengths.All(l => l == 0)) lengths[0] = steps;
        return lengths;
    }

    /// <summary>max |actual - expected| / max |expected| (magnitude-scaled relative error); NaN anywhere gives +∞.</summary>
    public static double RelativeError<T>(ReadOnlySpan<T> actual, ReadOnlySpan<double> expected) where T : INumber<T>
    {
        if (actual.Length != expected.Length) throw new ArgumentException($"lengths differ: {actual.Length} vs {expected.Length}");
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double a = double.CreateChecked(actual[i]);
            if (double.IsNaN(a) || double.IsNaN(expected[i])) return double.PositiveInfinity;
            maxDiff = Math.Max(maxDiff, Math.Abs(a - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        return maxDiff == 0 ? 0 : maxDiff / Math.Max(maxRef, 1e-30);
    }

    public static double[] ToDouble<T>(ReadOnlySpan<T> s) where T : INumber<T>
    {
        var d = new double[s.Length];
        for (int i = 0; i < s.Length; i++) d[i] = double.CreateChecked(s[i]);
        return d;
    }

    public static bool AllFinite<T>(ReadOnlySpan<T> s) where T : IFloatingPointIeee754<T>
    {
        foreach (var v in s) if (!T.IsFinite(v)) return false;
        return true;
    }
}
