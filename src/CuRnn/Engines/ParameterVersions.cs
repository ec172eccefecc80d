using System.Runtime.InteropServices;

namespace CuRnn.Engines;

/// <summary>
/// The layer's parameter buffer and its announced version: what an engine asks before it uses its prepared copy of
/// the parameters. Each prepared copy keeps its own <see cref="PreparedParameters{T}"/>.
/// </summary>
internal sealed class ParameterVersions<T>(T[] parameters, ParameterSync sync) where T : unmanaged
{
    public T[] Parameters { get; } = parameters;
    public ParameterSync Sync { get; } = sync;

    /// <summary>Bumped by <see cref="Rnn{T}.ParametersChanged"/> and by CuRnn's own writers.</summary>
    public long Version { get; private set; }

    public void Announce() => Version++;

    public PreparedParameters<T> Track() => new(this);
}

/// <summary>Whether one prepared copy (packed weights, a device weight space) still matches the parameters.</summary>
internal sealed class PreparedParameters<T> where T : unmanaged
{
    private readonly ParameterVersions<T> _source;
    private readonly T[]? _snapshot;   // Compare: the parameters as last prepared
    private long _version;
    private bool _valid;

    public PreparedParameters(ParameterVersions<T> source)
    {
        _source = source;
        if (source.Sync == ParameterSync.Compare) _snapshot = new T[source.Parameters.Length];
    }

    /// <summary>The layer's parameter buffer.</summary>
    public T[] Parameters => _source.Parameters;

    /// <summary>
    /// True when the copy is current. Compare mode compares bytes, not values: a float compare is element by element
    /// (twice the time), and it would miss a change from 0 to -0 or between NaN payloads.
    /// </summary>
    public bool IsCurrent()
    {
        if (!_valid) return false;
        if (_snapshot is null) return _version == _source.Version;
        return MemoryMarshal.AsBytes(_source.Parameters.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(_snapshot.AsSpan()));
    }

    /// <summary>Records that the copy was prepared from the parameters as they are now.</summary>
    public void MarkPrepared()
    {
        if (_snapshot is not null) _source.Parameters.CopyTo(_snapshot, 0);
        _version = _source.Version;
        _valid = true;
    }

    /// <summary>Forces the next <see cref="IsCurrent"/> to say no (a new consumer of the parameters appeared).</summary>
    public void Invalidate() => _valid = false;
}
