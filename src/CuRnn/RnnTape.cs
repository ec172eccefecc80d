using System.Numerics;
using CuRnn.Engines;

namespace CuRnn;

/// <summary>
/// What a training forward keeps for its backward (activations, dropout masks, the batch). One tape
/// serves one <see cref="Rnn{T}.Backward"/>; dispose an unused tape to return its memory at once.
/// </summary>
/// <remarks>
/// The tape refers to the layer's parameters as they are at backward time; change them only after
/// backward (as an optimizer step does).
/// </remarks>
public sealed class RnnTape<T> : IDisposable where T : unmanaged, IFloatingPointIeee754<T>
{
    private EngineTape? _state;
    private bool _used;

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

    internal EngineTape State
    {
        get
        {
            if (_used) throw new InvalidOperationException("This tape was already used by a backward; each training forward serves exactly one backward.");
            ObjectDisposedException.ThrowIf(_state is null, this);
            return _state;
        }
    }

    internal void Consume() => _used = true;

    /// <summary>Returns the saved activations' memory.</summary>
    public void Dispose()
    {
        _state?.Dispose();
        _state = null;
    }
}
