using CuRnn.Engines.Cudnn;

namespace CuRnn;

/// <summary>
/// Device addresses for a forward on the cuDNN engine (any library's allocations), in the batch's layout and the
/// caller's sequence order; 0 means "not given" for the optional states. Elements are <c>T</c> (FP16 when the layer's
/// precision is <see cref="RnnPrecision.Half"/>).
/// </summary>
/// <param name="X">Input [rows, I].</param>
/// <param name="Y">Output [rows, D*Hout]; padded positions are written as 0.</param>
/// <param name="H0">Initial h [L*D, B, Hout], or 0 for zeros.</param>
/// <param name="C0">Initial c [L*D, B, H] (LSTM), or 0 for zeros.</param>
/// <param name="HN">Receives final h, or 0.</param>
/// <param name="CN">Receives final c (LSTM), or 0.</param>
public readonly record struct DeviceForwardTensors(nint X, nint Y, nint H0 = 0, nint C0 = 0, nint HN = 0, nint CN = 0);

/// <summary>Device addresses for a backward on the cuDNN engine; 0 means "not given" (or "skip" for outputs).</summary>
/// <param name="DY">Gradient for y [rows, D*Hout].</param>
/// <param name="DX">Receives the gradient for x, or 0.</param>
/// <param name="Gradients">Flat weight-gradient buffer laid out as <see cref="Rnn{T}.Parameters"/>, or 0 to skip.</param>
/// <param name="DHN">Gradient for hN, or 0 for zeros.</param>
/// <param name="DCN">Gradient for cN (LSTM), or 0 for zeros.</param>
/// <param name="DH0">Receives the gradient for h0, or 0.</param>
/// <param name="DC0">Receives the gradient for c0 (LSTM), or 0.</param>
public readonly record struct DeviceBackwardTensors(nint DY, nint DX = 0, nint Gradients = 0, nint DHN = 0, nint DCN = 0, nint DH0 = 0, nint DC0 = 0);

/// <summary>Device memory of a layer on the cuDNN engine, measured.</summary>
/// <param name="CurrentBytes">Bytes the layer holds on the device now (weights, descriptors' buffers, live tapes).</param>
/// <param name="PeakBytes">High-water mark of the layer's own allocations since the last reset.</param>
/// <param name="PeakDriverUsedBytes">The most device memory the driver reported in use (all users of the device), sampled at each allocation.</param>
/// <param name="TotalBytes">The device's memory.</param>
public readonly record struct DeviceMemoryStatistics(long CurrentBytes, long PeakBytes, long PeakDriverUsedBytes, long TotalBytes);

public sealed partial class Rnn<T>
{
    /// <summary>Inference on the cuDNN engine with device buffers and the app's CUDA stream (no host copies; dynamic mode).</summary>
    /// <param name="batch">Layout and lengths.</param>
    /// <param name="tensors">Device addresses.</param>
    /// <param name="stream">The app's <c>CUstream</c>/<c>cudaStream_t</c>, or 0 for the layer's own stream.</param>
    /// <exception cref="InvalidOperationException">The layer does not run on cuDNN.</exception>
    /// <exception cref="ArgumentException">x or y is 0, c0/cN is given to a cell other than LSTM, or a packed batch's lengths are not sorted.</exception>
    public void ForwardDevice(SequenceBatch batch, DeviceForwardTensors tensors, nint stream = 0)
    {
        using var scope = Enter();
        var engine = DeviceEngine(batch, tensors);
        engine.ForwardDevice(batch, ToIo(tensors), training: false, stream);
    }

    /// <summary>Training forward on the cuDNN engine with device buffers; x, y, h0 and c0 must stay unchanged until <see cref="BackwardDevice"/>.</summary>
    /// <exception cref="InvalidOperationException">The layer does not run on cuDNN.</exception>
    /// <exception cref="ArgumentException">x or y is 0, c0/cN is given to a cell other than LSTM, or a packed batch's lengths are not sorted.</exception>
    public RnnTape<T> ForwardTrainingDevice(SequenceBatch batch, DeviceForwardTensors tensors, nint stream = 0)
    {
        using var scope = Enter();
        var engine = DeviceEngine(batch, tensors);
        var state = engine.ForwardDevice(batch, ToIo(tensors), training: true, stream)!;
        return new RnnTape<T>(this, batch, ExecutionMode.Dynamic, state);
    }

