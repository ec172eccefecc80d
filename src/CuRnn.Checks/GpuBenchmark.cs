using System.Diagnostics;
using CuRnn.Native.Cuda;

namespace CuRnn.Checks;

/// <summary>A benchmark shape: T, B, I, H, layers, cell, bidirectional.</summary>
/// <param name="Name">Short label.</param>
/// <param name="Steps">T.</param>
/// <param name="Batch">B.</param>
/// <param name="Input">I.</param>
/// <param name="Hidden">H.</param>
/// <param name="Layers">L.</param>
/// <param name="Cell">The recurrence.</param>
/// <param name="Bidirectional">Two directions.</param>
internal sealed record BenchShape(string Name, int Steps, int Batch, int Input, int Hidden, int Layers = 1, RnnCellKind Cell = RnnCellKind.Lstm, bool Bidirectional = false)
{
    /// <summary>The suite's shapes (the managed harness's A to F plus a long sequence for the swap's memory).</summary>
    public static IReadOnlyList<BenchShape> Suite { get; } =
    [
        new("A", 50, 32, 512, 512), new("B", 100, 16, 256, 256), new("C", 25, 64, 1024, 1024),
        new("D", 1000, 8, 128, 128), new("E", 28, 128, 28, 128), new("F", 20, 64, 512, 512, Layers: 2),
        new("A-GRU", 50, 32, 512, 512, Cell: RnnCellKind.Gru), new("A-bi", 50, 32, 512, 512, Bidirectional: true),
        new("Long", 2000, 16, 256, 256),
    ];

    /// <summary>2·T·B·(I+H)·G·H·L·D: the forward's multiply-adds counted twice.</summary>
    public double ForwardFlops => 2.0 * Steps * Batch * (Input + Hidden) * Cell.GateCount() * Hidden * Layers * (Bidirectional ? 2 : 1);

    /// <summary>The layer's options on <paramref name="backend"/>.</summary>
    public RnnOptions Options(RnnBackend backend) => new()
    {
        Cell = Cell, InputSize = Input, HiddenSize = Hidden, NumLayers = Layers, Bidirectional = Bidirectional, Backend = backend,
    };

    /// <summary>A full-length sequence-major batch with seeded x and dy, and y and dx buffers.</summary>
    public (SequenceBatch Batch, float[] X, float[] Y, float[] Dy, float[] Dx) Data(Random r)
    {
        var batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, Steps, Batch);
        var x = ParityRun.Uniform(r, batch.ElementCount(Input));
        var dy = ParityRun.Uniform(r, batch.ElementCount(Hidden * (Bidirectional ? 2 : 1)));
        return (batch, x, new float[dy.Length], dy, new float[x.Length]);
    }

    /// <summary>Achieved GFLOP/s of a call taking <paramref name="ms"/> (training steps count 3× the forward).</summary>
    public double Gflops(string what, double ms) => ForwardFlops * (what.StartsWith("train", StringComparison.Ordinal) ? 3 : 1) / (ms * 1e6);

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Cell} T={Steps} B={Batch} I={Input} H={Hidden} L={Layers}{(Bidirectional ? " bi" : "")}";
}

/// <summary>One measured row.</summary>
/// <param name="Shape">The shape.</param>
/// <param name="What">forward / training step, API and mode.</param>
/// <param name="Swap">Activation swap on.</param>
/// <param name="MedianMs">Median wall time of one call (synchronised).</param>
/// <param name="PeakDeviceBytes">High-water mark of the layer's device allocations during the calls.</param>
/// <param name="PeakDriverUsedBytes">The most device memory the driver reported used during the calls.</param>
internal sealed record BenchRow(BenchShape Shape, string What, bool Swap, double MedianMs, long PeakDeviceBytes, long PeakDriverUsedBytes)
{
    /// <summary>Achieved GFLOP/s (training steps count 3× the forward).</summary>
    public double Gflops => Shape.Gflops(What, MedianMs);
}

