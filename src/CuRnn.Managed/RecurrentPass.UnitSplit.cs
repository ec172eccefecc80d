using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using CuRnn.Managed.Cells;
using CuRnn.Managed.Threading;

namespace CuRnn.Managed;

/// <summary>How a forward pass shares its step loop between threads.</summary>
internal enum ForwardSplit
{
    /// <summary>Row ranges, each running every step for its own sequences (or all rows on one thread).</summary>
    Rows,
    /// <summary>Hidden units: every thread runs every step for all rows and its own units, meeting after each step.</summary>
    Units,
    /// <summary>The rows on the calling thread while a worker projects the inputs of the coming steps.</summary>
    Pipeline,
}

internal static partial class RecurrentPass
{
    // Multiply-adds of one step's recurrent product per member below which the barrier after every step (and the
    // shared cache lines at the units' edges) cost more than the split saves.
    private const long UnitWorkPerMember = 1L << 19;

    /// <summary>
    /// How many threads can split a forward pass's hidden units: each takes whole panels of the packed recurrent
    /// weights (so H must be a multiple of the panel width), and enough of a step's work to pay for its barrier.
    /// Not for LSTM projection (the projection needs every unit before any output) nor per-step input projection.
    /// </summary>
    internal static int UnitParts<T>(ref DirectionForward<T> p, StepSchedule s, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (threads < 2 || !UnitsCanSplit(ref p)) return 1;
        int h = p.HiddenSize;
        long work = (long)s.MaxBatch * p.Cell.GateCount() * h * p.OutputSize;
        return (int)Math.Min(Math.Min(threads, h / Gemm.PanelWidth<T>()), Math.Max(1, work / UnitWorkPerMember));
    }

    private static bool UnitsCanSplit<T>(ref DirectionForward<T> p) where T : unmanaged, IFloatingPointIeee754<T>
        => !p.PerStepInputProjection && p.Whr.IsEmpty && p.WhhPackedT is not null && p.HiddenSize % Gemm.PanelWidth<T>() == 0;

