using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using CuRnn.Managed.Cells;

namespace CuRnn.Managed;

/// <summary>
/// The step loops of one direction of one recurrent layer over packed rows: forward (inference or
/// training) and backward with weight gradients. Per step one recurrent GEMM and the cells; the input
/// projection of all steps is one GEMM before the loop (unless per-step), and the weight and input
/// gradients are large GEMMs after the backward loop. With several threads a forward pass splits its
/// rows (each range runs every step for its own sequences: a sequence's recurrence reads only its own
/// row), its hidden units (every thread runs every step for all rows and its own units, with a barrier
/// per step; <see cref="UnitParts"/>) or, when neither pays, projects the inputs on a worker alongside
/// the step loop. Every way gives the same bits.
/// </summary>
internal static partial class RecurrentPass
{
    /// <summary>Scratch elements <see cref="Forward"/> needs for a batch of at most <paramref name="maxBatch"/> rows:
    /// the GRU's recurrent gates, the projection's input and a second state buffer (for split units).</summary>
    public static long ForwardWorkLength(CellFunction cell, int maxBatch, int hiddenSize)
        => (long)maxBatch * (cell.GateCount() * (long)hiddenSize + 2L * hiddenSize);

    /// <summary>Scratch elements <see cref="Backward"/> needs for a batch of at most <paramref name="maxBatch"/> rows:
    /// dL/dh of each row and of the step before, and dL/d(h before projection).</summary>
    public static long BackwardWorkLength(int maxBatch, int hiddenSize, int outputSize)
        => (long)maxBatch * (2L * outputSize + hiddenSize);

    /// <summary>Runs one direction of one layer forward over the schedule.</summary>
    public static unsafe void Forward<T>(ref DirectionForward<T> p, StepSchedule s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int threads = Math.Max(1, p.Threads);
        var split = p.PerStepInputProjection ? ForwardSplit.Rows : SplitOverride ?? ChooseSplit(ref p, s, threads);
        if (split == ForwardSplit.Units && !UnitsCanSplit(ref p)) split = ForwardSplit.Rows;
        if (split == ForwardSplit.Pipeline && threads > 1 && PipelineChunkSteps(s) > 0 && TryProjectAlongside(ref p, s)) return;
        if (!p.PerStepInputProjection && s.Rows > 0) ProjectInputs(ref p, 0, s.Rows, threads);
        if (split == ForwardSplit.Units) RunUnits(ref p, s, threads);
        else RunRows(Unsafe.AsPointer(ref p), s, &ForwardRows<T>, threads);
    }

    /// <summary>
    /// How a forward pass with its inputs projected before the loop uses its threads: split rows where every thread
    /// gets rows, else split units where more threads get units than rows, else project alongside the step loop
    /// (rows on one thread), else rows.
    /// </summary>
    internal static ForwardSplit ChooseSplit<T>(ref DirectionForward<T> p, StepSchedule s, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = RowParts(s, threads);
        if (rows >= threads) return ForwardSplit.Rows;
        if (UnitParts(ref p, s, threads) > rows) return ForwardSplit.Units;
        return rows == 1 && PipelineChunkSteps(s) > 0 ? ForwardSplit.Pipeline : ForwardSplit.Rows;
    }

    /// <summary>Forces how forward passes split their work (tests and measurements); null lets each pass choose.</summary>
    internal static ForwardSplit? SplitOverride { get; set; }

    private static unsafe void ForwardRows<T>(void* pass, StepSchedule s, int from, int to, int threads) where T : unmanaged, IFloatingPointIeee754<T>
        => ForwardRows(ref Unsafe.AsRef<DirectionForward<T>>(pass), s, from, to, threads);

