namespace CuRnn.Checks;

/// <summary>How a parity case hands data to the cuDNN engine.</summary>
internal enum ParityApi
{
    /// <summary>Host spans (<see cref="Rnn{T}.ForwardTraining"/>).</summary>
    HostSpans,
    /// <summary>Device pointers on the app's stream (<see cref="Rnn{T}.ForwardTrainingDevice"/>; dynamic mode).</summary>
    DevicePointers,
}

/// <summary>One GPU-vs-managed comparison: a layer shape, a batch layout with mixed lengths (0 included), a mode, swap on or off.</summary>
/// <param name="Cell">The recurrence.</param>
/// <param name="Layers">Stacked layers.</param>
/// <param name="Bidirectional">Two directions.</param>
/// <param name="Projection">LSTM projection size (0 = none).</param>
/// <param name="Layout">Batch layout.</param>
/// <param name="Mode">Execution mode.</param>
/// <param name="Swap">Activations swapped to host memory during training.</param>
/// <param name="Api">Host spans or device pointers.</param>
/// <param name="Precision">cuDNN arithmetic (strict FP32 unless the case tests TF32 or FP16).</param>
/// <param name="Rectangular">Every sequence has length T (cuDNN may then take its persistent small-hidden kernel).</param>
/// <param name="Hidden">H, or 0 for <see cref="HiddenSize"/>.</param>
internal sealed record ParityCase(RnnCellKind Cell, int Layers, bool Bidirectional, int Projection, SequenceLayout Layout,
    ExecutionMode Mode, bool Swap, ParityApi Api = ParityApi.HostSpans, RnnPrecision Precision = RnnPrecision.Strict,
    bool Rectangular = false, int Hidden = 0)
{
    /// <summary>
    /// The documented tolerance: 1e-5 in strict FP32, 2e-2 with TF32 or FP16 (10-bit mantissas). Equal-length batches
    /// may run cuDNN's persistent small-hidden kernel, whose FP32 rounds more coarsely (measured up to 1.3e-5 on an
    /// H100 with cuDNN 9.19, against 3.3e-7 for the standard algorithm): 3e-5 there.
    /// </summary>
    public double Tolerance => Precision != RnnPrecision.Strict ? 2e-2 : Rectangular ? 3e-5 : 1e-5;

    /// <summary>Sizes of every case: I, H, P (when projected), B, T.</summary>
    public const int InputSize = 5, HiddenSize = 8, ProjectionSize = 3, Batch = 6, Steps = 7;

    /// <summary>A name that says the whole case, e.g. <c>Lstm-L2-bi-P3-Packed-Static-swap-host</c>.</summary>
    public string Name => $"{Cell}-L{Layers}-{(Bidirectional ? "bi" : "uni")}{(Projection > 0 ? $"-P{Projection}" : "")}{(Hidden > 0 ? $"-H{Hidden}" : "")}-{Layout}{(Rectangular ? "-rect" : "")}-{Mode}-{(Swap ? "swap" : "noswap")}-{(Api == ParityApi.HostSpans ? "host" : "device")}{(Precision == RnnPrecision.Strict ? "" : "-" + Precision)}";

    /// <summary>The layer's options on <paramref name="backend"/>.</summary>
    public RnnOptions Options(RnnBackend backend) => new()
    {
        Cell = Cell, InputSize = InputSize, HiddenSize = Hidden > 0 ? Hidden : HiddenSize, NumLayers = Layers, Bidirectional = Bidirectional,
        ProjectionSize = Projection, Backend = backend, Mode = Mode, SwapActivations = Swap, Precision = Precision,
    };

    /// <inheritdoc/>
    public override string ToString() => Name;
}

/// <summary>The parity matrix: every cell × layers × directions × projection × layout × mode × swap, plus the device-pointer API.</summary>
internal static class ParityCases
{
    /// <summary>Every case (used by the NUnit GPU tests and by <c>curnn check</c> on a GPU).</summary>
    public static IEnumerable<ParityCase> All()
    {
        foreach (var cell in Enum.GetValues<RnnCellKind>())
        foreach (int layers in new[] { 1, 2 })
        foreach (bool bi in new[] { false, true })
        foreach (int projection in cell == RnnCellKind.Lstm ? new[] { 0, ParityCase.ProjectionSize } : new[] { 0 })
        foreach (var layout in Enum.GetValues<SequenceLayout>())
        {
            foreach (var mode in Enum.GetValues<ExecutionMode>())
            foreach (bool swap in new[] { false, true })
                yield return new ParityCase(cell, layers, bi, projection, layout, mode, swap);
            yield return new ParityCase(cell, layers, bi, projection, layout, ExecutionMode.Dynamic, false, ParityApi.DevicePointers);
        }
        foreach (var cell in new[] { RnnCellKind.Lstm, RnnCellKind.Gru })
        foreach (var precision in new[] { RnnPrecision.TensorFloat32, RnnPrecision.Half })
            yield return new ParityCase(cell, 2, true, 0, SequenceLayout.SequenceMajor, ExecutionMode.Dynamic, false, Precision: precision);
        // Equal lengths: dynamic calls may run cuDNN's persistent small-hidden kernel (H = 8: training and inference;
        // H = 160: inference only, above its training limit for LSTM and GRU).
        foreach (var cell in Enum.GetValues<RnnCellKind>())
        foreach (int hidden in new[] { 0, 160 })
        foreach (int layers in new[] { 1, 2 })
        foreach (bool bi in new[] { false, true })
        foreach (var layout in new[] { SequenceLayout.SequenceMajor, SequenceLayout.Packed })
        {
            yield return new ParityCase(cell, layers, bi, 0, layout, ExecutionMode.Dynamic, false, Rectangular: true, Hidden: hidden);
            yield return new ParityCase(cell, layers, bi, 0, layout, ExecutionMode.Dynamic, true, Rectangular: true, Hidden: hidden);
            yield return new ParityCase(cell, layers, bi, 0, layout, ExecutionMode.Dynamic, false, ParityApi.DevicePointers, Rectangular: true, Hidden: hidden);
        }
        foreach (var precision in new[] { RnnPrecision.TensorFloat32, RnnPrecision.Half })
            yield return new ParityCase(RnnCellKind.Lstm, 2, true, 0, SequenceLayout.SequenceMajor, ExecutionMode.Dynamic, false, Precision: precision, Rectangular: true);
    }
}
