using CuRnn.Native.Cuda;

namespace CuRnn.Checks;

/// <summary>The outcome of one parity case: the relative error of every tensor, and whether all are under the tolerance.</summary>
/// <param name="Case">The case.</param>
/// <param name="Seed">The data seed (replay with it).</param>
/// <param name="Errors">max |gpu - reference| / max |reference| per tensor (∞ when an element was left unwritten).</param>
/// <param name="Tolerance">The limit.</param>
internal sealed record ParityResult(ParityCase Case, int Seed, IReadOnlyList<(string Tensor, double Error)> Errors, double Tolerance)
{
    /// <summary>The largest error.</summary>
    public double MaxError => Errors.Count == 0 ? 0 : Errors.Max(e => e.Error);
    /// <summary>Whether every tensor is within the tolerance.</summary>
    public bool Passed => Errors.All(e => e.Error < Tolerance);
    /// <summary>One line: name, verdict, worst tensor.</summary>
    public override string ToString() =>
        $"{Case.Name}: {(Passed ? "pass" : "FAIL")} max rel. error {MaxError:E2} ({string.Join(", ", Errors.Select(e => $"{e.Tensor} {e.Error:E1}"))}), seed {Seed}";
}

/// <summary>
/// Runs a parity case: the cuDNN engine in strict FP32 against the managed engine in float64 on the same weights and
/// fresh random data, forward (training form) and backward, every output poisoned with NaN beforehand.
/// </summary>
internal static class ParityRun
{
    /// <summary>The contract's limit for strict FP32 against a float64 reference.</summary>
    public const double Tolerance = 1e-5;

