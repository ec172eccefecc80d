using System.Numerics;
using CuRnn.Engines;

namespace CuRnn;

/// <summary>
/// What a training forward keeps for its backward (activations, dropout masks, the batch). One tape
/// serves one <see cref="Rnn{T}.Backward(RnnTape{T}, BackwardInputs{T}, BackwardOutputs{T}, GradientMode)"/>; dispose an unused tape to return its memory at once.
/// </summary>
/// <remarks>
/// The tape refers to the layer's parameters as they are at backward time; change them only after
/// backward (as an optimizer step does).
/// </remarks>
public sealed class RnnTape<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly object _lifetime = new();
    private EngineTape? _state;
    private bool _used, _inBackward, _disposeRequested;

    internal RnnTape(Rnn<T> owner, SequenceBatch batch, ExecutionMode mode, EngineTape state)
    {
        Owner = owner;
        Batch = batch;
        Mode = mode;
        _state = state;
    }

    internal Rnn<T> Owner { get; }

    /// <summary>The batch the forward ran on.</summary>
    public SequenceBatch Batch { get; }

    /// <summary>The mode the forward ran in.</summary>
    public ExecutionMode Mode { get; }

    /// <summary>Whether a backward has consumed this tape.</summary>
    public bool IsUsed => _used;

    /// <summary>The engine's state, checked usable (not used, not disposed) without taking the tape.</summary>
    internal EngineTape Peek()
    {
        lock (_lifetime)
        {
            if (_used) throw new InvalidOperationException("This tape was already used by a backward; each training forward serves exactly one backward.");
            ObjectDisposedException.ThrowIf(_state is null || _disposeRequested, this);
            return _state;
        }
    }

    /// <summary>Takes the tape for a backward: refused when used or disposed; a Dispose until <see cref="EndBackward"/>
    /// waits for it (the backward reads the saved activations).</summary>
    internal EngineTape BeginBackward()
    {
        lock (_lifetime)
        {
            if (_used) throw new InvalidOperationException("This tape was already used by a backward; each training forward serves exactly one backward.");
            ObjectDisposedException.ThrowIf(_state is null || _disposeRequested, this);
            _used = true;
            _inBackward = true;
            return _state;
        }
    }

    internal void EndBackward()
    {
        lock (_lifetime)
        {
            _inBackward = false;
            if (_disposeRequested) Release();
        }
    }

    /// <summary>Returns the saved activations' memory (after the backward running on another thread, if any).</summary>
    public void Dispose()
    {
        lock (_lifetime)
        {
            _disposeRequested = true;
            if (!_inBackward) Release();
        }
    }

    private void Release()
    {
        _state?.Dispose();
        _state = null;
    }
}
