using CuRnn.Tests.Support;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CuRnn.Tests;

/// <summary>
/// A second forward reference: ONNX Runtime's LSTM / GRU (linear_before_reset=1) / RNN operators, which take
/// per-sequence lengths, on padded batches with the same weights reordered into ONNX's gate orders (LSTM
/// i,o,f,c; GRU z,r,h). One layer, uni- and bidirectional, initial states given. Lengths are 1..T: ONNX
/// leaves zero-length sequences unspecified.
/// </summary>
[TestFixture, Category("reference")]
public sealed class OnnxRuntimeReferenceTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var cell in Enum.GetValues<RnnCellKind>())
            foreach (bool bi in new[] { false, true })
                yield return new TestCaseData(cell, bi).SetArgDisplayNames(cell.ToString(), bi ? "bi" : "uni");
    }

    [TestCaseSource(nameof(Cases))]
    public void Forward_matches_onnx_runtime(RnnCellKind cell, bool bidirectional)
    {
        var r = TestData.NewRandom();
        int steps = 7, b = 4, input = 5, hidden = 6, d = bidirectional ? 2 : 1, g = cell.GateCount();
        var o = new RnnOptions { Cell = cell, InputSize = input, HiddenSize = hidden, Bidirectional = bidirectional, Backend = RnnBackend.Managed };
        using var rnn = new Rnn<float>(o);
        rnn.ResetParameters((ulong)r.NextInt64());
        var lengths = Enumerable.Range(0, b).Select(_ => r.Next(1, steps + 1)).ToArray();
        lengths[r.Next(b)] = steps;
        var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengths);
        var x = TestData.Uniform<float>(r, batch.ElementCount(input));
        var h0 = TestData.Uniform<float>(r, d * b * hidden);
        var c0 = cell == RnnCellKind.Lstm ? TestData.Uniform<float>(r, d * b * hidden) : [];
        var y = TestData.Poisoned<float>(batch.ElementCount(d * hidden));
        var hN = TestData.Poisoned<float>(h0.Length);
        rnn.Forward(batch, x, y, h0, c0, hN);

        using var session = OnnxRnnModel.Create(rnn, steps, b, initialStates: true);
        var feeds = new List<NamedOnnxValue>
        {
            NamedOnnxValue.CreateFromTensor("X", new DenseTensor<float>(x, [steps, b, input])),
            NamedOnnxValue.CreateFromTensor("sequence_lens", new DenseTensor<int>(lengths, [b])),
            NamedOnnxValue.CreateFromTensor("initial_h", new DenseTensor<float>(h0, [d, b, hidden])),
        };
        if (cell == RnnCellKind.Lstm) feeds.Add(NamedOnnxValue.CreateFromTensor("initial_c", new DenseTensor<float>(c0, [d, b, hidden])));
        using var results = session.Run(feeds);
        var onnxY = results.First(v => v.Name == "Y").AsTensor<float>().ToArray();      // [T, D, B, H]
        var onnxH = results.First(v => v.Name == "Y_h").AsTensor<float>().ToArray();    // [D, B, H]

        // Compare valid positions only (ONNX leaves padding unspecified); ours must be exactly 0 there.
        var expected = new List<double>();
        var actual = new List<float>();
        for (int t = 0; t < steps; t++)
            for (int s = 0; s < b; s++)
                for (int dir = 0; dir < d; dir++)
                    for (int j = 0; j < hidden; j++)
                    {
                        float ours = y[(t * b + s) * d * hidden + dir * hidden + j];
                        if (t >= lengths[s]) { Assert.That(ours, Is.EqualTo(0f), "padding"); continue; }
                        actual.Add(ours);
                        expected.Add(onnxY[((t * d + dir) * b + s) * hidden + j]);
                    }
        double yError = TestData.RelativeError<float>(actual.ToArray(), expected.ToArray());
        double hError = TestData.RelativeError<float>(hN, TestData.ToDouble<float>(onnxH));
        TestContext.Out.WriteLine($"lengths [{string.Join(",", lengths)}]: y {yError:E1}, hN {hError:E1}");
        Assert.That(yError, Is.LessThan(1e-5), "y");
        Assert.That(hError, Is.LessThan(1e-5), "hN");
    }
}
