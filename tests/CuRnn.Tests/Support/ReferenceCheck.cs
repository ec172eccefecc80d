namespace CuRnn.Tests.Support;

/// <summary>
/// The body shared by the PyTorch reference fixtures: a float32 layer against a float64 reference on the same
/// weights and fresh random data, in a given layout, with bias on and off and in both modes.
/// </summary>
internal static class ReferenceCheck
{
    public const double Tolerance = 1e-5;

    public static void Compare(LayerCase c, SequenceLayout layout, Func<ReferenceContract.Request, ReferenceContract.Result> reference,
        int b = 5, int hidden = 8)
    {
        var r = TestData.NewRandom();
        int steps = 6, input = 7;
        foreach (bool bias in new[] { true, false })
        foreach (ExecutionMode mode in Enum.GetValues<ExecutionMode>())
        {
            var o = c.Options(input, hidden, bias: bias);
            using var rnn = new Rnn<float>(o);
            rnn.ResetParameters((ulong)r.NextInt64());
            var lengths = TestData.MixedLengths(r, b, steps);
            if (layout == SequenceLayout.Packed) lengths = lengths.OrderByDescending(l => l).ToArray();
            var batch = layout == SequenceLayout.Packed ? SequenceBatch.Packed(lengths) : SequenceBatch.Padded(layout, steps, lengths);
            bool lstm = o.Cell == RnnCellKind.Lstm;
            int ld = o.NumLayers * o.Directions;

            // Random float32 data; the reference sees exactly the same values in float64. Padded positions of
            // x hold NaN on our side: they must never be read.
            var xSeq = TestData.Uniform<float>(r, (long)steps * b * input);
            var xSeqPoisoned = (float[])xSeq.Clone();
            for (int t = 0; t < steps; t++)
                for (int s = 0; s < b; s++)
                    if (t >= lengths[s]) xSeqPoisoned.AsSpan((t * b + s) * input, input).Fill(float.NaN);
            var h0 = TestData.Uniform<float>(r, ld * b * o.OutputSize);
            var c0 = lstm ? TestData.Uniform<float>(r, ld * b * hidden) : [];
            var wySeq = TestData.Uniform<float>(r, (long)steps * b * o.OutputFeatures);
            var whN = TestData.Uniform<float>(r, h0.Length);
            var wcN = TestData.Uniform<float>(r, c0.Length);

            var expected = ReferenceContract.Run(reference, o,
                rnn.ParameterInfos.ToDictionary(p => p.Name, p => TestData.ToDouble<float>(rnn.Parameter(p.Name))),
                steps, lengths, TestData.ToDouble<float>(xSeq), TestData.ToDouble<float>(h0), TestData.ToDouble<float>(c0),
                TestData.ToDouble<float>(wySeq), TestData.ToDouble<float>(whN), TestData.ToDouble<float>(wcN));

            var x = LayoutConvert.FromSequenceMajor(xSeqPoisoned, batch, input);
            var y = TestData.Poisoned<float>(batch.ElementCount(o.OutputFeatures));
            var hN = TestData.Poisoned<float>(h0.Length);
            var cN = TestData.Poisoned<float>(c0.Length);
            using var tape = rnn.ForwardTraining(batch, x, y, h0, c0, hN, cN, mode);
            var dx = TestData.Poisoned<float>(x.Length);
            var dh0 = TestData.Poisoned<float>(h0.Length);
            var dc0 = TestData.Poisoned<float>(c0.Length);
            var grads = TestData.Poisoned<float>(rnn.ParameterCount);
            rnn.Backward(tape, LayoutConvert.FromSequenceMajor(wySeq, batch, o.OutputFeatures), dx, grads, whN, wcN, dh0, dc0, GradientMode.Overwrite);

            var errors = new List<(string Name, double Error)>
            {
                ("y", TestData.RelativeError<float>(LayoutConvert.ToSequenceMajor(y, batch, o.OutputFeatures), expected.Y)),
                ("hN", TestData.RelativeError<float>(hN, expected.HN)),
                ("dx", TestData.RelativeError<float>(LayoutConvert.ToSequenceMajor(dx, batch, input), expected.DX)),
                ("dh0", TestData.RelativeError<float>(dh0, expected.DH0)),
            };
            if (lstm)
            {
                errors.Add(("cN", TestData.RelativeError<float>(cN, expected.CN)));
                errors.Add(("dc0", TestData.RelativeError<float>(dc0, expected.DC0)));
            }
            foreach (var info in rnn.ParameterInfos)
                errors.Add(("d" + info.Name, TestData.RelativeError<float>(grads.AsSpan(info.Offset, info.Length), expected.Grads[info.Name])));
            var worst = errors.MaxBy(e => e.Error);
            TestContext.Out.WriteLine($"bias={bias} {mode} lengths=[{string.Join(",", lengths)}]: largest {worst.Name} {worst.Error:E2}; " +
                                      string.Join(", ", errors.Select(e => $"{e.Name} {e.Error:E1}")));
            Assert.Multiple(() =>
            {
                foreach (var (name, error) in errors) Assert.That(error, Is.LessThan(Tolerance), $"{c} {layout} bias={bias} {mode}: {name}");
            });
        }
    }
}
