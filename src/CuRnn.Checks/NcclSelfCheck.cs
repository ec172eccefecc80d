using CuRnn.Distributed;
using CuRnn.Distributed.Nccl;
using CuRnn.Native.Cuda;

namespace CuRnn.Checks;

/// <summary>
/// NCCL with one rank on device 0, the data-parallel path end to end on the GPU: a cuDNN layer's backward writes its
/// gradients into a device buffer (poisoned with NaN first), NCCL averages them over the ranks (one), and they must
/// equal the host path's gradients of the same layer. Shared by <c>curnn check</c> and the tests.
/// </summary>
internal static class NcclSelfCheck
{
    public const double Tolerance = 1e-5;

    /// <summary>The largest difference relative to the largest gradient (NaN where an element was not written).</summary>
    /// <exception cref="DllNotFoundException">NCCL or the CUDA driver could not be loaded.</exception>
    public static unsafe double Run(int seed)
    {
        using var nccl = NcclCommunicator.Create(new SingleProcess(), deviceOrdinal: 0);
        var r = new Random(seed);
        using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 16, HiddenSize = 32, NumLayers = 2, Backend = RnnBackend.Cudnn });
        var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, 12, [12, 9, 4]);
        float[] x = ParityRun.Uniform(r, batch.ElementCount(16)), dy = ParityRun.Uniform(r, batch.ElementCount(32));
        float[] y = new float[dy.Length], hostGrads = new float[rnn.ParameterCount];
        using (var tape = rnn.ForwardTraining(batch, x, y))
            rnn.Backward(tape, dy, default, hostGrads, GradientMode.Overwrite);

        using var device = CudaDevice.Open(0);
        using var dX = device.Allocate(x.Length * 4L);
        using var dY = device.Allocate(y.Length * 4L);
        using var dDy = device.Allocate(dy.Length * 4L);
        using var dGrads = device.Allocate(hostGrads.Length * 4L);
        float[] deviceGrads = new float[hostGrads.Length];
        deviceGrads.AsSpan().Fill(float.NaN);
        fixed (float* px = x, pdy = dy, pg = deviceGrads)
        {
            CudaCopy.HostToDevice(dX.Pointer, (nint)px, x.Length * 4L, 0);
            CudaCopy.HostToDevice(dDy.Pointer, (nint)pdy, dy.Length * 4L, 0);
            CudaCopy.HostToDevice(dGrads.Pointer, (nint)pg, deviceGrads.Length * 4L, 0);
            using (var tape = rnn.ForwardTrainingDevice(batch, new DeviceForwardTensors(dX.Pointer, dY.Pointer)))
                rnn.BackwardDevice(tape, new DeviceBackwardTensors(dDy.Pointer, Gradients: dGrads.Pointer), GradientMode.Overwrite);
            nccl.AllReduce(dGrads.Pointer, hostGrads.Length, DeviceDataType.Float32, ReduceOperation.Average, stream: 0);
            nccl.Synchronize(0);
            CudaCopy.DeviceToHost((nint)pg, dGrads.Pointer, deviceGrads.Length * 4L, 0);
            CudaCopy.Synchronize(0);
        }
        if (deviceGrads.Any(float.IsNaN)) return double.NaN;
        double largest = hostGrads.Max(v => Math.Abs((double)v)), worst = deviceGrads.Zip(hostGrads, (a, b) => Math.Abs((double)a - b)).Max();
        return worst / largest;
    }
}
