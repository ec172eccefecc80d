using System.Numerics;
using CuRnn.Managed;

namespace CuRnn.Engines;

internal sealed partial class ManagedEngine<T>
{
    /// <summary>
    /// Streaming state for a unidirectional layer: every call runs one step of every layer for all B
    /// rows (static mode) with the engine's packed weights, with state and scratch allocated once here.
    /// </summary>
    private sealed class ManagedStepper : EngineStepper<T>
    {
        private readonly ManagedEngine<T> _e;
        private readonly int _b;
        private readonly T[] _h, _c, _gates, _work, _between;
        private readonly int[] _batchSizes, _offsets;

        public ManagedStepper(ManagedEngine<T> engine, int batchSize)
        {
            _e = engine; _b = batchSize;
            const string Why = "the stream's state and scratch for batchSize rows";
            _h = new T[Sizes.Elements(nameof(batchSize), Why, engine._l, batchSize, engine._hout)];
            _c = engine.IsLstm ? new T[Sizes.Elements(nameof(batchSize), Why, engine._l, batchSize, engine._h)] : [];
            _gates = new T[Sizes.Elements(nameof(batchSize), Why, batchSize, engine._g)];
            _work = new T[Sizes.Elements(nameof(batchSize), Why, RecurrentPass.ForwardWorkLength(engine._cell, batchSize, engine._h))];
            _between = new T[Sizes.Elements(nameof(batchSize), Why, 2, batchSize, engine._hout)];
            _batchSizes = [batchSize];
            _offsets = [0];
        }

        public override void Step(ReadOnlySpan<T> x, Span<T> y)
        {
            _e.BeginCall();
            Run(x, y);
        }

        private void Run(ReadOnlySpan<T> x, Span<T> y)
        {
            var e = _e;
            var s = new StepSchedule(_batchSizes, _offsets);
            ReadOnlySpan<T> input = x;
            int hw = _b * e._hout, cw = _b * e._h;
            for (int layer = 0; layer < e._l; layer++)
            {
                Span<T> output = layer == e._l - 1 ? y : _between.AsSpan((layer % 2) * hw, hw);
                var p = new DirectionForward<T>
                {
                    Cell = e._cell, InputSize = e.InputSizeOf(layer), HiddenSize = e._h, OutputSize = e._hout,
                    PerStepInputProjection = true, Threads = e._threads,
                    X = input, Wih = e.W(layer, 0, RnnParameterKind.InputWeight), Whh = e.W(layer, 0, RnnParameterKind.RecurrentWeight),
                    WhhPackedT = e._packed.Transposed(layer, 0), WihPackedT = e._packed.InputTransposed(layer, 0),
                    Bih = e.W(layer, 0, RnnParameterKind.InputBias), Bhh = e.W(layer, 0, RnnParameterKind.RecurrentBias),
                    Whr = e.W(layer, 0, RnnParameterKind.ProjectionWeight),
                    H = _h.AsSpan(layer * hw, hw), C = e.IsLstm ? _c.AsSpan(layer * cw, cw) : default,
                    Y = output, YStride = e._hout, Gates = _gates, Work = _work,
                };
                RecurrentPass.Forward(ref p, s);
                input = output;
            }
        }

        public override void SetState(ReadOnlySpan<T> h, ReadOnlySpan<T> c)
        {
            if (h.IsEmpty) Array.Clear(_h); else h.CopyTo(_h);
            if (c.IsEmpty) Array.Clear(_c); else c.CopyTo(_c);
        }

        public override void GetState(Span<T> h, Span<T> c)
        {
            if (!h.IsEmpty) _h.CopyTo(h);
            if (!c.IsEmpty) _c.CopyTo(c);
        }

        public override void Dispose() { }
    }
}
