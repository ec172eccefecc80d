using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// The managed engine in float32 against PyTorch's own RNNs in float64 (libtorch on the CPU through
/// TorchSharp): same weights, fresh random inputs, mixed lengths including 0 and T, every layout;
/// outputs, final states, dx, dh0, dc0 and every weight gradient within a relative error of 1e-5.
/// </summary>
/// <remarks>TorchSharp's nn.LSTM has no proj_size, so projection is covered by the gradient checks and the
/// projection-specific tests, not here.</remarks>
[TestFixture, Category("reference")]
public sealed class TorchReferenceTests
{
    private const double Tolerance = 1e-5;
    internal static double Largest;

    [OneTimeSetUp]
    public void LoadTorch()
    {
        if (TorchRuntime.Unavailable is { } why) Assert.Fail(why);
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var c in LayerCase.All().Where(c => c.Projection == 0))
            foreach (var layout in Enum.GetValues<SequenceLayout>())
                yield return new TestCaseData(c, layout).SetArgDisplayNames(c.ToString(), layout.ToString());
        yield return new TestCaseData(new LayerCase(RnnCellKind.Gru, 3, true, 0), SequenceLayout.BatchMajor).SetArgDisplayNames("Gru L3 bi", "BatchMajor");
    }

    [TestCaseSource(nameof(Cases))]
    public void Matches_pytorch(LayerCase c, SequenceLayout layout)
    {
        var r = TestData.NewRandom();
        int steps = 6, b = 5, input = 7, hidden = 8;
        foreach (bool bias in new[] { true, false })
        foreach (ExecutionMode mode in Enum.GetValues<ExecutionMode>())
        {
            var o = c.Options(input, hidden, bias: bias);
            using var rnn = new Rnn<float>(o);
            rnn.ResetParameters((ulong)r.NextInt64());
            var lengths = TestData.MixedLengths(r, b, steps);
            if (layout == SequenceLayout.Packed) lengths = lengths.OrderByDescending(l => l).ToArray();
            var batch = layout == SequenceLayout.Packed ? SequenceBatch.Packed(lengths) : SequenceBatch.Padded(layout, steps, lengths);
            var seqBatch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengths);
            bool lstm = o.Cell == RnnCellKind.Lstm;
            int ld = o.NumLayers * o.Directions;

            // Random float32 data; the reference sees exactly the same values in float64.
            var xSeq = TestData.Uniform<float>(r, (long)steps * b * input);
            for (int t = 0; t < steps; t++) for (int s = 0; s < b; s++) if (t >= lengths[s]) xSeq.AsSpan((t * b + s) * input, input).Fill(float.NaN);
            var h0 = TestData.Uniform<float>(r, ld * b * o.OutputSize);
            var c0 = lstm ? TestData.Uniform<float>(r, ld * b * hidden) : [];
            var wySeq = TestData.Uniform<float>(r, (long)steps * b * o.OutputFeatures);
            var whN = TestData.Uniform<float>(r, h0.Length);
            var wcN = TestData.Uniform<float>(r, c0.Length);
            var xSeqClean = xSeq.Select(v => float.IsNaN(v) ? 0f : v).ToArray();

            var reference = TorchReference.Run(o, rnn.ParameterInfos.ToDictionary(p => p.Name, p => TestData.ToDouble<float>(rnn.Parameter(p.Name))),
                steps, lengths, TestData.ToDouble<float>(xSeqClean), TestData.ToDouble<float>(h0), TestData.ToDouble<float>(c0),
                TestData.ToDouble<float>(wySeq), TestData.ToDouble<float>(whN), TestData.ToDouble<float>(wcN));

            // Padded positions of x hold NaN: they must never be read.
            var x = LayoutConvert.FromSequenceMajor(xSeq, batch, input);
            var y = TestData.Poisoned<float>(batch.ElementCount(o.OutputFeatures));
            var hN = TestData.Poisoned<float>(h0.Length);
            var cN = TestData.Poisoned<float>(c0.Length);
            using var tape = rnn.ForwardTraining(batch, x, y, h0, c0, hN, cN, mode);
            var dx = TestData.Poisoned<float>(x.Length);
            var dh0 = TestData.Poisoned<float>(h0.Length);
            var dc0 = TestData.Poisoned<float>(c0.Length);
            var grads = TestData.Poisoned<float>(rnn.ParameterCount);
            rnn.Backward(tape, LayoutConvert.FromSequenceMajor(wySeq, batch, o.OutputFeatures), dx, grads, whN, wcN, dh0, dc0, GradientMode.Overwrite);

            var errors = new List<(string, double)>
            {
                ("y", TestData.RelativeError<float>(LayoutConvert.ToSequenceMajor(y, batch, o.OutputFeatures), reference.Y)),
                ("hN", TestData.RelativeError<float>(hN, reference.HN)),
                ("dx", TestData.RelativeError<float>(LayoutConvert.ToSequenceMajor(dx, batch, input), reference.DX)),
                ("dh0", TestData.RelativeError<float>(dh0, reference.DH0)),
            };
            if (lstm)
            {
                errors.Add(("cN", TestData.RelativeError<float>(cN, reference.CN)));
                errors.Add(("dc0", TestData.RelativeError<float>(dc0, reference.DC0)));
            }
            foreach (var info in rnn.ParameterInfos)
                errors.Add(("d" + info.Name, TestData.RelativeError<float>(grads.AsSpan(info.Offset, info.Length), reference.Grads[info.Name])));
            TestContext.Out.WriteLine($"bias={bias} {mode} lengths=[{string.Join(",", lengths)}]: " + string.Join(", ", errors.Select(e => $"{e.Item1} {e.Item2:E1}")));
            Largest = Math.Max(Largest, errors.Max(e => e.Item2));
            Assert.Multiple(() =>
            {
                foreach (var (name, error) in errors) Assert.That(error, Is.LessThan(Tolerance), $"{c} {layout} bias={bias} {mode}: {name}");
            });
        }
    }
}
