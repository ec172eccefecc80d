using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// Backward against central finite differences in float64: dx, dh0, dc0 and every weight gradient, for
/// every cell × {1, 2} layers × {uni, bi} × projection, with mixed lengths including 0 and T.
/// </summary>
[TestFixture, Category("unit")]
public sealed class GradientCheckTests
{
    private const double Tolerance = 1e-6;
    private const double Eps = 1e-6;

    public static IEnumerable<TestCaseData> Cases()
    {
        foreach (var c in LayerCase.InLayouts(LayerCase.All(), SequenceLayout.SequenceMajor, SequenceLayout.Packed)) yield return c;
        foreach (var c in LayerCase.InLayouts([new(RnnCellKind.Gru, 2, true, 0), new(RnnCellKind.Lstm, 2, true, 2)], SequenceLayout.BatchMajor))
            yield return c;
    }

    [TestCaseSource(nameof(Cases))]
    public void Backward_matches_finite_differences(LayerCase c, SequenceLayout layout)
    {
        var r = TestData.NewRandom();
        using var rnn = new Rnn<double>(c.Options(input: 3, hidden: 4));
        rnn.ResetParameters((ulong)r.NextInt64());
        foreach (ExecutionMode mode in Enum.GetValues<ExecutionMode>())
        {
            var result = GradientCheck.Run(rnn, r, layout, steps: 4, batchSize: 4, mode, Eps);
            TestContext.Out.WriteLine($"{mode}: {result}");
            Assert.Multiple(() =>
            {
                foreach (var (name, error) in result.Errors)
                    Assert.That(error, Is.LessThan(Tolerance), $"{c} {layout} {mode}: relative error of {name}");
            });
        }
    }

    [Test]
    public void Dropout_gradients_match_finite_differences_with_replayed_masks()
    {
        var r = TestData.NewRandom();
        var options = new LayerCase(RnnCellKind.Lstm, 3, true, 0).Options(3, 4) with { Dropout = 0.4 };
        using var rnn = new Rnn<double>(options);
        rnn.ResetParameters((ulong)r.NextInt64());
        var result = GradientCheck.Run(rnn, r, SequenceLayout.SequenceMajor, 4, 3, ExecutionMode.Dynamic, Eps, dropoutSeed: 77);
        TestContext.Out.WriteLine(result.ToString());
        foreach (var (name, error) in result.Errors)
            Assert.That(error, Is.LessThan(Tolerance), $"relative error of {name}");
    }
}