    // The step loop for rows [from, to) of every step (the rows of a step are sequences from the longest down, so
    // a row range is the same sequences at every step), its products on `threads` threads. Scratch rows are indexed
    // by row, so ranges never share any.
    private static void ForwardRows<T>(ref DirectionForward<T> p, StepSchedule s, int from, int to, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = p.HiddenSize, hout = p.OutputSize, g = p.Cell.GateCount() * h;
        bool training = !p.HPrev.IsEmpty;
        bool projected = !p.Whr.IsEmpty;
        bool gru = p.Cell == CellFunction.Gru;
        int maxB = s.MaxBatch;

        Span<T> work = p.Work;
        Span<T> ghAll = work[..(maxB * g)]; work = work[(maxB * g)..];       // GRU recurrent part
        Span<T> hrawAll = work[..(maxB * h)];                                 // projection input (inference)

        for (int k = 0; k < s.Steps; k++)
        {
            int t = p.Reverse ? s.Steps - 1 - k : k;
            int bs = Math.Min(s.BatchSizes[t], to) - from, o = s.Offsets[t] + from;
            if (bs <= 0) continue;
            unsafe { if (p.ProjectedSteps != null) AwaitProjection(p.ProjectedSteps, k); }
            Span<T> gates = p.Gates.Slice(o * g, bs * g);
            Span<T> hState = p.H.Slice(from * hout, bs * hout);
            Span<T> gh = ghAll.Slice(from * g, bs * g), hraw = hrawAll.Slice(from * h, bs * h);

            if (p.PerStepInputProjection) ProjectInputs(ref p, o, bs, threads);
            if (training) hState.CopyTo(p.HPrev.Slice(o * hout, bs * hout));

            if (gru)
            {
                FillBias(gh, g, p.Bhh, default);
                GateProduct(hState, bs, g, hout, p.Whh, p.WhhPackedT, gh, threads);
            }
            else
            {
                GateProduct(hState, bs, g, hout, p.Whh, p.WhhPackedT, gates, threads);
            }

            for (int b = 0; b < bs; b++)
            {
                Span<T> row = gates.Slice(b * g, g);
                Span<T> hRow = hState.Slice(b * hout, hout);
                switch (p.Cell)
                {
                    case CellFunction.Tanh:
                        PlainCell.Tanh<T>(row, row);
                        row.CopyTo(hRow);
                        break;
                    case CellFunction.Relu:
                        TensorPrimitives.Max(row, T.Zero, row);
                        row.CopyTo(hRow);
                        break;
                    case CellFunction.Lstm:
                    {
                        Span<T> cRow = p.C.Slice((from + b) * h, h);
                        if (training) cRow.CopyTo(p.CPrev.Slice((o + b) * h, h));
                        Span<T> hOut = projected ? (training ? p.HRaw.Slice((o + b) * h, h) : hraw.Slice(b * h, h)) : hRow;
                        LstmCell.Forward(row, cRow, hOut, h);
                        if (training) cRow.CopyTo(p.CNext.Slice((o + b) * h, h));
                        break;
                    }
                    case CellFunction.Gru:
                    {
                        Span<T> ghRow = gh.Slice(b * g, g);
                        GruCell.Forward<T>(row, ghRow, hRow, h);
                        if (training) ghRow.Slice(2 * h, h).CopyTo(p.GruHn.Slice((o + b) * h, h));
                        break;
                    }
                }
            }

            if (projected)
            {
                ReadOnlySpan<T> raw = training ? p.HRaw.Slice(o * h, bs * h) : hraw;
                Gemm.Multiply(Transpose.No, Transpose.Yes, bs, hout, h, raw, h, p.Whr, h, hState, hout, accumulate: false, threads);
            }
            for (int b = 0; b < bs; b++)
                hState.Slice(b * hout, hout).CopyTo(p.Y.Slice((o + b) * p.YStride + p.YColumn, hout));
        }
    }