    /// <summary>Backward on the cuDNN engine with device buffers; returns when the work on <paramref name="stream"/> is done.</summary>
    /// <exception cref="ArgumentException">The tape is not from <see cref="ForwardTrainingDevice"/> of this layer, or dy is 0.</exception>
    /// <exception cref="InvalidOperationException">The tape was already used, or the layer does not run on cuDNN.</exception>
    public void BackwardDevice(RnnTape<T> tape, DeviceBackwardTensors tensors, GradientMode gradientMode = GradientMode.Accumulate, nint stream = 0)
    {
        using var scope = Enter();
        ArgumentNullException.ThrowIfNull(tape);
        if (!ReferenceEquals(tape.Owner, this))
            throw new ArgumentException("tape was made by another layer; pass the tape this layer returned.", nameof(tape));
        if (tape.Peek() is not CudnnDeviceTape<T> state)
            throw new ArgumentException("tape was made by ForwardTraining (host spans); pass it to Backward, or use ForwardTrainingDevice.", nameof(tape));
        if (tensors.DY == 0) throw new ArgumentException("tensors.DY must be a device address; actual 0.", nameof(tensors));
        if (!IsLstmLayer && (tensors.DCN != 0 || tensors.DC0 != 0))
            throw new ArgumentException($"DCN and DC0 are for LSTM layers; this layer is {Options.Cell}: expected 0.", nameof(tensors));
        if (!Enum.IsDefined(gradientMode)) ThrowHelper.OutOfRange(nameof(gradientMode), "Accumulate or Overwrite", gradientMode);
        var engine = (CudnnEngine<T>)_engine;
        tape.BeginBackward();
        try
        {
            engine.BackwardDevice(state, new DeviceBackwardIo(tensors.DY, tensors.DHN, tensors.DCN, tensors.DX, tensors.DH0, tensors.DC0,
                tensors.Gradients, gradientMode == GradientMode.Overwrite), stream);
        }
        finally
        {
            tape.EndBackward();
            tape.Dispose();
        }
    }

    /// <summary>Measured device memory of this layer, or null on the managed engine.</summary>
    public DeviceMemoryStatistics? DeviceMemory
    {
        get
        {
            ThrowIfDisposed();
            if (_engine is not CudnnEngine<T> e) return null;
            var d = e.Device;
            return new DeviceMemoryStatistics(d.CurrentBytes, d.PeakBytes, d.PeakDriverUsedBytes, d.MemoryInfo().Total);
        }
    }

    /// <summary>Restarts the peaks of <see cref="DeviceMemory"/> from the current usage (no effect on the managed engine).</summary>
    public void ResetDeviceMemoryPeak()
    {
        ThrowIfDisposed();
        (_engine as CudnnEngine<T>)?.Device.ResetPeaks();
    }

    private bool IsLstmLayer => Options.Cell == RnnCellKind.Lstm;

    private CudnnEngine<T> DeviceEngine(SequenceBatch batch, DeviceForwardTensors t)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_engine is not CudnnEngine<T> engine)
            throw new InvalidOperationException($"Device pointers need the cuDNN engine; this layer runs on {Backend} ({Selection.Reason}).");
        // cuDNN's packed descriptor takes the states in the rows' order; the host-span API reorders them, this one cannot.
        if (batch.Layout == SequenceLayout.Packed && !batch.IsSorted)
            throw new ArgumentException($"A packed batch on device pointers needs non-increasing lengths (states in the packed rows' order); actual [{string.Join(",", batch.Lengths.ToArray())}]. Sort the sequences, or pass host spans.", nameof(batch));
        if (t.X == 0) throw new ArgumentException("tensors.X must be a device address; actual 0.", nameof(t));
        if (t.Y == 0) throw new ArgumentException("tensors.Y must be a device address; actual 0.", nameof(t));
        if (!IsLstmLayer && (t.C0 != 0 || t.CN != 0))
            throw new ArgumentException($"C0 and CN are for LSTM layers; this layer is {Options.Cell}: expected 0.", nameof(t));
        return engine;
    }

    private static DeviceForwardIo ToIo(DeviceForwardTensors t) => new(t.X, t.Y, t.H0, t.C0, t.HN, t.CN);
}
