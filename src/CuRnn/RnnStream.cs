using System.Numerics;
using CuRnn.Engines;

namespace CuRnn;

/// <summary>
/// Streaming inference: feed one time step of B rows at a time; the state of every layer is kept
/// between calls. Equivalent to a static-mode forward over the concatenated steps.
/// </summary>
/// <remarks>Every member is a call on the layer: one at a time, from any thread; a second one meanwhile (on this
/// stream, another stream of the layer, or the layer) throws <see cref="InvalidOperationException"/>. <see cref="Dispose"/>
/// during a call lets the call finish and releases the stream's state as it leaves.</remarks>
public sealed class RnnStream<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly Rnn<T> _owner;
    private readonly EngineStepper<T> _stepper;
    private readonly object _lifetime = new();
    private bool _disposed, _inCall, _released;

    internal RnnStream(Rnn<T> owner, int batchSize, EngineStepper<T> stepper)
    {
        _owner = owner;
        BatchSize = batchSize;
        _stepper = stepper;
    }

    /// <summary>Rows per step.</summary>
    public int BatchSize { get; }

    /// <summary>Steps fed since creation or the last <see cref="Reset"/>.</summary>
    public long StepsTaken { get; private set; }

    /// <summary>Runs one step: x [B, I] in, y [B, Hout] out; the state advances.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length or y overlaps x.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its layer is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is inside a call on the layer.</exception>
    public void Step(ReadOnlySpan<T> x, Span<T> y)
    {
        using var scope = _owner.Enter();
        using var call = new StreamCall(this);
        var o = _owner.Options;
        CallValidation.Required(nameof(x), x, (long)BatchSize * o.InputSize, ShapeText.Rows(BatchSize, o.InputSize, "I"));
        CallValidation.Required(nameof(y), (ReadOnlySpan<T>)y, (long)BatchSize * o.OutputSize, ShapeText.Rows(BatchSize, o.OutputSize, "Hout"));
        CallValidation.NoOverlap(nameof(y), y, nameof(x), x);
        CallValidation.NoOverlap(nameof(y), y, nameof(Rnn<T>.Parameters), _owner.Parameters);
        _stepper.Step(x, y);
        StepsTaken++;
    }

    /// <summary>Sets the state: h [L, B, Hout] and c [L, B, H] (LSTM), each empty for zeros.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length, or c is given to a cell other than LSTM.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its layer is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is inside a call on the layer.</exception>
    public void Reset(ReadOnlySpan<T> h = default, ReadOnlySpan<T> c = default)
    {
        using var scope = _owner.Enter();
        using var call = new StreamCall(this);
        var o = _owner.Options;
        CallValidation.Optional(nameof(h), h, (long)o.NumLayers * BatchSize * o.OutputSize, ShapeText.Layers(o.NumLayers, BatchSize, o.OutputSize, "Hout"));
        CallValidation.LstmOnly(nameof(c), c, o, (long)o.NumLayers * BatchSize * o.HiddenSize, ShapeText.Layers(o.NumLayers, BatchSize, o.HiddenSize, "H"));
        _stepper.SetState(h, c);
        StepsTaken = 0;
    }

    /// <summary>Copies the current state out: h [L, B, Hout] and c [L, B, H] (LSTM), each may be empty.</summary>
    /// <exception cref="ArgumentException">A span has the wrong length.</exception>
    /// <exception cref="ObjectDisposedException">The stream or its layer is disposed.</exception>
    /// <exception cref="InvalidOperationException">Another thread is inside a call on the layer.</exception>
    public void GetState(Span<T> h, Span<T> c = default)
    {
        using var scope = _owner.Enter();
        using var call = new StreamCall(this);
        var o = _owner.Options;
        CallValidation.Optional(nameof(h), (ReadOnlySpan<T>)h, (long)o.NumLayers * BatchSize * o.OutputSize, ShapeText.Layers(o.NumLayers, BatchSize, o.OutputSize, "Hout"));
        CallValidation.LstmOnly(nameof(c), (ReadOnlySpan<T>)c, o, (long)o.NumLayers * BatchSize * o.HiddenSize, ShapeText.Layers(o.NumLayers, BatchSize, o.HiddenSize, "H"));
        _stepper.GetState(h, c);
    }

    /// <summary>Releases the stream's state (after the call running on another thread, if any).</summary>
    public void Dispose()
    {
        lock (_lifetime)
        {
            _disposed = true;
            if (_inCall) return;   // the running call releases it
            Release();
        }
    }

    private void Release()
    {
        if (_released) return;
        _released = true;
        _stepper.Dispose();
    }

    /// <summary>Marks a call on the stream (inside the layer's call scope): refused once disposed; a Dispose meanwhile
    /// is carried out when the call leaves.</summary>
    private readonly struct StreamCall : IDisposable
    {
        private readonly RnnStream<T> _stream;

        public StreamCall(RnnStream<T> stream)
        {
            lock (stream._lifetime)
            {
                ObjectDisposedException.ThrowIf(stream._disposed, stream);
                stream._inCall = true;
            }
            _stream = stream;
        }

        public void Dispose()
        {
            lock (_stream._lifetime)
            {
                _stream._inCall = false;
                if (_stream._disposed) _stream.Release();
            }
        }
    }
}