    /// <summary>
    /// Runs one direction of one layer backward: input, state and (unless <c>DWih</c> is empty) weight
    /// gradients, all added into their destinations except <c>DH</c>/<c>DC</c>, which are replaced.
    /// </summary>
    public static unsafe void Backward<T>(ref DirectionBackward<T> p, StepSchedule s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int threads = Math.Max(1, p.Threads);
        RunRows(Unsafe.AsPointer(ref p), s, &BackwardRows<T>, threads);

        int h = p.HiddenSize, hout = p.OutputSize, g = p.Cell.GateCount() * h, inSize = p.InputSize;
        bool projected = !p.Whr.IsEmpty;
        bool gru = p.Cell == CellFunction.Gru;
        int rows = s.Rows;
        if (rows == 0) return;
        ReadOnlySpan<T> dGx = p.Gates[..(rows * g)];
        ReadOnlySpan<T> dGh = gru ? p.DGh[..(rows * g)] : dGx;
        if (!p.DX.IsEmpty)
            Gemm.Multiply(Transpose.No, Transpose.No, rows, inSize, g, dGx, g, p.Wih, inSize, p.DX, inSize, accumulate: true, threads);
        if (p.DWih.IsEmpty) return;
        Gemm.Multiply(Transpose.Yes, Transpose.No, g, inSize, rows, dGx, g, p.X, inSize, p.DWih, inSize, accumulate: true, threads);
        Gemm.Multiply(Transpose.Yes, Transpose.No, g, hout, rows, dGh, g, p.HPrev, hout, p.DWhh, hout, accumulate: true, threads);
        if (p.HasBias)
        {
            for (int r = 0; r < rows; r++)
            {
                TensorPrimitives.Add(p.DBih, dGx.Slice(r * g, g), p.DBih);
                TensorPrimitives.Add(p.DBhh, dGh.Slice(r * g, g), p.DBhh);
            }
        }
        if (projected)
            Gemm.Multiply(Transpose.Yes, Transpose.No, hout, h, rows, p.DHOut, hout, p.HRaw, h, p.DWhr, h, accumulate: true, threads);
    }

    private static unsafe void BackwardRows<T>(void* pass, StepSchedule s, int from, int to, int threads) where T : unmanaged, IFloatingPointIeee754<T>
        => BackwardRows(ref Unsafe.AsRef<DirectionBackward<T>>(pass), s, from, to, threads);

    // The backward step loop for rows [from, to) of every step; see ForwardRows.
    private static void BackwardRows<T>(ref DirectionBackward<T> p, StepSchedule s, int from, int to, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = p.HiddenSize, hout = p.OutputSize, g = p.Cell.GateCount() * h;
        bool projected = !p.Whr.IsEmpty;
        bool gru = p.Cell == CellFunction.Gru;
        int maxB = s.MaxBatch;

        Span<T> work = p.Work;
        Span<T> dhTotAll = work[..(maxB * hout)]; work = work[(maxB * hout)..];   // dL/dh of each row's output
        Span<T> dhPrevAll = work[..(maxB * hout)]; work = work[(maxB * hout)..];  // next dH state
        Span<T> dhRawAll = work[..(maxB * h)];                                    // dL/d(h before projection)

        for (int k = 0; k < s.Steps; k++)
        {
            // Undo the forward order.
            int t = p.Reverse ? k : s.Steps - 1 - k;
            int bs = Math.Min(s.BatchSizes[t], to) - from, o = s.Offsets[t] + from;
            if (bs <= 0) continue;
            Span<T> dG = p.Gates.Slice(o * g, bs * g);
            Span<T> dhTot = dhTotAll.Slice(from * hout, bs * hout), dhPrev = dhPrevAll.Slice(from * hout, bs * hout);
            Span<T> dhRaw = dhRawAll.Slice(from * h, bs * h);
            Span<T> dhState = p.DH.Slice(from * hout, bs * hout);

            for (int b = 0; b < bs; b++)
            {
                Span<T> d = dhTot.Slice(b * hout, hout);
                TensorPrimitives.Add(dhState.Slice(b * hout, hout), p.DY.Slice((o + b) * p.DYStride + p.DYColumn, hout), d);
            }
            Span<T> dhCell = dhTot;
            if (projected)
            {
                dhCell.CopyTo(p.DHOut.Slice(o * hout, bs * hout));
                Gemm.Multiply(Transpose.No, Transpose.No, bs, h, hout, dhCell, hout, p.Whr, h, dhRaw, h, accumulate: false, threads);
                dhCell = dhRaw;
            }
            for (int b = 0; b < bs; b++)
            {
                Span<T> row = dG.Slice(b * g, g);
                ReadOnlySpan<T> dh = dhCell.Slice(b * h, h);
                switch (p.Cell)
                {
                    case CellFunction.Tanh:
                        PlainCell.TanhGradient(row, dh);
                        break;
                    case CellFunction.Relu:
                        for (int j = 0; j < h; j++) row[j] = row[j] > T.Zero ? dh[j] : T.Zero;
                        break;
                    case CellFunction.Lstm:
                        LstmCell.Backward(row, p.CNext.Slice((o + b) * h, h), p.CPrev.Slice((o + b) * h, h), dh,
                            p.DC.Slice((from + b) * h, h), h);
                        break;
                    case CellFunction.Gru:
                        GruCell.Backward(row, p.HPrev.Slice((o + b) * hout, hout), p.GruHn.Slice((o + b) * h, h), dh,
                            p.DGh.Slice((o + b) * g, g), dhPrev.Slice(b * hout, hout), h);
                        break;
                }
            }

            // dH for the step before: dG_h · W_hh (+ the GRU's direct z path).
            if (gru)
            {
                RecurrentGradient(p.DGh.Slice(o * g, bs * g), bs, g, hout, p.Whh, p.WhhPacked, dhPrev, accumulate: true, threads);
                dhPrev.CopyTo(dhState);
            }
            else
            {
                RecurrentGradient(dG, bs, g, hout, p.Whh, p.WhhPacked, dhState, accumulate: false, threads);
            }
        }
    }

