using CuRnn.Checks;
using CuRnn.Native;

namespace CuRnn.Tests;

/// <summary>
/// cuDNN (strict FP32) against the managed engine (float64) for every cell × layers × directions × projection × layout
/// (mixed lengths with 0) × mode × swap, and the device-pointer API. The cases and their check are shared with
/// <c>curnn check</c> (CuRnn.Checks). Without a usable GPU each test reports itself ignored with the reason; the
/// parity cases run inside one test, so a machine without a GPU shows one line for all of them.
/// </summary>
[TestFixture, Category("gpu"), NonParallelizable]
public sealed class GpuParityTests
{
    [Test]
    public void Cudnn_matches_the_managed_engine_in_every_parity_case()
    {
        var probe = GpuProbe.Report;
        var cases = ParityCases.All().ToList();
        if (!probe.CudnnUsable) Assert.Ignore($"{cases.Count} parity cases need a usable GPU: {BackendSelection.WhyNot(probe)}");
        int seed = TestContext.CurrentContext.Random.Next();
        var failed = new List<string>();
        foreach (var c in cases)
        {
            var result = ParityRun.Run(c, seed++);
            TestContext.Out.WriteLine(result.ToString());
            if (!result.Passed) failed.Add(result.ToString());
        }
        Assert.That(failed, Is.Empty, $"{failed.Count} of {cases.Count} parity cases failed:\n{string.Join("\n", failed)}");
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
