namespace CuRnn.Checks;

/// <summary>Checks that need no GPU: static and dynamic mode of the managed engine agree on fresh random data.</summary>
internal static class ManagedSelfCheck
{
    /// <summary>float64 static and dynamic differ only by summation order.</summary>
    public const double Tolerance = 1e-10;

    /// <summary>For each cell: the largest relative difference between static and dynamic mode over y, hN, dx and dW.</summary>
    public static IEnumerable<(string Case, double Error)> StaticEqualsDynamic()
    {
        var r = new Random(Environment.TickCount);
        foreach (var cell in Enum.GetValues<RnnCellKind>())
        {
            var o = new RnnOptions { Cell = cell, InputSize = 4, HiddenSize = 6, NumLayers = 2, Bidirectional = true, Backend = RnnBackend.Managed };
            using var rnn = new Rnn<double>(o);
            rnn.ResetParameters((ulong)r.NextInt64());
            var lengths = ParityRun.MixedLengths(r, 5, 6);
            var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, 6, lengths);
            var x = Random(r, batch.ElementCount(o.InputSize));
            var dy = Random(r, batch.ElementCount(o.OutputFeatures));
            var results = new List<double[]>[2];
            foreach (var mode in Enum.GetValues<ExecutionMode>())
            {
                var y = new double[dy.Length];
                var hN = new double[o.NumLayers * o.Directions * 5 * o.OutputSize];
                var dx = new double[x.Length];
                var g = new double[rnn.ParameterCount];
                using (var tape = rnn.ForwardTraining(batch, new(x), new(y) { HN = hN }, mode))
                    rnn.Backward(tape, dy, dx, g, gradientMode: GradientMode.Overwrite);
                results[(int)mode] = [y, hN, dx, g];
            }
            double worst = 0;
            for (int i = 0; i < results[0].Count; i++)
                worst = Math.Max(worst, Relative(results[1][i], results[0][i]));
            yield return ($"{cell} L2 bidirectional, mixed lengths", worst);
        }
    }

    private static double Relative(double[] a, double[] b)
    {
        double diff = 0, scale = 0;
        for (int i = 0; i < a.Length; i++) { diff = Math.Max(diff, Math.Abs(a[i] - b[i])); scale = Math.Max(scale, Math.Abs(b[i])); }
        return diff == 0 ? 0 : diff / scale;
    }

    internal static double[] Random(Random r, long n)
    {
        var a = new double[n];
        for (long i = 0; i < n; i++) a[i] = 2 * r.NextDouble() - 1;
        return a;
    }
}
