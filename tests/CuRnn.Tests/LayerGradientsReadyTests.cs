using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// Backward tells which layers' weight gradients are final while it goes on below them (what data-parallel training
/// starts its all-reduces on): top layer first, each layer's range final when told, ranges tiling the buffer.
/// </summary>
[TestFixture, Category("unit")]
public sealed class LayerGradientsReadyTests
{
    [Test]
    public void Each_layer_is_reported_top_first_when_its_gradients_are_final()
    {
        var r = TestData.NewRandom();
        for (int trial = 0; trial < 12; trial++)
        {
            var cell = (RnnCellKind)(trial % 4);
            int layers = 1 + r.Next(4), inputs = 1 + r.Next(9), hidden = 1 + r.Next(12);
            bool bi = r.Next(2) == 1;
            using var rnn = new Rnn<double>(new RnnOptions { Cell = cell, InputSize = inputs, HiddenSize = hidden, NumLayers = layers, Bidirectional = bi, Seed = (ulong)r.Next() });
            var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, 6, [6, r.Next(0, 7), r.Next(1, 7)]);
            var x = TestData.Uniform<double>(r, batch.ElementCount(inputs));
            var y = new double[batch.ElementCount(rnn.Options.OutputFeatures)];
            var dy = TestData.Uniform<double>(r, y.Length);
            var grads = new double[rnn.ParameterCount];
            var told = new List<int>();
            var atReport = new Dictionary<int, double[]>();
            using (var tape = rnn.ForwardTraining(batch, x, y))
                rnn.Backward(tape, new(dy), new(default, grads)
                {
                    LayerGradientsReady = layer =>
                    {
                        told.Add(layer);
                        var (offset, length) = rnn.LayerGradientRange(layer);
                        atReport[layer] = grads.AsSpan(offset, length).ToArray();
                    },
                }, GradientMode.Overwrite);
            string what = $"{cell}, {layers} layer(s), bidirectional {bi}";
            Assert.That(told, Is.EqualTo(Enumerable.Range(0, layers).Reverse()), what);
            int covered = 0;
            for (int layer = 0; layer < layers; layer++)
            {
                var (offset, length) = rnn.LayerGradientRange(layer);
                Assert.That(offset, Is.EqualTo(covered), $"{what}: layer {layer}'s range follows the one below");
                covered += length;
                Assert.That(grads.AsSpan(offset, length).SequenceEqual(atReport[layer]), Is.True, $"{what}: layer {layer} final when reported");
            }
            Assert.That(covered, Is.EqualTo(rnn.ParameterCount));
        }
        using var one = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 2, HiddenSize = 3 });
        Assert.Throws<ArgumentOutOfRangeException>(() => one.LayerGradientRange(1));
    }
}
