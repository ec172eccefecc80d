using CuRnn.Tests.Support;
using CuRnn.Weights;

namespace CuRnn.Tests;

/// <summary>
/// The Keras converter against Keras' own layers (TensorFlow.js Layers): weights exported from a CuRnn layer, and Keras
/// weights imported into one, give the same outputs in both (rel. error &lt; 1e-5). LSTM and SimpleRNN (tanh, relu),
/// plain and Bidirectional, batch-major full-length sequences (Keras' masking is not CuRnn's length contract).
/// </summary>
[TestFixture, Category("reference")]
public sealed class KerasReferenceTests
{
    [OneTimeSetUp]
    public void NeedsNode()
    {
        if (KerasReference.Unavailable is { } why) Assert.Ignore(why);
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var cell in new[] { RnnCellKind.Lstm, RnnCellKind.RnnTanh, RnnCellKind.RnnRelu })
            foreach (bool bi in new[] { false, true })
                foreach (bool bias in new[] { true, false })
                    if (bias || cell == RnnCellKind.Lstm)
                        yield return new TestCaseData(cell, bi, bias).SetArgDisplayNames(cell.ToString(), bi ? "Bidirectional" : "forward", bias ? "bias" : "no bias");
    }

    [TestCaseSource(nameof(Cases))]
    public void Exported_and_imported_weights_give_keras_outputs(RnnCellKind cell, bool bidirectional, bool bias)
    {
        var r = TestData.NewRandom();
        int steps = 6, b = 3, input = 5, hidden = 4, d = bidirectional ? 2 : 1, g = cell.GateCount();
        var o = new RnnOptions { Cell = cell, InputSize = input, HiddenSize = hidden, Bidirectional = bidirectional, Bias = bias, Backend = RnnBackend.Managed };
        using var rnn = new Rnn<float>(o);
        var batch = SequenceBatch.Padded(SequenceLayout.BatchMajor, steps, Enumerable.Repeat(steps, b).ToArray());
        var x = TestData.Uniform<float>(r, batch.ElementCount(input));
        string layer = cell == RnnCellKind.Lstm ? "LSTM" : "SimpleRNN", activation = cell == RnnCellKind.RnnRelu ? "relu" : "tanh";

        void Compare(string what, IReadOnlyList<(float[], float[], float[]?)> keras)
        {
            var y = TestData.Poisoned<float>(batch.ElementCount(d * hidden));
            rnn.Forward(batch, x, y);
            var expected = KerasReference.Run(layer, hidden, input, steps, b, activation, x, keras);
            double error = TestData.RelativeError<float>(y, expected);
            TestContext.Out.WriteLine($"{what}: y {error:E1}");
            Assert.That(error, Is.LessThan(1e-5), what);
        }

        // CuRnn -> Keras.
        rnn.ResetParameters((ulong)r.NextInt64());
        var exported = Enumerable.Range(0, d).Select(dir => KerasRnnWeights.Export(rnn, 0, dir)).ToList();
        Compare("exported", exported.Select(k => (k.Kernel, k.RecurrentKernel, k.Bias)).ToList());

        // Keras -> CuRnn, with Keras-shaped weights drawn fresh.
        var keras = Enumerable.Range(0, d).Select(_ => new KerasRnnTensors<float>
        {
            Layer = layer, Units = hidden, Activation = activation,
            Kernel = TestData.Uniform<float>(r, input * g * hidden, 0.6), RecurrentKernel = TestData.Uniform<float>(r, hidden * g * hidden, 0.6),
            Bias = bias ? TestData.Uniform<float>(r, g * hidden, 0.6) : null,
        }).ToList();
        for (int dir = 0; dir < d; dir++) KerasRnnWeights.Import(rnn, 0, dir, keras[dir]);
        Compare("imported", keras.Select(k => (k.Kernel, k.RecurrentKernel, k.Bias)).ToList());
    }
}