    /// <summary>
    /// Runs a training forward and backward on <paramref name="c"/>'s layer with swap off and on, same weights and data,
    /// and returns the elements that differ (the contract: swapping is bitwise invisible). Host spans.
    /// </summary>
    public static int SwapDifferences(ParityCase c, int seed)
    {
        var r = new Random(seed);
        var o = c.Options(RnnBackend.Cudnn);
        int b = ParityCase.Batch, steps = ParityCase.Steps;
        var lengths = c.Rectangular ? Enumerable.Repeat(steps, b).ToArray() : MixedLengths(r, b, steps);
        var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengths);
        var x = Uniform(r, batch.ElementCount(o.InputSize));
        var dy = Uniform(r, batch.ElementCount(o.OutputFeatures));
        float[][] Run(bool swap)
        {
            using var rnn = new Rnn<float>(o with { SwapActivations = swap });
            rnn.ResetParameters((ulong)seed);
            var y = new float[dy.Length]; var dx = new float[x.Length]; var g = new float[rnn.ParameterCount];
            var hN = new float[o.NumLayers * o.Directions * b * o.OutputSize];
            using (var tape = rnn.ForwardTraining(batch, new(x), new(y) { HN = hN }))
                rnn.Backward(tape, dy, dx, g, gradientMode: GradientMode.Overwrite);
            return [y, hN, dx, g];
        }
        var off = Run(false);
        var on = Run(true);
        int differ = 0;
        for (int i = 0; i < off.Length; i++)
            for (int j = 0; j < off[i].Length; j++)
                if (BitConverter.SingleToInt32Bits(off[i][j]) != BitConverter.SingleToInt32Bits(on[i][j])) differ++;
        return differ;
    }

    /// <summary>Runs <paramref name="c"/> with data drawn from <paramref name="seed"/>.</summary>
    /// <exception cref="BackendUnavailableException">cuDNN cannot run here (a parity case never falls back to the managed engine).</exception>
    public static ParityResult Run(ParityCase c, int seed)
    {
        var r = new Random(seed);
        using var gpu = new Rnn<float>(c.Options(RnnBackend.Cudnn));
        if (gpu.Backend != RnnBackend.Cudnn)
            throw new InvalidOperationException($"the layer runs on {gpu.Backend}, not cuDNN: {gpu.Selection.Reason}");
        using var reference = new Rnn<double>(c.Options(RnnBackend.Managed) with { Precision = RnnPrecision.Strict });
        gpu.ResetParameters((ulong)seed);
        for (int i = 0; i < gpu.ParameterCount; i++) reference.Parameters[i] = gpu.Parameters[i];

        var o = gpu.Options;
        int b = ParityCase.Batch, steps = ParityCase.Steps;
        var lengths = c.Rectangular ? Enumerable.Repeat(steps, b).ToArray() : MixedLengths(r, b, steps);
        if (c.Layout == SequenceLayout.Packed) lengths = lengths.OrderByDescending(l => l).ToArray();
        var batch = c.Layout == SequenceLayout.Packed ? SequenceBatch.Packed(lengths) : SequenceBatch.Padded(c.Layout, steps, lengths);
        bool lstm = o.Cell == RnnCellKind.Lstm;
        int ld = o.NumLayers * o.Directions;
        long xLen = batch.ElementCount(o.InputSize), yLen = batch.ElementCount(o.OutputFeatures);
        var x = Uniform(r, xLen);
        PoisonPadding(batch, x, o.InputSize);   // padded positions of x must never be read
        var h0 = Uniform(r, ld * b * o.OutputSize);
        var c0 = lstm ? Uniform(r, ld * b * o.HiddenSize) : [];
        var dy = Uniform(r, yLen);
        var dhN = Uniform(r, h0.Length);
        var dcN = Uniform(r, c0.Length);

        // Reference: managed engine, float64.
        var ry = new double[yLen]; var rhN = new double[h0.Length]; var rcN = new double[c0.Length];
        var rdx = new double[xLen]; var rdh0 = new double[h0.Length]; var rdc0 = new double[c0.Length];
        var rg = new double[reference.ParameterCount];
        using (var tape = reference.ForwardTraining(batch, new(D(x)) { H0 = D(h0), C0 = D(c0) }, new(ry) { HN = rhN, CN = rcN }))
            reference.Backward(tape, new(D(dy)) { DHN = D(dhN), DCN = D(dcN) }, new(rdx, rg) { DH0 = rdh0, DC0 = rdc0 }, GradientMode.Overwrite);

        var y = Poisoned(yLen); var hN = Poisoned(h0.Length); var cN = Poisoned(c0.Length);
        var dx = Poisoned(xLen); var dh0 = Poisoned(h0.Length); var dc0 = Poisoned(c0.Length);
        var g = Poisoned(gpu.ParameterCount);
        var yInference = Poisoned(yLen); var hNInference = Poisoned(h0.Length);
        if (c.Api == ParityApi.HostSpans)
        {
            using (var tape = gpu.ForwardTraining(batch, new(x) { H0 = h0, C0 = c0 }, new(y) { HN = hN, CN = cN }))
                gpu.Backward(tape, new(dy) { DHN = dhN, DCN = dcN }, new(dx, g) { DH0 = dh0, DC0 = dc0 }, GradientMode.Overwrite);
            gpu.Forward(batch, new(x) { H0 = h0, C0 = c0 }, new(yInference) { HN = hNInference });
        }
        else RunOnDevice(gpu, batch, x, h0, c0, dy, dhN, dcN, y, hN, cN, dx, dh0, dc0, g, yInference, hNInference);

        var errors = new List<(string, double)>
        {
            ("y", RelativeError(y, ry)), ("hN", RelativeError(hN, rhN)), ("dx", RelativeError(dx, rdx)),
            ("dh0", RelativeError(dh0, rdh0)), ("dW", RelativeError(g, rg)),
            ("y (inference)", RelativeError(yInference, ry)), ("hN (inference)", RelativeError(hNInference, rhN)),
        };
        if (lstm) { errors.Add(("cN", RelativeError(cN, rcN))); errors.Add(("dc0", RelativeError(dc0, rdc0))); }
        return new ParityResult(c, seed, errors, c.Tolerance);
    }

    // Device-pointer API: the same data uploaded to buffers this code owns, the layer called with their addresses.
    private static unsafe void RunOnDevice(Rnn<float> gpu, SequenceBatch batch, float[] x, float[] h0, float[] c0, float[] dy,
        float[] dhN, float[] dcN, float[] y, float[] hN, float[] cN, float[] dx, float[] dh0, float[] dc0, float[] g,
        float[] yInference, float[] hNInference)
    {
        using var device = CudaDevice.Open(gpu.Options.DeviceOrdinal);
        var owned = new List<DeviceBuffer>();
        nint Up(float[] host)
        {
            if (host.Length == 0) return 0;
            var buffer = device.Allocate(host.Length * sizeof(float));
            owned.Add(buffer);
            fixed (float* p = host) CudaCopy.HostToDevice(buffer.Pointer, (nint)p, buffer.Bytes, 0);
            CudaApi.Check(CudaApi.cuCtxSynchronize(), "cuCtxSynchronize");
            return buffer.Pointer;
        }
        void Down(nint src, float[] host)
        {
            if (host.Length == 0) return;
            CudaApi.Check(CudaApi.cuCtxSynchronize(), "cuCtxSynchronize");
            fixed (float* p = host) CudaCopy.DeviceToHost((nint)p, src, host.Length * sizeof(float), 0);
            CudaApi.Check(CudaApi.cuCtxSynchronize(), "cuCtxSynchronize");
        }
        try
        {
            nint dX = Up(x), dH0 = Up(h0), dC0 = Up(c0), dY = Up(y), dHN = Up(hN), dCN = Up(cN);
            nint gDY = Up(dy), gDHN = Up(dhN), gDCN = Up(dcN), gDX = Up(dx), gDH0 = Up(dh0), gDC0 = Up(dc0), gW = Up(g);
            using (var tape = gpu.ForwardTrainingDevice(batch, new DeviceForwardTensors(dX, dY, dH0, dC0, dHN, dCN)))
                gpu.BackwardDevice(tape, new DeviceBackwardTensors(gDY, gDX, gW, gDHN, gDCN, gDH0, gDC0), GradientMode.Overwrite);
            Down(dY, y); Down(dHN, hN); Down(dCN, cN); Down(gDX, dx); Down(gDH0, dh0); Down(gDC0, dc0); Down(gW, g);
            nint iY = Up(yInference), iHN = Up(hNInference);
            gpu.ForwardDevice(batch, new DeviceForwardTensors(dX, iY, dH0, dC0, iHN));
            Down(iY, yInference); Down(iHN, hNInference);
        }
        finally { foreach (var b in owned) b.Dispose(); }
    }

    /// <summary>Random lengths in 0..T that include 0 and T, in random order.</summary>
    public static int[] MixedLengths(Random r, int batch, int steps)
    {
        var lengths = new int[batch];
        for (int i = 0; i < batch; i++) lengths[i] = r.Next(0, steps + 1);
        if (batch >= 2) { lengths[0] = steps; lengths[1] = 0; }
        r.Shuffle(lengths);
        return lengths;
    }

    /// <summary>max |actual - expected| / max |expected|; a NaN anywhere (an unwritten element) gives +∞.</summary>
    public static double RelativeError(ReadOnlySpan<float> actual, ReadOnlySpan<double> expected)
    {
        double maxDiff = 0, maxRef = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            if (float.IsNaN(actual[i]) || double.IsNaN(expected[i])) return double.PositiveInfinity;
            maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
            maxRef = Math.Max(maxRef, Math.Abs(expected[i]));
        }
        return maxDiff == 0 ? 0 : maxDiff / Math.Max(maxRef, 1e-30);
    }

    private static void PoisonPadding(SequenceBatch batch, float[] x, int features)
    {
        if (batch.Layout == SequenceLayout.Packed) return;
        for (int b = 0; b < batch.BatchSize; b++)
            for (int t = batch.Lengths[b]; t < batch.MaxLength; t++)
            {
                long at = batch.Layout == SequenceLayout.SequenceMajor ? ((long)t * batch.BatchSize + b) * features : ((long)b * batch.MaxLength + t) * features;
                x.AsSpan((int)at, features).Fill(float.NaN);
            }
    }

    internal static float[] Uniform(Random r, long n)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = (float)(2 * r.NextDouble() - 1);
        return a;
    }

    private static float[] Poisoned(long n)
    {
        var a = new float[n];
        Array.Fill(a, float.NaN);
        return a;
    }

    private static double[] D(float[] a) => Array.ConvertAll(a, v => (double)v);
}
