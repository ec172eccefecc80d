using CuRnn.Checks;
using CuRnn.Native;

namespace CuRnn.Tests;

/// <summary>
/// cuDNN (strict FP32) against the managed engine (float64) for every cell × layers × directions × projection × layout
/// (mixed lengths with 0) × mode × swap, and the device-pointer API. The cases and their check are shared with
/// <c>curnn check</c> (CuRnn.Checks). Without a usable GPU each reports ignored with the reason.
/// </summary>
[TestFixture, Category("gpu"), NonParallelizable]
public sealed class GpuParityTests
{
    private static IEnumerable<ParityCase> Cases => ParityCases.All();

    [TestCaseSource(nameof(Cases))]
    public void Cudnn_matches_the_managed_engine(ParityCase c)
    {
        var probe = GpuProbe.Report;
        if (!probe.CudnnUsable) Assert.Ignore($"no usable GPU: {BackendSelection.WhyNot(probe)}");
        int seed = TestContext.CurrentContext.Random.Next();
        var result = ParityRun.Run(c, seed);
        TestContext.Out.WriteLine(result.ToString());
        Assert.That(result.Passed, result.ToString());
    }

    [TestCase(ExecutionMode.Dynamic)]
    [TestCase(ExecutionMode.Static)]
    public void Swapping_activations_is_bitwise_invisible(ExecutionMode mode)
    {
        var probe = GpuProbe.Report;
        if (!probe.CudnnUsable) Assert.Ignore($"no usable GPU: {BackendSelection.WhyNot(probe)}");
        var c = new ParityCase(RnnCellKind.Lstm, 2, true, 0, SequenceLayout.SequenceMajor, mode, Swap: false);
        Assert.That(ParityRun.SwapDifferences(c, TestContext.CurrentContext.Random.Next()), Is.Zero);
    }
}

/// <summary>The parity matrix and its error measure, checked without a device.</summary>
[TestFixture, Category("unit")]
public sealed class ParityMatrixTests
{
    [Test]
    public void The_matrix_covers_every_combination_once()
    {
        var all = ParityCases.All().ToList();
        // 5 cell/projection combinations × 2 layer counts × 2 directions × 3 layouts × (2 modes × 2 swap + device API),
        // plus TF32 and FP16 for LSTM and GRU; then equal lengths: 4 cells × 2 hidden sizes × 2 layer counts ×
        // 2 directions × 2 layouts × (swap off, swap on, device API), plus TF32 and FP16 for LSTM
        Assert.That(all, Has.Count.EqualTo(5 * 2 * 2 * 3 * 5 + 4 + 4 * 2 * 2 * 2 * 2 * 3 + 2));
        Assert.That(all.Select(c => c.Name).Distinct().Count(), Is.EqualTo(all.Count));
        Assert.That(all.Where(c => c.Rectangular).Select(c => c.Options(RnnBackend.Managed).HiddenSize).Distinct(), Is.EquivalentTo(new[] { ParityCase.HiddenSize, 160 }));
    }

    [Test]
    public void Relative_error_treats_an_unwritten_element_as_infinite()
    {
        Assert.That(ParityRun.RelativeError([1f, float.NaN], [1.0, 2.0]), Is.EqualTo(double.PositiveInfinity));
        Assert.That(ParityRun.RelativeError([1f, 2f], [1.0, 2.0]), Is.Zero);
        Assert.That(ParityRun.RelativeError([1f, 2.5f], [1.0, 2.0]), Is.EqualTo(0.25).Within(1e-12));
    }
}
