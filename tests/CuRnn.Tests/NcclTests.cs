using CuRnn.Checks;
using CuRnn.Native;

namespace CuRnn.Tests;

/// <summary>
/// NCCL on one GPU, one rank (one GPU cannot host two NCCL ranks): the data-parallel path end to end on the device
/// (<see cref="NcclSelfCheck"/>, shared with <c>curnn check</c>). Ignored with the reason without a GPU or NCCL.
/// </summary>
[TestFixture, Category("gpu"), NonParallelizable]
public sealed class NcclTests
{
    [Test]
    public void One_rank_averages_a_cudnn_layers_device_gradients_unchanged()
    {
        var probe = GpuProbe.Report;
        if (!probe.CudnnUsable) Assert.Ignore($"NCCL needs a usable GPU: {BackendSelection.WhyNot(probe)}");
        double error;
        try { error = NcclSelfCheck.Run(TestContext.CurrentContext.Random.Next()); }
        catch (DllNotFoundException e) { Assert.Ignore($"NCCL is not installed here: {e.Message}"); return; }
        Assert.That(double.IsNaN(error), Is.False, "every gradient element written (the buffer was poisoned with NaN)");
        Assert.That(error, Is.LessThan(NcclSelfCheck.Tolerance), "device gradients after NCCL's average against the host path");
    }
}