/// <summary>Latency and peak device memory of the cuDNN engine: host-span and device-pointer calls, both modes, swap on and off.</summary>
internal static class GpuBenchmark
{
    /// <summary>Measures <paramref name="shape"/>; each row is the median of <paramref name="repetitions"/> calls after warm-up.</summary>
    public static IEnumerable<BenchRow> Run(BenchShape shape, int repetitions = 20)
    {
        var options = shape.Options(RnnBackend.Cudnn);
        var r = new Random(1);
        var (batch, x, y, dy, dx) = shape.Data(r);
        bool longShape = shape.Steps > 500;
        foreach (var mode in Enum.GetValues<ExecutionMode>())
        foreach (bool swap in new[] { false, true })
        {
            using var rnn = new Rnn<float>(options with { Mode = mode, SwapActivations = swap });
            var g = new float[rnn.ParameterCount];
            if (!swap && !longShape)
                yield return Measure(shape, $"forward host {mode}", false, rnn, repetitions, () => rnn.Forward(batch, x, y));
            yield return Measure(shape, $"train host {mode}", swap, rnn, repetitions, () =>
            {
                using var tape = rnn.ForwardTraining(batch, x, y);
                rnn.Backward(tape, dy, dx, g);
            });
        }
        foreach (var sync in Enum.GetValues<ParameterSync>())
            foreach (var row in DeviceRows(shape, options with { ParameterSync = sync }, batch, r, repetitions)) yield return row;
    }

    // The device-pointer API: no host copies, the figure to set beside a framework's GPU tensors. With Compare each call
    // reads the host parameters once; Announced (weights unchanged between calls) is the bare cuDNN call.
    private static IEnumerable<BenchRow> DeviceRows(BenchShape shape, RnnOptions options, SequenceBatch batch, Random r, int repetitions)
    {
        string sync = options.ParameterSync == ParameterSync.Compare ? "" : $", {options.ParameterSync}";
        using var rnn = new Rnn<float>(options);
        using var device = CudaDevice.Open(options.DeviceOrdinal);
        long xn = batch.ElementCount(shape.Input), yn = batch.ElementCount(options.OutputFeatures);
        using var x = device.Allocate(xn * 4);
        using var y = device.Allocate(yn * 4);
        using var dy = device.Allocate(yn * 4);
        using var dx = device.Allocate(xn * 4);
        using var g = device.Allocate((long)rnn.ParameterCount * 4);
        Upload(x, ParityRun.Uniform(r, xn));
        Upload(dy, ParityRun.Uniform(r, yn));
        var fwd = new DeviceForwardTensors(x.Pointer, y.Pointer);
        yield return Measure(shape, $"forward device Dynamic{sync}", false, rnn, repetitions, () =>
        {
            rnn.ForwardDevice(batch, fwd);
            CudaApi.Check(CudaApi.cuCtxSynchronize(), "cuCtxSynchronize");
        });
        yield return Measure(shape, $"train device Dynamic{sync}", false, rnn, repetitions, () =>
        {
            using var tape = rnn.ForwardTrainingDevice(batch, fwd);
            rnn.BackwardDevice(tape, new DeviceBackwardTensors(dy.Pointer, dx.Pointer, g.Pointer));
        });
    }

    private static BenchRow Measure(BenchShape shape, string what, bool swap, Rnn<float> rnn, int repetitions, Action call)
    {
        for (int i = 0; i < 3; i++) call();
        rnn.ResetDeviceMemoryPeak();
        var times = new double[repetitions];
        for (int i = 0; i < repetitions; i++)
        {
            long start = Stopwatch.GetTimestamp();
            call();
            times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        Array.Sort(times);
        var memory = rnn.DeviceMemory!.Value;
        return new BenchRow(shape, what, swap, times[repetitions / 2], memory.PeakBytes, memory.PeakDriverUsedBytes);
    }

    private static unsafe void Upload(DeviceBuffer dst, float[] src)
    {
        fixed (float* p = src) CudaCopy.HostToDevice(dst.Pointer, (nint)p, dst.Bytes, 0);
        CudaApi.Check(CudaApi.cuCtxSynchronize(), "cuCtxSynchronize");
    }
}
