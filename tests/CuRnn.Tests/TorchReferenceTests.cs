using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// The managed engine in float32 against PyTorch's own RNNs in float64 (libtorch 2.10 on the CPU through
/// TorchSharp): same weights, fresh random inputs, mixed lengths including 0 and T, every layout, bias on and
/// off, both modes; outputs, final states, dx, dh0, dc0 and every weight gradient within a relative error of 1e-5.
/// </summary>
[TestFixture, Category("reference")]
public sealed class TorchReferenceTests
{
    [OneTimeSetUp]
    public void LoadTorch()
    {
        if (TorchRuntime.Unavailable is { } why) Assert.Fail(why);
    }

    public static IEnumerable<TestCaseData> Cases() =>
        LayerCase.InLayouts(LayerCase.All().Where(c => c.Projection == 0))
            .Concat(LayerCase.InLayouts([new(RnnCellKind.Gru, 3, true, 0)], SequenceLayout.BatchMajor));

    [TestCaseSource(nameof(Cases))]
    public void Matches_pytorch(LayerCase c, SequenceLayout layout) => ReferenceCheck.Compare(c, layout, TorchReference.Run);

    public static IEnumerable<TestCaseData> WideCases() => LayerCase.Cases(LayerCase.All().Where(c => c.Projection == 0));

    /// <summary>37 mixed-length sequences (enough rows for the caller and the helper thread to share each pass) and
    /// H = 21 (the one-pass cells' whole vectors and a partial tail).</summary>
    [TestCaseSource(nameof(WideCases))]
    public void Matches_pytorch_on_a_batch_two_threads_share(LayerCase c) =>
        ReferenceCheck.Compare(c, SequenceLayout.SequenceMajor, TorchReference.Run, b: 37, hidden: 21);

    /// <summary>Weights, inputs and states drawn log-uniformly across 1e-4..10 (tanh near zero, sigmoid and tanh
    /// deep in saturation): float32 within 1e-5 forward and 1e-4 for gradients (or, on a draw where PyTorch's own
    /// float32 misses that, within <see cref="ReferenceCheck.PeerFactor"/> times its error), float64 within 1e-12.</summary>
    [TestCaseSource(nameof(WideCases))]
    public void Matches_pytorch_at_every_magnitude_float(LayerCase c) =>
        ReferenceCheck.Compare<float>(c, SequenceLayout.SequenceMajor, TorchReference.Run, ReferenceData.ScaledFloat, peer: TorchReference.RunSingle);

    [TestCaseSource(nameof(WideCases))]
    public void Matches_pytorch_at_every_magnitude_double(LayerCase c) =>
        ReferenceCheck.Compare<double>(c, SequenceLayout.SequenceMajor, TorchReference.Run, ReferenceData.ScaledDouble);
}

/// <summary>
/// LSTM with projection against PyTorch's nn.LSTM(proj_size=P), which TorchSharp does not expose: Debian's
/// python3-torch (PyTorch 1.13) driven from the tests, same measures as <see cref="TorchReferenceTests"/>.
/// </summary>
[TestFixture, Category("reference")]
public sealed class PythonTorchProjectionTests
{
    [OneTimeSetUp]
    public void FindTorch()
    {
        if (PythonTorchReference.Unavailable is { } why) Assert.Ignore(why);
    }

    public static IEnumerable<TestCaseData> Cases() => LayerCase.InLayouts(LayerCase.All().Where(c => c.Projection > 0));

    [TestCaseSource(nameof(Cases))]
    public void Matches_pytorch_with_projection(LayerCase c, SequenceLayout layout) => ReferenceCheck.Compare(c, layout, PythonTorchReference.Run);

    public static IEnumerable<TestCaseData> ScaledCases() => LayerCase.Cases(LayerCase.All().Where(c => c.Projection > 0));

    [TestCaseSource(nameof(ScaledCases))]
    public void Matches_pytorch_with_projection_at_every_magnitude(LayerCase c)
    {
        ReferenceCheck.Compare<float>(c, SequenceLayout.SequenceMajor, PythonTorchReference.Run, ReferenceData.ScaledFloat, peer: PythonTorchReference.RunSingle);
        ReferenceCheck.Compare<double>(c, SequenceLayout.SequenceMajor, PythonTorchReference.Run, ReferenceData.ScaledDouble);
    }
}
