namespace CuRnn.Distributed;

/// <summary>How an all-reduce combines the ranks' buffers.</summary>
public enum ReduceOperation
{
    /// <summary>Element-wise sum over the ranks.</summary>
    Sum,
    /// <summary>Element-wise sum divided by the number of ranks.</summary>
    Average,
}

/// <summary>An all-reduce under way (<see cref="ICommunicator.StartAllReduce"/>).</summary>
public abstract class PendingReduction
{
    /// <summary>Blocks until the result is in the buffer (returns at once the second time).</summary>
    public abstract void Wait();
}

/// <summary>
/// A group of processes (ranks 0..Size-1) that reduce and share host buffers: the collectives data-parallel training
/// needs. Every rank must make the same calls in the same order with buffers of the same length, as in MPI; a call
/// returns when this rank's part is done. One call at a time per communicator (a second thread's call is refused).
/// </summary>
public interface ICommunicator : IDisposable
{
    /// <summary>This process's index, 0..<see cref="Size"/>-1.</summary>
    int Rank { get; }

    /// <summary>How many processes take part.</summary>
    int Size { get; }

    /// <summary>What carries the data (for reports): "Open MPI v4.1.4 …", "single process".</summary>
    string Description { get; }

    /// <summary>Replaces <paramref name="buffer"/> on every rank with the element-wise sum (or average) over the ranks.</summary>
    void AllReduce(Span<float> buffer, ReduceOperation operation);

    /// <inheritdoc cref="AllReduce(Span{float}, ReduceOperation)"/>
    void AllReduce(Span<double> buffer, ReduceOperation operation);

    /// <summary>
    /// Starts a sum all-reduce of <paramref name="buffer"/> in place and returns at once, so other work (a lower layer's
    /// backward) runs while it is under way; <see cref="PendingReduction.Wait"/> finishes it. The buffer stays pinned
    /// and must not be touched until then. Several may be in flight; every rank starts them in the same order.
    /// </summary>
    PendingReduction StartAllReduce(Memory<float> buffer);

    /// <summary>Copies <paramref name="root"/>'s <paramref name="buffer"/> into every other rank's.</summary>
    void Broadcast(Span<byte> buffer, int root);

    /// <summary>Returns on each rank once every rank has called it.</summary>
    void Barrier();
}