    private static unsafe void RunUnits<T>(ref DirectionForward<T> p, StepSchedule s, int threads) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var gang = new UnitGang<T>(Unsafe.AsPointer(ref p), Unsafe.AsPointer(ref s));
        WorkerPool.Gang(Math.Max(1, Math.Min(threads, p.HiddenSize / Gemm.PanelWidth<T>())), &UnitGang<T>.Run, &gang);
    }

    private readonly unsafe struct UnitGang<T>(void* pass, void* schedule) where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly void* _pass = pass, _schedule = schedule;

        public static void Run(void* state, GangMember member)
        {
            ref readonly UnitGang<T> gang = ref Unsafe.AsRef<UnitGang<T>>(state);
            ForwardUnits(ref Unsafe.AsRef<DirectionForward<T>>(gang._pass), Unsafe.AsRef<StepSchedule>(gang._schedule), member);
        }
    }

    /// <summary>
    /// One member's share of a unit-split forward pass: every step, for all rows, the gate columns of its units
    /// (their recurrent product against its panels of packed W_hhᵀ), their cells, their state and outputs. The state
    /// alternates between <c>H</c> and a second buffer, since every member reads the whole previous state while the
    /// others write their units of the next; a row's final state is copied back into <c>H</c>. The inputs are
    /// projected (with the biases) before the loop.
    /// </summary>
    private static void ForwardUnits<T>(ref DirectionForward<T> p, StepSchedule s, GangMember member) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int h = p.HiddenSize, hout = p.OutputSize, gateCount = p.Cell.GateCount(), g = gateCount * h, maxB = s.MaxBatch;
        int panels = h / Gemm.PanelWidth<T>(), panel = Gemm.PanelWidth<T>();
        int u0 = panels * member.Index / member.Count * panel, u1 = panels * (member.Index + 1) / member.Count * panel, count = u1 - u0;
        bool training = !p.HPrev.IsEmpty, gru = p.Cell == CellFunction.Gru;
        Span<T> gh = p.Work[..(maxB * g)];
        Span<T> alternate = p.Work.Slice(maxB * (g + h), maxB * hout);
        Span<T> first = p.H[..(maxB * hout)];
        for (int b = 0; b < maxB; b++) Units(first, b, hout, u0, count).CopyTo(Units(alternate, b, hout, u0, count));

        for (int k = 0; k < s.Steps; k++)
        {
            int t = p.Reverse ? s.Steps - 1 - k : k;
            int bs = s.BatchSizes[t], o = s.Offsets[t];
            Span<T> current = k % 2 == 0 ? first : alternate, next = k % 2 == 0 ? alternate : first;
            if (count > 0)
            {
                Span<T> gates = p.Gates.Slice(o * g, bs * g);
                ReadOnlySpan<T> hIn = current[..(bs * hout)];
                if (training)
                    for (int b = 0; b < bs; b++) Units(current, b, hout, u0, count).CopyTo(Units(p.HPrev, o + b, hout, u0, count));
                for (int gate = 0; gate < gateCount; gate++)
                {
                    int from = gate * h + u0;
                    if (gru)
                    {
                        for (int b = 0; b < bs; b++)
                        {
                            var dst = gh.Slice(b * g + from, count);
                            if (p.Bhh.IsEmpty) dst.Clear(); else p.Bhh.Slice(from, count).CopyTo(dst);
                        }
                        Gemm.MultiplyColumns(bs, hIn, hout, p.WhhPackedT!, gh, g, from, from + count, accumulate: true);
                    }
                    else Gemm.MultiplyColumns(bs, hIn, hout, p.WhhPackedT!, gates, g, from, from + count, accumulate: true);
                }
                for (int b = 0; b < bs; b++)
                {
                    Span<T> row = gates.Slice(b * g, g), hRow = next.Slice(b * hout, hout);
                    switch (p.Cell)
                    {
                        case CellFunction.Tanh:
                            PlainCell.Tanh<T>(row.Slice(u0, count), row.Slice(u0, count));
                            row.Slice(u0, count).CopyTo(hRow.Slice(u0, count));
                            break;
                        case CellFunction.Relu:
                            TensorPrimitives.Max(row.Slice(u0, count), T.Zero, row.Slice(u0, count));
                            row.Slice(u0, count).CopyTo(hRow.Slice(u0, count));
                            break;
                        case CellFunction.Lstm:
                        {
                            Span<T> cRow = p.C.Slice(b * h, h);
                            if (training) cRow.Slice(u0, count).CopyTo(Units(p.CPrev, o + b, h, u0, count));
                            LstmCell.Forward(row, cRow, hRow, h, u0, count);
                            if (training) cRow.Slice(u0, count).CopyTo(Units(p.CNext, o + b, h, u0, count));
                            break;
                        }
                        case CellFunction.Gru:
                        {
                            Span<T> ghRow = gh.Slice(b * g, g);
                            Units(current, b, hout, u0, count).CopyTo(hRow.Slice(u0, count));
                            GruCell.Forward<T>(row, ghRow, hRow, h, u0, count);
                            if (training) ghRow.Slice(2 * h + u0, count).CopyTo(Units(p.GruHn, o + b, h, u0, count));
                            break;
                        }
                    }
                    hRow.Slice(u0, count).CopyTo(p.Y.Slice((o + b) * p.YStride + p.YColumn + u0, count));
                }
            }
            member.Barrier();
        }

        // A row's last step wrote its state into the buffer that step k = last + 1 would read.
        for (int b = 0; b < maxB; b++)
        {
            int length = 0;
            while (length < s.Steps && s.BatchSizes[length] > b) length++;
            int lastPlusOne = p.Reverse ? s.Steps : length;
            if (length > 0 && lastPlusOne % 2 == 1) Units(alternate, b, hout, u0, count).CopyTo(Units(first, b, hout, u0, count));
        }
    }

    // Columns [u0, u0 + count) of row `row` of a [rows, width] buffer.
    private static Span<T> Units<T>(Span<T> buffer, int row, int width, int u0, int count) => buffer.Slice(row * width + u0, count);
}
