// Device pointers: an LSTM on cuDNN trains on buffers the app allocated on the GPU (no host copies inside the
// layer), and its outputs and gradients match the managed engine's on the same weights and inputs. Builds
// everywhere; where cuDNN cannot run it says why and exits 0. Exits 1 if the engines disagree.
using CuRnn;

// Auto takes cuDNN where it runs; strict FP32 (no TF32) unless RnnPrecision.TensorFloat32 or Half is asked for.
var options = new RnnOptions
{
    Cell = RnnCellKind.Lstm, InputSize = 32, HiddenSize = 64, Backend = RnnBackend.Auto, Precision = RnnPrecision.Strict,
};
using var lstm = new Rnn<float>(options);
if (lstm.Backend != RnnBackend.Cudnn)
{
    Console.WriteLine($"skipped: this sample needs cuDNN; {lstm.Selection.Reason}");
    return 0;
}

var random = new Random();
var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, maxLength: 30, lengths: [30, 25, 12, 1]);
float[] x = new float[batch.ElementCount(32)], dy = new float[batch.ElementCount(64)];
for (int i = 0; i < x.Length; i++) x[i] = random.NextSingle() * 2 - 1;
for (int i = 0; i < dy.Length; i++) dy[i] = random.NextSingle() * 2 - 1;

// The reference: the managed engine, same weights, host spans.
using var reference = new Rnn<float>(options with { Backend = RnnBackend.Managed });
lstm.Parameters.CopyTo(reference.Parameters);
float[] yReference = new float[dy.Length], dxReference = new float[x.Length], gradsReference = new float[lstm.ParameterCount];
using (var tape = reference.ForwardTraining(batch, x, yReference))
    reference.Backward(tape, dy, dxReference, gradsReference, GradientMode.Overwrite);

// The app's own device buffers, on the device's primary context (the one the layer uses).
CudaDriver.Retain(options.DeviceOrdinal);
nint dX = 0, dY = 0, dDy = 0, dDx = 0, dGrads = 0;
try
{
    dX = CudaDriver.Upload(x);
    dDy = CudaDriver.Upload(dy);
    dY = CudaDriver.Allocate(dy.Length);
    dDx = CudaDriver.Allocate(x.Length);
    dGrads = CudaDriver.Allocate(lstm.ParameterCount);
    nint cudaStream = 0;                                         // 0: the layer's own stream

    using (var tape = lstm.ForwardTrainingDevice(batch, new DeviceForwardTensors(dX, dY), cudaStream))
        lstm.BackwardDevice(tape, new DeviceBackwardTensors(dDy, dDx, dGrads), GradientMode.Overwrite, cudaStream);

    float[] y = new float[dy.Length], dx = new float[x.Length], grads = new float[lstm.ParameterCount];
    CudaDriver.Download(dY, y);
    CudaDriver.Download(dDx, dx);
    CudaDriver.Download(dGrads, grads);
    Console.WriteLine($"{lstm.Selection.Reason}; {lstm.DeviceMemory}");
    bool ok = true;
    foreach (var (name, actual, expected) in new[] { ("y", y, yReference), ("dx", dx, dxReference), ("gradients", grads, gradsReference) })
    {
        double worst = 0;
        for (int i = 0; i < actual.Length; i++)
            worst = Math.Max(worst, Math.Abs(actual[i] - expected[i]) / (1e-3 + Math.Abs(expected[i])));
        bool close = worst < 1e-3;                               // strict FP32 on both engines, different summation orders
        Console.WriteLine($"{(close ? "ok  " : "FAIL")} {name}: cuDNN == managed (largest relative difference {worst:G3})");
        ok &= close;
    }
    return ok ? 0 : 1;
}
finally
{
    foreach (nint buffer in new[] { dX, dY, dDy, dDx, dGrads }) CudaDriver.Free(buffer);
    CudaDriver.Release(options.DeviceOrdinal);
}
