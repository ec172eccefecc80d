namespace CuRnn.Checks;

/// <summary>
/// Writes to the parameters reach the engine's prepared copy (packed weights, device weight space) as
/// <see cref="ParameterSync"/> promises: with Compare, a write through a span held across calls; with Announced, a
/// write followed by <see cref="Rnn{T}.ParametersChanged"/>, and CuRnn's own writers (reset, load) with no call;
/// forward calls in both modes and a stream's steps.
/// Each is judged against a fresh layer given the same parameters.
/// </summary>
internal static class ParameterSyncCheck
{
    /// <summary>The same engine, inputs and parameters must give the same outputs; the fresh layer may take another algorithm path only in rounding.</summary>
    public const double Tolerance = 1e-6;

    /// <summary>One row per sync mode and kind of write: the relative difference from the fresh layer (in both modes).</summary>
    public static IEnumerable<(string Case, double Error)> Run(RnnBackend backend, int seed)
    {
        var r = new Random(seed);
        var baseOptions = new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 5, HiddenSize = 7, NumLayers = 2, Bidirectional = true, Backend = backend };
        var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, 6, ParityRun.MixedLengths(r, 4, 6));
        var x = ParityRun.Uniform(r, batch.ElementCount(baseOptions.InputSize));
        foreach (var sync in Enum.GetValues<ParameterSync>())
        {
            var o = baseOptions with { ParameterSync = sync };
            using var rnn = new Rnn<float>(o);
            foreach (var mode in Enum.GetValues<ExecutionMode>())
                Forward(rnn, batch, x, mode);   // both modes prepare their copies of the first parameters

            // A span taken before the calls, written after them (an optimizer holding the buffer).
            var held = rnn.Parameters;
            foreach (var mode in Enum.GetValues<ExecutionMode>()) Forward(rnn, batch, x, mode);
            for (int i = 0; i < held.Length; i++) held[i] = (float)(2 * r.NextDouble() - 1) * 0.4f;
            if (sync == ParameterSync.Announced) rnn.ParametersChanged();
            yield return ($"{sync}: write through a held span{(sync == ParameterSync.Announced ? " + ParametersChanged()" : "")}", Worst(rnn, batch, x));

            rnn.ResetParameters((ulong)r.NextInt64());
            yield return ($"{sync}: ResetParameters", Worst(rnn, batch, x));

            using var donor = new Rnn<float>(o with { Seed = (ulong)r.NextInt64() });
            string path = Path.Combine(Path.GetTempPath(), $"curnn-sync-{Guid.NewGuid():N}.safetensors");
            try
            {
                donor.SaveWeights(path);
                rnn.LoadWeights(path);
            }
            finally { File.Delete(path); }
            yield return ($"{sync}: LoadWeights", Worst(rnn, batch, x));

            yield return ($"{sync}: write between stream steps", StreamAfterWrite(baseOptions with { ParameterSync = sync, Bidirectional = false }, r));
        }
    }

    // A stream steps once, its layer's parameters are written (and announced), and it steps again from a zero state:
    // the second step must use the new parameters, as a fresh layer's stream does.
    private static double StreamAfterWrite(RnnOptions o, Random r)
    {
        const int batch = 3;
        var x = ParityRun.Uniform(r, batch * o.InputSize);
        using var rnn = new Rnn<float>(o);
        using var stream = rnn.CreateStream(batch);
        var y = new float[batch * o.OutputSize];
        stream.Step(x, y);
        var held = rnn.Parameters;
        for (int i = 0; i < held.Length; i++) held[i] = (float)(2 * r.NextDouble() - 1) * 0.4f;
        if (o.ParameterSync == ParameterSync.Announced) rnn.ParametersChanged();
        stream.Reset();
        Array.Fill(y, float.NaN);
        stream.Step(x, y);

        using var fresh = new Rnn<float>(o);
        rnn.Parameters.CopyTo(fresh.Parameters);
        fresh.ParametersChanged();
        using var freshStream = fresh.CreateStream(batch);
        var expected = new float[y.Length];
        freshStream.Step(x, expected);
        return ParityRun.RelativeError(y, Array.ConvertAll(expected, v => (double)v));
    }

    // The layer against a fresh one with a copy of its parameters, in both modes.
    private static double Worst(Rnn<float> rnn, SequenceBatch batch, float[] x)
    {
        using var fresh = new Rnn<float>(rnn.Options);
        rnn.Parameters.CopyTo(fresh.Parameters);
        fresh.ParametersChanged();
        double worst = 0;
        foreach (var mode in Enum.GetValues<ExecutionMode>())
        {
            var expected = Forward(fresh, batch, x, mode);
            var actual = Forward(rnn, batch, x, mode);
            worst = Math.Max(worst, ParityRun.RelativeError(actual, Array.ConvertAll(expected, v => (double)v)));
        }
        return worst;
    }

    private static float[] Forward(Rnn<float> rnn, SequenceBatch batch, float[] x, ExecutionMode mode)
    {
        var y = new float[batch.ElementCount(rnn.Options.OutputFeatures)];
        Array.Fill(y, float.NaN);
        rnn.Forward(batch, x, y, mode: mode);
        return y;
    }
}
