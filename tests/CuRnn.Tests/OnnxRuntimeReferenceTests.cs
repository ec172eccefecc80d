using CuRnn.Tests.Support;
using CuRnn.Weights;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CuRnn.Tests;

/// <summary>
/// A second forward reference, and the proof of the ONNX weight converter: ONNX Runtime's LSTM / GRU
/// (linear_before_reset=1) / RNN operators, which take per-sequence lengths, on padded mixed-length batches with the
/// layer's weights exported by <see cref="OnnxRnnWeights"/>. One and two layers, uni- and bidirectional, initial states given. Lengths are 1..T: ONNX
/// leaves zero-length sequences unspecified.
/// </summary>
[TestFixture, Category("reference")]
public sealed class OnnxRuntimeReferenceTests
{
    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var cell in Enum.GetValues<RnnCellKind>())
            foreach (bool bi in new[] { false, true })
                foreach (int layers in new[] { 1, 2 })
                    yield return new TestCaseData(cell, bi, layers).SetArgDisplayNames(cell.ToString(), bi ? "bi" : "uni", $"{layers} layer{(layers > 1 ? "s" : "")}");
    }

    /// <summary>
    /// Each layer's weights go through <see cref="OnnxRnnWeights.Export{T}"/> into its own one-node model; a stack runs
    /// node after node, Y [T, D, B, H] of one reshaped to [T, B, D*H] as X of the next.
    /// </summary>
    [TestCaseSource(nameof(Cases))]
    public void Forward_matches_onnx_runtime(RnnCellKind cell, bool bidirectional, int layers)
    {
        var r = TestData.NewRandom();
        int steps = 7, b = 4, input = 5, hidden = 6, d = bidirectional ? 2 : 1;
        var o = new RnnOptions { Cell = cell, InputSize = input, HiddenSize = hidden, NumLayers = layers, Bidirectional = bidirectional, Backend = RnnBackend.Managed };
        using var rnn = new Rnn<float>(o);
        rnn.ResetParameters((ulong)r.NextInt64());
        var lengths = Enumerable.Range(0, b).Select(_ => r.Next(1, steps + 1)).ToArray();
        lengths[r.Next(b)] = steps;
        var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengths);
        var x = TestData.Uniform<float>(r, batch.ElementCount(input));
        int stateLength = layers * d * b * hidden;
        var h0 = TestData.Uniform<float>(r, stateLength);
        var c0 = cell == RnnCellKind.Lstm ? TestData.Uniform<float>(r, stateLength) : [];
        var y = TestData.Poisoned<float>(batch.ElementCount(d * hidden));
        var hN = TestData.Poisoned<float>(stateLength);
        rnn.Forward(batch, new(x) { H0 = h0, C0 = c0 }, new(y) { HN = hN });

        float[] layerInput = x, onnxY = [];
        var onnxH = new float[stateLength];
        for (int layer = 0; layer < layers; layer++)
        {
            int slice = d * b * hidden;
            using var session = OnnxRnnModel.Create(rnn, steps, b, initialStates: true, layer: layer);
            var feeds = new List<NamedOnnxValue>
            {
                NamedOnnxValue.CreateFromTensor("X", new DenseTensor<float>(layerInput, [steps, b, layerInput.Length / (steps * b)])),
                NamedOnnxValue.CreateFromTensor("sequence_lens", new DenseTensor<int>(lengths, [b])),
                NamedOnnxValue.CreateFromTensor("initial_h", new DenseTensor<float>(h0.AsSpan(layer * slice, slice).ToArray(), [d, b, hidden])),
            };
            if (cell == RnnCellKind.Lstm)
                feeds.Add(NamedOnnxValue.CreateFromTensor("initial_c", new DenseTensor<float>(c0.AsSpan(layer * slice, slice).ToArray(), [d, b, hidden])));
            using var results = session.Run(feeds);
            onnxY = results.First(v => v.Name == "Y").AsTensor<float>().ToArray();        // [T, D, B, H]
            results.First(v => v.Name == "Y_h").AsTensor<float>().ToArray().CopyTo(onnxH, layer * slice);
            layerInput = new float[steps * b * d * hidden];                                // [T, B, D*H]
            for (int t = 0; t < steps; t++)
                for (int s = 0; s < b; s++)
                    for (int dir = 0; dir < d; dir++)
                        Array.Copy(onnxY, ((t * d + dir) * b + s) * hidden, layerInput, (t * b + s) * d * hidden + dir * hidden, hidden);
        }

        // Compare valid positions only (ONNX leaves padding unspecified); ours must be exactly 0 there.
        var expected = new List<double>();
        var actual = new List<float>();
        for (int t = 0; t < steps; t++)
            for (int s = 0; s < b; s++)
                for (int j = 0; j < d * hidden; j++)
                {
                    float ours = y[(t * b + s) * d * hidden + j];
                    if (t >= lengths[s]) { Assert.That(ours, Is.EqualTo(0f), "padding"); continue; }
                    actual.Add(ours);
                    expected.Add(layerInput[(t * b + s) * d * hidden + j]);
                }
        double yError = TestData.RelativeError<float>(actual.ToArray(), expected.ToArray());
        double hError = TestData.RelativeError<float>(hN, TestData.ToDouble<float>(onnxH));
        TestContext.Out.WriteLine($"lengths [{string.Join(",", lengths)}]: y {yError:E1}, hN {hError:E1}");
        Assert.That(yError, Is.LessThan(1e-5), "y");
        Assert.That(hError, Is.LessThan(1e-5), "hN");
    }
}
