using CuRnn.Native.Cuda;
using CuRnn.Native.Cudnn;

namespace CuRnn.Engines.Cudnn;

// Streaming on the GPU: static mode's per-layer networks, one cuDNN call per layer per fed step, states on the device.
internal sealed partial class CudnnEngine<T>
{
    public override EngineStepper<T> CreateStepper(int batchSize)
    {
        _rt.Enter();
        _ = StaticNetworks;
        return new CudnnStepper(this, batchSize);
    }

    private sealed class CudnnStepper : EngineStepper<T>
    {
        private readonly CudnnEngine<T> _e;
        private readonly int _b;
        private readonly DeviceBuffer _x;
        private readonly DeviceBuffer[] _y, _h, _c;
        private readonly DeviceBuffer _ws;
        private int _current;   // which half of each state buffer holds the state

        public CudnnStepper(CudnnEngine<T> engine, int batchSize)
        {
            _e = engine;
            _b = batchSize;
            var o = engine._o;
            int L = o.NumLayers;
            _y = new DeviceBuffer[L];
            _h = new DeviceBuffer[L];
            _c = new DeviceBuffer[L];
            long ws = 0;
            for (int l = 0; l < L; l++) ws = Math.Max(ws, engine.StepPlan(l, batchSize).InferenceWorkspaceBytes);
            _ws = engine._rt.AllocateBytes(ws);
            _x = engine.Alloc((long)batchSize * o.InputSize);
            for (int l = 0; l < L; l++)
            {
                _y[l] = engine.Alloc((long)batchSize * o.OutputSize);
                _h[l] = engine.Alloc(2L * batchSize * o.OutputSize);
                _c[l] = engine.Alloc(engine.IsLstm ? 2L * batchSize * o.HiddenSize : 0);
            }
            SetState(default, default);
        }

        public override void Step(ReadOnlySpan<T> x, Span<T> y)
        {
            var e = _e;
            e._rt.Enter();
            e.SyncWeights();
            e._rt.Upload(x, _x.Pointer);
            nint input = _x.Pointer;
            int next = 1 - _current;
            for (int l = 0; l < _y.Length; l++)
            {
                var net = e.StaticNetworks[l, 0];
                var sp = e.StepPlan(l, _b);
                long hBytes = (long)_b * e._o.OutputSize * e.E, cBytes = (long)_b * e._o.HiddenSize * e.E;
                CudnnApi.Check(CudnnApi.cudnnRNNForward(e._rt.Handle.Value, net.Descriptor.Value, CudnnForwardMode.Inference, 0,
                    sp.X.Value, input, sp.Y.Value, _y[l].Pointer, sp.H.Value, _h[l].At(_current * hBytes), _h[l].At(next * hBytes),
                    sp.CValue, e.IsLstm ? _c[l].At(_current * cBytes) : 0, e.IsLstm ? _c[l].At(next * cBytes) : 0,
                    (nuint)net.WeightBytes, net.Weights.Pointer, (nuint)_ws.Bytes, _ws.Pointer, 0, 0), $"cudnnRNNForward(stream step, layer {l})");
                input = _y[l].Pointer;
            }
            _current = next;
            e._rt.Download(input, y);
        }

        public override void SetState(ReadOnlySpan<T> h, ReadOnlySpan<T> c)
        {
            var o = _e._o;
            _e._rt.Enter();
            for (int l = 0; l < _h.Length; l++)
            {
                long hn = (long)_b * o.OutputSize, cn = (long)_b * o.HiddenSize;
                nint hp = _h[l].At(_current * hn * _e.E), cp = _e.IsLstm ? _c[l].At(_current * cn * _e.E) : 0;
                if (h.IsEmpty) CudaCopy.Zero(hp, hn * _e.E, _e._rt.CurrentStream); else _e._rt.Upload(h.Slice((int)(l * hn), (int)hn), hp);
                if (!_e.IsLstm) continue;
                if (c.IsEmpty) CudaCopy.Zero(cp, cn * _e.E, _e._rt.CurrentStream); else _e._rt.Upload(c.Slice((int)(l * cn), (int)cn), cp);
            }
            CudaCopy.Synchronize(_e._rt.CurrentStream);
        }

        public override void GetState(Span<T> h, Span<T> c)
        {
            var o = _e._o;
            _e._rt.Enter();
            for (int l = 0; l < _h.Length; l++)
            {
                long hn = (long)_b * o.OutputSize, cn = (long)_b * o.HiddenSize;
                if (!h.IsEmpty) _e._rt.Download(_h[l].At(_current * hn * _e.E), h.Slice((int)(l * hn), (int)hn));
                if (_e.IsLstm && !c.IsEmpty) _e._rt.Download(_c[l].At(_current * cn * _e.E), c.Slice((int)(l * cn), (int)cn));
            }
        }

        public override void Dispose()
        {
            _x.Dispose(); _ws.Dispose();
            foreach (var b in _y) b.Dispose();
            foreach (var b in _h) b.Dispose();
            foreach (var b in _c) b.Dispose();
        }
    }
}
