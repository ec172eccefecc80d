using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>One function, many routes: modes, layouts, orders, streaming, zero-length rows and the worked example shapes.</summary>
[TestFixture, Category("unit")]
public sealed class ConsistencyTests
{
    private const double Tolerance = 1e-5;

    private sealed record Run(float[] Y, float[] HN, float[] CN, float[] DX, float[] DH0, float[] DC0, float[] Grads);

    private static Run Execute(Rnn<float> rnn, SequenceBatch batch, float[] x, float[] h0, float[] c0, float[] dy, float[] dhN, float[] dcN, ExecutionMode mode)
    {
        var o = rnn.Options;
        var y = TestData.Poisoned<float>(batch.ElementCount(o.OutputFeatures));
        var hN = TestData.Poisoned<float>(h0.Length);
        var cN = TestData.Poisoned<float>(c0.Length);
        var tape = rnn.ForwardTraining(batch, new(x) { H0 = h0, C0 = c0 }, new(y) { HN = hN, CN = cN }, mode);
        var dx = TestData.Poisoned<float>(x.Length);
        var dh0 = TestData.Poisoned<float>(h0.Length);
        var dc0 = TestData.Poisoned<float>(c0.Length);
        var grads = TestData.Uniform<float>(new Random(1), rnn.ParameterCount);
        rnn.Backward(tape, new(dy) { DHN = dhN, DCN = dcN }, new(dx, grads) { DH0 = dh0, DC0 = dc0 }, GradientMode.Overwrite);
        return new Run(y, hN, cN, dx, dh0, dc0, grads);
    }

    private static void AssertSame(Run actual, Run expected, SequenceBatch aBatch, SequenceBatch eBatch, RnnOptions o, string what)
    {
        Assert.Multiple(() =>
        {
            Assert.That(TestData.RelativeError<float>(LayoutConvert.ToSequenceMajor(actual.Y, aBatch, o.OutputFeatures),
                TestData.ToDouble<float>(LayoutConvert.ToSequenceMajor(expected.Y, eBatch, o.OutputFeatures))), Is.LessThan(Tolerance), what + " y");
            Assert.That(TestData.RelativeError<float>(actual.HN, TestData.ToDouble<float>(expected.HN)), Is.LessThan(Tolerance), what + " hN");
            Assert.That(TestData.RelativeError<float>(actual.CN, TestData.ToDouble<float>(expected.CN)), Is.LessThan(Tolerance), what + " cN");
            Assert.That(TestData.RelativeError<float>(LayoutConvert.ToSequenceMajor(actual.DX, aBatch, o.InputSize),
                TestData.ToDouble<float>(LayoutConvert.ToSequenceMajor(expected.DX, eBatch, o.InputSize))), Is.LessThan(Tolerance), what + " dx");
            Assert.That(TestData.RelativeError<float>(actual.DH0, TestData.ToDouble<float>(expected.DH0)), Is.LessThan(Tolerance), what + " dh0");
            Assert.That(TestData.RelativeError<float>(actual.DC0, TestData.ToDouble<float>(expected.DC0)), Is.LessThan(Tolerance), what + " dc0");
            Assert.That(TestData.RelativeError<float>(actual.Grads, TestData.ToDouble<float>(expected.Grads)), Is.LessThan(Tolerance), what + " weight gradients");
        });
    }

    public static IEnumerable<TestCaseData> AllCases() => LayerCase.Cases(LayerCase.All());

    [TestCaseSource(nameof(AllCases))]
    public void Static_dynamic_layouts_and_orders_agree(LayerCase c)
    {
        var r = TestData.NewRandom();
        var o = c.Options(5, 6);
        using var rnn = new Rnn<float>(o);
        rnn.ResetParameters((ulong)r.NextInt64());
        int steps = 7, b = 6, ld = o.NumLayers * o.Directions;
        bool lstm = o.Cell == RnnCellKind.Lstm;
        var unsorted = TestData.MixedLengths(r, b, steps);
        var sorted = unsorted.OrderByDescending(l => l).ToArray();
        var h0 = TestData.Uniform<float>(r, ld * b * o.OutputSize);
        var c0 = lstm ? TestData.Uniform<float>(r, ld * b * o.HiddenSize) : [];
        var dhN = TestData.Uniform<float>(r, h0.Length);
        var dcN = TestData.Uniform<float>(r, c0.Length);
        var xSeq = TestData.Uniform<float>(r, (long)steps * b * o.InputSize);
        var dySeq = TestData.Uniform<float>(r, (long)steps * b * o.OutputFeatures);

        var reference = SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, sorted);
        var expected = Execute(rnn, reference, xSeq, h0, c0, dySeq, dhN, dcN, ExecutionMode.Dynamic);

