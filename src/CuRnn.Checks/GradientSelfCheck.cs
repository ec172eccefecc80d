namespace CuRnn.Checks;

/// <summary>
/// Gradients of the managed engine against central finite differences in float64: for each cell, a 2-layer
/// bidirectional layer on a mixed-length batch; the loss is a fixed random projection of y and hN; every parameter,
/// every input element and every initial state element is perturbed.
/// </summary>
internal static class GradientSelfCheck
{
    /// <summary>Relative error allowed: float64 central differences with step 1e-6 agree to about 1e-9.</summary>
    public const double Tolerance = 1e-6;

    /// <summary>For each cell: the largest relative error over dW, dx and dh0.</summary>
    public static IEnumerable<(string Case, double Error)> Run()
    {
        var r = new Random(Environment.TickCount);
        foreach (var cell in Enum.GetValues<RnnCellKind>())
        {
            var o = new RnnOptions { Cell = cell, InputSize = 3, HiddenSize = 4, NumLayers = 2, Bidirectional = true, Backend = RnnBackend.Managed };
            using var rnn = new Rnn<double>(o);
            rnn.ResetParameters((ulong)r.NextInt64());
            int n = 3, steps = 4;
            var lengths = ParityRun.MixedLengths(r, n, steps);
            var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengths);
            var x = ManagedSelfCheck.Random(r, batch.ElementCount(o.InputSize));
            int stateLength = o.NumLayers * o.Directions * n * o.OutputSize;
            var h0 = ManagedSelfCheck.Random(r, stateLength);
            var wy = ManagedSelfCheck.Random(r, batch.ElementCount(o.OutputFeatures));
            var wh = ManagedSelfCheck.Random(r, stateLength);
            var y = new double[wy.Length];
            var hN = new double[stateLength];

            double Loss()
            {
                rnn.Forward(batch, new(x) { H0 = h0 }, new(y) { HN = hN });
                double loss = 0;
                for (int i = 0; i < y.Length; i++) loss += y[i] * wy[i];
                for (int i = 0; i < hN.Length; i++) loss += hN[i] * wh[i];
                return loss;
            }

            var dx = new double[x.Length];
            var dh0 = new double[h0.Length];
            var g = new double[rnn.ParameterCount];
            using (var tape = rnn.ForwardTraining(batch, new(x) { H0 = h0 }, new(y) { HN = hN }))
                rnn.Backward(tape, new(wy) { DHN = wh }, new(dx, g) { DH0 = dh0 }, GradientMode.Overwrite);

            double worst = 0;
            var parameters = rnn.Parameters.ToArray();
            for (int i = 0; i < parameters.Length; i++)
            {
                double numeric = Central(v => { rnn.Parameters[i] = v; return Loss(); }, parameters[i]);
                worst = Math.Max(worst, Relative(g[i], numeric));
            }
            for (int i = 0; i < x.Length; i++) worst = Math.Max(worst, Relative(dx[i], Central(v => { x[i] = v; return Loss(); }, x[i])));
            for (int i = 0; i < h0.Length; i++) worst = Math.Max(worst, Relative(dh0[i], Central(v => { h0[i] = v; return Loss(); }, h0[i])));
            yield return ($"{cell} L2 bidirectional, lengths [{string.Join(",", lengths)}]", worst);
        }
    }

    private static double Central(Func<double, double> lossAt, double value)
    {
        const double step = 1e-6;
        double plus = lossAt(value + step), minus = lossAt(value - step);
        lossAt(value);
        return (plus - minus) / (2 * step);
    }

    // Scaled so that tiny gradients are compared absolutely.
    private static double Relative(double analytic, double numeric) => Math.Abs(analytic - numeric) / Math.Max(1, Math.Abs(numeric));
}
