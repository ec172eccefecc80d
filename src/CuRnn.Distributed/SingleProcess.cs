namespace CuRnn.Distributed;

/// <summary>The communicator of a process that trains alone: every collective leaves the buffers as they are.</summary>
public sealed class SingleProcess : ICommunicator
{
    /// <inheritdoc/>
    public int Rank => 0;
    /// <inheritdoc/>
    public int Size => 1;
    /// <inheritdoc/>
    public string Description => "single process";
    /// <inheritdoc/>
    public void AllReduce(Span<float> buffer, ReduceOperation operation) { }
    /// <inheritdoc/>
    public void AllReduce(Span<double> buffer, ReduceOperation operation) { }
    /// <inheritdoc/>
    public PendingReduction StartAllReduce(Memory<float> buffer) => Done.Instance;
    /// <inheritdoc/>
    public void Broadcast(Span<byte> buffer, int root) => ArgumentOutOfRangeException.ThrowIfNotEqual(root, 0);
    /// <inheritdoc/>
    public void Barrier() { }
    /// <inheritdoc/>
    public void Dispose() { }

    private sealed class Done : PendingReduction
    {
        public static readonly Done Instance = new();
        public override void Wait() { }
    }
}
