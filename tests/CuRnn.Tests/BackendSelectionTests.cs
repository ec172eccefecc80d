using CuRnn.Native;

namespace CuRnn.Tests;

/// <summary>Backend choice without a GPU: Auto falls back with a reason, cuDNN on request throws with the probe report.</summary>
[TestFixture, Category("unit"), NonParallelizable]
public sealed class BackendSelectionTests
{
    private static bool CudnnUsable => GpuProbe.Report.CudnnUsable;

    [Test]
    public void Auto_falls_back_to_managed_with_a_reason()
    {
        if (CudnnUsable) Assert.Ignore("cuDNN runs here, so Auto does not fall back; this test is for machines without a GPU.");
        using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 2, HiddenSize = 3 });
        Assert.That(rnn.Backend, Is.EqualTo(RnnBackend.Managed));
        Assert.That(rnn.Selection.Reason, Does.StartWith("Auto chose the managed engine: "));
        Assert.That(rnn.Selection.ProbeReport, Does.Contain(NativeLibraryNames.CudaDriver[0]), "the report lists the driver library it tried");
    }

    [Test]
    public void Cudnn_on_request_throws_with_the_probe_report()
    {
        if (CudnnUsable) Assert.Ignore("cuDNN runs here, so asking for it succeeds; this test is for machines without a GPU.");
        var e = Assert.Throws<BackendUnavailableException>(() => new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 2, HiddenSize = 3, Backend = RnnBackend.Cudnn }))!;
        Assert.That(e.Backend, Is.EqualTo(RnnBackend.Cudnn));
        Assert.That(e.ProbeReport, Is.Not.Empty);
        Assert.That(e.Message, Does.Contain("Probe report"));
        if (!CudnnUsable) Assert.That(e.ProbeReport, Does.Contain("not found").Or.Contain("not available"));
    }

    [Test]
    public void Environment_variable_forces_a_backend()
    {
        string? old = Environment.GetEnvironmentVariable(BackendSelection.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(BackendSelection.EnvironmentVariable, "managed");
            var s = BackendSelection.Choose(RnnBackend.Cudnn);
            Assert.That(s.Chosen, Is.EqualTo(RnnBackend.Managed));
            Environment.SetEnvironmentVariable(BackendSelection.EnvironmentVariable, "gpu-please");
            var e = Assert.Throws<ArgumentException>(() => BackendSelection.Choose(RnnBackend.Auto))!;
            Assert.That(e.Message, Does.Contain("auto, managed or cudnn").And.Contain("gpu-please"));
        }
        finally { Environment.SetEnvironmentVariable(BackendSelection.EnvironmentVariable, old); }
    }

    [Test]
    public void Missing_library_lists_every_attempt()
    {
        var trace = new List<string>();
        bool loaded = NativeLibraryProbe.TryLoad(["libcurnn-does-not-exist.so.7"], trace, out _, out _);
        Assert.That(loaded, Is.False);
        Assert.That(trace, Has.Some.Contains("libcurnn-does-not-exist.so.7 (default loader path)"));
        Assert.That(trace.Count, Is.EqualTo(1 + NativeLibraryProbe.CandidateFolders().Count));
    }
}