        foreach (var mode in Enum.GetValues<ExecutionMode>())
            foreach (var layout in Enum.GetValues<SequenceLayout>())
            {
                var batch = layout == SequenceLayout.Packed ? SequenceBatch.Packed(sorted) : SequenceBatch.Padded(layout, steps, sorted);
                var run = Execute(rnn, batch, LayoutConvert.FromSequenceMajor(xSeq, batch, o.InputSize), h0, c0,
                    LayoutConvert.FromSequenceMajor(dySeq, batch, o.OutputFeatures), dhN, dcN, mode);
                AssertSame(run, expected, batch, reference, o, $"{mode} {layout}");
            }

        // Unsorted order: permute sequences (and their states) and compare with the sorted run permuted the same way.
        int[] perm = Enumerable.Range(0, b).ToArray();
        r.Shuffle(perm);
        var lengthsP = perm.Select(p => sorted[p]).ToArray();
        var batchP = SequenceBatch.Padded(SequenceLayout.BatchMajor, steps, lengthsP);
        var xP = PermuteSeq(xSeq, steps, b, o.InputSize, perm);
        var dyP = PermuteSeq(dySeq, steps, b, o.OutputFeatures, perm);
        var runP = Execute(rnn, batchP, LayoutConvert.FromSequenceMajor(xP, batchP, o.InputSize), PermuteSeq(h0, ld, b, o.OutputSize, perm),
            PermuteSeq(c0, ld, b, o.HiddenSize, perm), LayoutConvert.FromSequenceMajor(dyP, batchP, o.OutputFeatures),
            PermuteSeq(dhN, ld, b, o.OutputSize, perm), PermuteSeq(dcN, ld, b, o.HiddenSize, perm), ExecutionMode.Dynamic);
        var expectedP = expected with
        {
            Y = PermuteSeq(expected.Y, steps, b, o.OutputFeatures, perm), HN = PermuteSeq(expected.HN, ld, b, o.OutputSize, perm),
            CN = PermuteSeq(expected.CN, ld, b, o.HiddenSize, perm), DX = PermuteSeq(expected.DX, steps, b, o.InputSize, perm),
            DH0 = PermuteSeq(expected.DH0, ld, b, o.OutputSize, perm), DC0 = PermuteSeq(expected.DC0, ld, b, o.HiddenSize, perm),
        };
        AssertSame(runP, expectedP, batchP, SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengthsP), o, "unsorted batch-major");

        // Unsorted packed (enforce_sorted=False): rows longest first, states in the caller's order.
        foreach (var mode in Enum.GetValues<ExecutionMode>())
        {
            var packedP = SequenceBatch.Packed(lengthsP);
            var runPacked = Execute(rnn, packedP, LayoutConvert.FromSequenceMajor(xP, packedP, o.InputSize), PermuteSeq(h0, ld, b, o.OutputSize, perm),
                PermuteSeq(c0, ld, b, o.HiddenSize, perm), LayoutConvert.FromSequenceMajor(dyP, packedP, o.OutputFeatures),
                PermuteSeq(dhN, ld, b, o.OutputSize, perm), PermuteSeq(dcN, ld, b, o.HiddenSize, perm), mode);
            AssertSame(runPacked, expectedP, packedP, SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengthsP), o, $"unsorted packed {mode}");
        }
    }

    // [outer, B, f] with sequence s of the result = sequence perm[s] of the source.
    private static float[] PermuteSeq(float[] a, int outer, int b, int f, int[] perm)
    {
        if (a.Length == 0) return a;
        var r = new float[a.Length];
        for (int t = 0; t < outer; t++)
            for (int s = 0; s < b; s++) Array.Copy(a, (t * b + perm[s]) * f, r, (t * b + s) * f, f);
        return r;
    }

    [TestCaseSource(nameof(AllCases))]
    public void Zero_length_rows_follow_the_contract(LayerCase c)
    {
        var r = TestData.NewRandom();
        var o = c.Options(3, 4);
        using var rnn = new Rnn<float>(o);
        int steps = 4, b = 3, ld = o.NumLayers * o.Directions;
        bool lstm = o.Cell == RnnCellKind.Lstm;
        var lengths = new[] { 4, 0, 2 };
        var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengths);
        var h0 = TestData.Uniform<float>(r, ld * b * o.OutputSize);
        var c0 = lstm ? TestData.Uniform<float>(r, ld * b * o.HiddenSize) : [];
        var dhN = TestData.Uniform<float>(r, h0.Length);
        var dcN = TestData.Uniform<float>(r, c0.Length);
        var run = Execute(rnn, batch, TestData.Uniform<float>(r, batch.ElementCount(o.InputSize)), h0, c0,
            TestData.Uniform<float>(r, batch.ElementCount(o.OutputFeatures)), dhN, dcN, ExecutionMode.Dynamic);
        for (int t = 0; t < steps; t++)
        {
            Assert.That(run.Y.AsSpan((t * b + 1) * o.OutputFeatures, o.OutputFeatures).ToArray(), Is.All.EqualTo(0f), $"y of the empty row at t={t}");
            Assert.That(run.DX.AsSpan((t * b + 1) * o.InputSize, o.InputSize).ToArray(), Is.All.EqualTo(0f), $"dx of the empty row at t={t}");
            if (t >= 2) Assert.That(run.Y.AsSpan((t * b + 2) * o.OutputFeatures, o.OutputFeatures).ToArray(), Is.All.EqualTo(0f), $"padding of row 2 at t={t}");
        }
        for (int s = 0; s < ld; s++)
        {
            Assert.That(Row(run.HN, s, 1, b, o.OutputSize), Is.EqualTo(Row(h0, s, 1, b, o.OutputSize)), "hN = h0 for the empty row");
            Assert.That(Row(run.DH0, s, 1, b, o.OutputSize), Is.EqualTo(Row(dhN, s, 1, b, o.OutputSize)), "dh0 = dhN for the empty row");
            if (lstm)
            {
                Assert.That(Row(run.CN, s, 1, b, o.HiddenSize), Is.EqualTo(Row(c0, s, 1, b, o.HiddenSize)), "cN = c0 for the empty row");
                Assert.That(Row(run.DC0, s, 1, b, o.HiddenSize), Is.EqualTo(Row(dcN, s, 1, b, o.HiddenSize)), "dc0 = dcN for the empty row");
            }
        }
    }

    private static float[] Row(float[] a, int layerDir, int seq, int b, int w) => a.AsSpan((layerDir * b + seq) * w, w).ToArray();

    [Test]
    public void Inference_equals_training_forward_and_streaming_equals_static()
    {
        var r = TestData.NewRandom();
        foreach (var cell in Enum.GetValues<RnnCellKind>())
        {
            var o = new RnnOptions { Cell = cell, InputSize = 4, HiddenSize = 6, NumLayers = 2, ProjectionSize = cell == RnnCellKind.Lstm ? 3 : 0, Backend = RnnBackend.Managed };
            using var rnn = new Rnn<float>(o);
            int steps = 5, b = 3;
            var batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, steps, b);
            var x = TestData.Uniform<float>(r, batch.ElementCount(o.InputSize));
            var yInf = TestData.Poisoned<float>(batch.ElementCount(o.OutputFeatures));
            var hInf = TestData.Poisoned<float>(o.NumLayers * b * o.OutputSize);
            rnn.Forward(batch, new(x), new(yInf) { HN = hInf }, ExecutionMode.Static);
            var yTrain = TestData.Poisoned<float>(yInf.Length);
            using (rnn.ForwardTraining(batch, x, yTrain, mode: ExecutionMode.Static)) { }
            Assert.That(yTrain, Is.EqualTo(yInf), $"{cell}: training forward without dropout = inference");

            using var stream = rnn.CreateStream(b);
            var yStream = new float[yInf.Length];
            for (int t = 0; t < steps; t++)
                stream.Step(x.AsSpan(t * b * o.InputSize, b * o.InputSize), yStream.AsSpan(t * b * o.OutputSize, b * o.OutputSize));
            var hStream = new float[hInf.Length];
            stream.GetState(hStream);
            Assert.That(TestData.RelativeError<float>(yStream, TestData.ToDouble<float>(yInf)), Is.LessThan(Tolerance), $"{cell}: streamed y");
            Assert.That(TestData.RelativeError<float>(hStream, TestData.ToDouble<float>(hInf)), Is.LessThan(Tolerance), $"{cell}: streamed state");
        }
    }

    [Test]
    public void Accumulate_adds_to_the_gradient_buffer_and_overwrite_replaces_it()
    {
        var r = TestData.NewRandom();
        var o = new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 3, HiddenSize = 4, Backend = RnnBackend.Managed };
        using var rnn = new Rnn<double>(o);
        var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, 3, [3, 1]);
        var x = TestData.Uniform<double>(r, batch.ElementCount(3));
        var dy = TestData.Uniform<double>(r, batch.ElementCount(4));
        var y = new double[dy.Length];
        var once = new double[rnn.ParameterCount];
        rnn.Backward(rnn.ForwardTraining(batch, x, y), dy, default, once, gradientMode: GradientMode.Overwrite);
        var start = TestData.Uniform<double>(r, rnn.ParameterCount);
        var acc = (double[])start.Clone();
        rnn.Backward(rnn.ForwardTraining(batch, x, y), dy, default, acc);
        for (int i = 0; i < acc.Length; i++) Assert.That(acc[i], Is.EqualTo(start[i] + once[i]).Within(1e-12));
    }

    [Test]
    public void Dropout_is_seeded_training_only_and_scales_kept_values()
    {
        var r = TestData.NewRandom();
        var o = new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 4, HiddenSize = 8, NumLayers = 2, Dropout = 0.5, Backend = RnnBackend.Managed };
        using var rnn = new Rnn<float>(o);
        var batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 6, 4);
        var x = TestData.Uniform<float>(r, batch.ElementCount(4));
        float[] Train(ulong seed)
        {
            rnn.ReseedDropout(seed);
            var y = new float[batch.ElementCount(8)];
            using var tape = rnn.ForwardTraining(batch, x, y);
            return y;
        }
        var inference = new float[batch.ElementCount(8)];
        rnn.Forward(batch, x, inference);
        Assert.That(Train(5), Is.EqualTo(Train(5)), "same seed, same masks");
        Assert.That(Train(5), Is.Not.EqualTo(Train(6)), "another seed, other masks");
        Assert.That(Train(5), Is.Not.EqualTo(inference), "training applies dropout");
        var inference2 = new float[inference.Length];
        rnn.Forward(batch, x, inference2);
        Assert.That(inference2, Is.EqualTo(inference), "inference has no dropout");
    }

    [Test]
    public void NaN_and_infinity_in_inputs_propagate_without_a_crash()
    {
        var r = TestData.NewRandom();
        foreach (var cell in Enum.GetValues<RnnCellKind>())
        {
            using var rnn = new Rnn<float>(new RnnOptions { Cell = cell, InputSize = 3, HiddenSize = 4, Bidirectional = true, Backend = RnnBackend.Managed });
            var batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 3, 2);
            var x = TestData.Uniform<float>(r, batch.ElementCount(3));
            x[0] = float.NaN;
            x[4] = float.PositiveInfinity;
            var y = new float[batch.ElementCount(8)];
            using var tape = rnn.ForwardTraining(batch, x, y);
            Assert.That(y.Any(float.IsNaN), Is.True, $"{cell}: NaN reaches the outputs");
            var grads = new float[rnn.ParameterCount];
            rnn.Backward(tape, TestData.Uniform<float>(r, y.Length), new float[x.Length], grads);
            Assert.That(grads.Any(float.IsNaN), Is.True, $"{cell}: NaN reaches the gradients");
        }
    }

    /// <summary>The worked example: 3 inputs, 5 units, 4 instances, 2 steps; and row-by-row MNIST, 28x28 -> 128 units.</summary>
    [TestCase(3, 5, 4, 2)]
    [TestCase(28, 128, 16, 28)]
    public void Example_shapes_run_in_both_modes_and_agree(int input, int hidden, int batchSize, int steps)
    {
        var r = TestData.NewRandom();
        foreach (var cell in Enum.GetValues<RnnCellKind>())
        {
            using var rnn = new Rnn<float>(new RnnOptions { Cell = cell, InputSize = input, HiddenSize = hidden, Backend = RnnBackend.Managed });
            var batch = SequenceBatch.Uniform(SequenceLayout.BatchMajor, steps, batchSize);
            var x = TestData.Uniform<float>(r, batch.ElementCount(input));
            var yd = TestData.Poisoned<float>(batch.ElementCount(hidden));
            var ys = TestData.Poisoned<float>(yd.Length);
            rnn.Forward(batch, x, yd, mode: ExecutionMode.Dynamic);
            rnn.Forward(batch, x, ys, mode: ExecutionMode.Static);
            Assert.That(TestData.AllFinite<float>(yd), Is.True, $"{cell}: every output written");
            Assert.That(TestData.RelativeError<float>(ys, TestData.ToDouble<float>(yd)), Is.LessThan(Tolerance), $"{cell}: static = dynamic");
        }
    }
}
