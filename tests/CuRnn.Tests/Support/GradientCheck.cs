namespace CuRnn.Tests.Support;

/// <summary>
/// Loss L = Σ y·wy + Σ hN·whN + Σ cN·wcN with random weights; backward with dy = wy, dhN = whN, dcN = wcN must
/// equal the central differences of L in every input, initial state and parameter.
/// </summary>
internal static class GradientCheck
{
    public sealed record Result(List<(string Name, double Error)> Errors)
    {
        public override string ToString() => string.Join(", ", Errors.Select(e => $"{e.Name} {e.Error:E2}"));
    }

    public static Result Run(Rnn<double> rnn, Random r, SequenceLayout layout, int steps, int batchSize, ExecutionMode mode, double eps, ulong? dropoutSeed = null)
    {
        var o = rnn.Options;
        var lengths = TestData.MixedLengths(r, batchSize, steps);
        if (layout == SequenceLayout.Packed) lengths = lengths.OrderByDescending(l => l).ToArray();
        var batch = layout == SequenceLayout.Packed ? SequenceBatch.Packed(lengths) : SequenceBatch.Padded(layout, steps, lengths);
        bool lstm = o.Cell == RnnCellKind.Lstm;
        long ld = (long)o.NumLayers * o.Directions * batchSize;
        var x = TestData.Uniform<double>(r, batch.ElementCount(o.InputSize));
        var h0 = TestData.Uniform<double>(r, ld * o.OutputSize, 0.5);
        var c0 = lstm ? TestData.Uniform<double>(r, ld * o.HiddenSize, 0.5) : [];
        var wy = TestData.Uniform<double>(r, batch.ElementCount(o.OutputFeatures));
        var whN = TestData.Uniform<double>(r, ld * o.OutputSize);
        var wcN = lstm ? TestData.Uniform<double>(r, ld * o.HiddenSize) : [];

        double Loss()
        {
            if (dropoutSeed is { } s) rnn.ReseedDropout(s);
            var y = new double[wy.Length]; var hN = new double[whN.Length]; var cN = new double[wcN.Length];
            // A training forward, so dropout applies exactly as in the analytic pass.
            using var tape = rnn.ForwardTraining(batch, new(x) { H0 = h0, C0 = c0 }, new(y) { HN = hN, CN = cN }, mode);
            return Dot(y, wy) + Dot(hN, whN) + Dot(cN, wcN);
        }

        // Analytic.
        if (dropoutSeed is { } seed) rnn.ReseedDropout(seed);
        var yA = TestData.Poisoned<double>(wy.Length);
        var tapeA = rnn.ForwardTraining(batch, new(x) { H0 = h0, C0 = c0 }, new(yA) { HN = TestData.Poisoned<double>(whN.Length), CN = lstm ? TestData.Poisoned<double>(wcN.Length) : default }, mode);
        var dx = TestData.Poisoned<double>(x.Length);
        var dh0 = TestData.Poisoned<double>(h0.Length);
        var dc0 = lstm ? TestData.Poisoned<double>(c0.Length) : [];
        var grads = TestData.Poisoned<double>(rnn.ParameterCount);
        rnn.Backward(tapeA, new(wy) { DHN = whN, DCN = wcN }, new(dx, grads) { DH0 = dh0, DC0 = dc0 }, GradientMode.Overwrite);

        var errors = new List<(string, double)>
        {
            ("dx", TestData.RelativeError<double>(dx, Numeric(x, Loss, eps))),
            ("dh0", TestData.RelativeError<double>(dh0, Numeric(h0, Loss, eps))),
        };
        if (lstm) errors.Add(("dc0", TestData.RelativeError<double>(dc0, Numeric(c0, Loss, eps))));
        var parameters = rnn.Parameters.ToArray();
        var numericW = new double[parameters.Length];
        for (int i = 0; i < parameters.Length; i++)
        {
            double v = parameters[i];
            rnn.Parameters[i] = v + eps; double lp = Loss();
            rnn.Parameters[i] = v - eps; double lm = Loss();
            rnn.Parameters[i] = v;
            numericW[i] = (lp - lm) / (2 * eps);
        }
        foreach (var info in rnn.ParameterInfos)
            errors.Add((info.Name, TestData.RelativeError<double>(grads.AsSpan(info.Offset, info.Length), numericW.AsSpan(info.Offset, info.Length))));
        return new Result(errors);
    }

    /// <summary>Central differences of <paramref name="loss"/> with respect to each element of <paramref name="a"/>.</summary>
    public static double[] Numeric(double[] a, Func<double> loss, double eps)
    {
        var g = new double[a.Length];
        for (int i = 0; i < a.Length; i++)
        {
            double v = a[i];
            a[i] = v + eps; double lp = loss();
            a[i] = v - eps; double lm = loss();
            a[i] = v;
            g[i] = (lp - lm) / (2 * eps);
        }
        return g;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }
}
