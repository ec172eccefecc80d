using CuRnn.Checks;
using CuRnn.Native;
using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>Writes to the parameters reach each engine's prepared copy as <see cref="ParameterSync"/> promises (shared with <c>curnn check</c>).</summary>
[TestFixture]
public sealed class ParameterSyncTests
{
    [Test, Category("unit")]
    public void Managed_engine_sees_every_write_it_is_promised()
    {
        foreach (var (name, error) in ParameterSyncCheck.Run(RnnBackend.Managed, TestContext.CurrentContext.Random.Next()))
            Assert.That(error, Is.LessThan(ParameterSyncCheck.Tolerance), name);
    }

    [Test, Category("gpu"), NonParallelizable]
    public void Cudnn_engine_sees_every_write_it_is_promised()
    {
        var probe = GpuProbe.Report;
        if (!probe.CudnnUsable) Assert.Ignore($"no usable GPU: {BackendSelection.WhyNot(probe)}");
        foreach (var (name, error) in ParameterSyncCheck.Run(RnnBackend.Cudnn, TestContext.CurrentContext.Random.Next()))
            Assert.That(error, Is.LessThan(ParameterSyncCheck.Tolerance), name);
    }

    [Test, Category("unit")]
    public void Announced_mode_keeps_the_packed_copy_until_told()
    {
        // Without ParametersChanged the managed engine keeps its packed W_hh: the documented cost of Announced.
        var r = TestData.NewRandom();
        var o = new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 3, HiddenSize = 5, Backend = RnnBackend.Managed, ParameterSync = ParameterSync.Announced };
        using var rnn = new Rnn<float>(o);
        var batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 4, 2);
        var x = TestData.Uniform<float>(r, batch.ElementCount(o.InputSize));
        var before = new float[batch.ElementCount(o.OutputFeatures)];
        rnn.Forward(batch, x, before);
        var whh = rnn.Parameter("weight_hh_l0");
        for (int i = 0; i < whh.Length; i++) whh[i] = (float)r.NextDouble();
        var stale = new float[before.Length];
        rnn.Forward(batch, x, stale);
        rnn.ParametersChanged();
        var after = new float[before.Length];
        rnn.Forward(batch, x, after);
        Assert.Multiple(() =>
        {
            Assert.That(stale, Is.EqualTo(before), "unannounced write of W_hh");
            Assert.That(after, Is.Not.EqualTo(before), "after ParametersChanged");
        });
    }

    [Test, Category("unit")]
    public void An_unknown_sync_mode_is_refused_by_name()
    {
        var o = new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 2, HiddenSize = 2, ParameterSync = (ParameterSync)7 };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => o.Validate());
        Assert.That(e!.Message, Does.Contain("ParameterSync").And.Contain("Compare or Announced"));
    }
}