    // Gate rows [row, row + rows) = bias + their input rows · W_ihᵀ (the GRU's recurrent bias stays with its recurrent
    // part): all steps before the loop, one step inside it, or a chunk of steps on a worker.
    private static void ProjectInputs<T>(ref DirectionForward<T> p, int row, int rows, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int g = p.Cell.GateCount() * p.HiddenSize, inSize = p.InputSize;
        Span<T> gates = p.Gates.Slice(row * g, rows * g);
        FillBias(gates, g, p.Bih, p.Cell == CellFunction.Gru ? default : p.Bhh);
        GateProduct(p.X.Slice(row * inSize, rows * inSize), rows, g, inSize, p.Wih, p.WihPackedT, gates, threads);
    }

    // Each row of dst [rows, width] = a + b (either may be empty: zero).
    private static void FillBias<T>(Span<T> dst, int width, ReadOnlySpan<T> a, ReadOnlySpan<T> b) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = dst.Length / width;
        if (a.IsEmpty && b.IsEmpty) { dst.Clear(); return; }
        Span<T> first = dst[..width];
        if (a.IsEmpty) b.CopyTo(first);
        else if (b.IsEmpty) a.CopyTo(first);
        else TensorPrimitives.Add(a, b, first);
        for (int r = 1; r < rows; r++) first.CopyTo(dst.Slice(r * width, width));
    }

    // gates[bs, g] += h[bs, k] · Wᵀ (W_hh for the recurrent part, W_ih for the inputs), with Wᵀ pre-packed when the engine has it.
    private static void GateProduct<T>(ReadOnlySpan<T> h, int bs, int g, int hout, ReadOnlySpan<T> whh, PackedMatrix<T>? packedT, Span<T> gates, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (packedT is not null) Gemm.Multiply(Transpose.No, bs, h, hout, packedT, gates, g, accumulate: true, threads);
        else Gemm.Multiply(Transpose.No, Transpose.Yes, bs, g, hout, h, hout, whh, hout, gates, g, accumulate: true, threads);
    }

    // dh[bs, hout] (+)= dG[bs, g] · W_hh, with W_hh pre-packed when the engine has it.
    private static void RecurrentGradient<T>(ReadOnlySpan<T> dG, int bs, int g, int hout, ReadOnlySpan<T> whh, PackedMatrix<T>? packed, Span<T> dh,
        bool accumulate, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (packed is not null) Gemm.Multiply(Transpose.No, bs, dG, g, packed, dh, hout, accumulate, threads);
        else Gemm.Multiply(Transpose.No, Transpose.No, bs, hout, g, dG, g, whh, hout, dh, hout, accumulate, threads);
    }
}
