using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace CuRnn.Distributed;

/// <summary>
/// Data-parallel training over a communicator, as PyTorch's DistributedDataParallel: every rank holds the same
/// parameters (broadcast from rank 0 at the start), takes its own contiguous share of each global batch, and after
/// its backward the gradients are combined in one all-reduce so that every rank steps its optimizer with the
/// gradient of the whole batch. Shares may differ in size by one; the average is weighted by share, so N ranks give
/// the gradient one process computes for the whole batch, up to float rounding.
/// </summary>
public sealed class DataParallel(ICommunicator communicator)
{
    private TimeSpan _reduceTime;

    /// <summary>The processes taking part.</summary>
    public ICommunicator Communicator { get; } = communicator ?? throw new ArgumentNullException(nameof(communicator));

    /// <summary>This process's rank.</summary>
    public int Rank => Communicator.Rank;

    /// <summary>The number of ranks.</summary>
    public int Size => Communicator.Size;

    /// <summary>Steps whose gradients were all-reduced so far, and the time this rank spent starting and waiting for them.</summary>
    public (long Count, TimeSpan Elapsed) Reductions => (_reductions, _reduceTime);
    private long _reductions;

    /// <summary>Copies rank 0's <paramref name="parameters"/> into every rank's (call it before training).</summary>
    public void BroadcastParameters<T>(Span<T> parameters) where T : unmanaged => Communicator.Broadcast(MemoryMarshal.AsBytes(parameters), root: 0);

    /// <summary>
    /// This rank's share of <paramref name="batch"/> (the members of one global batch, the same on every rank): a
    /// contiguous slice, the first <c>Length % Size</c> ranks one longer. A batch with fewer members than ranks
    /// leaves some ranks an empty share; they still take part in <see cref="AverageGradients"/>.
    /// </summary>
    public ReadOnlySpan<int> Share(ReadOnlySpan<int> batch)
    {
        var (start, length) = ShareOf(batch.Length, Rank, Size);
        return batch.Slice(start, length);
    }

    /// <summary>Where rank <paramref name="rank"/>'s share of <paramref name="count"/> members starts, and its length.</summary>
    public static (int Start, int Length) ShareOf(int count, int rank, int size)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rank);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(rank, size);
        int quotient = count / size, remainder = count % size;
        return (rank * quotient + Math.Min(rank, remainder), quotient + (rank < remainder ? 1 : 0));
    }

    /// <summary>
    /// Turns each rank's gradients of its mean loss over <paramref name="localCount"/> members into every rank's
    /// gradients of the mean loss over all <paramref name="globalCount"/> members: scales by local / global, then
    /// one all-reduce (sum) of the whole flat buffer. A rank with an empty share passes zeros.
    /// </summary>
    public void AverageGradients(Span<float> gradients, int localCount, int globalCount)
    {
        float weight = ShareWeight(localCount, globalCount);
        if (Size == 1) return;
        Weigh(gradients, weight);
        long start = Stopwatch.GetTimestamp();
        Communicator.AllReduce(gradients, ReduceOperation.Sum);
        AddReduceTime(Stopwatch.GetElapsedTime(start), step: true);
    }

    /// <summary>local / global, the weight of a rank's mean in the whole batch's mean (checks the counts).</summary>
    internal static float ShareWeight(int localCount, int globalCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(localCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(globalCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(localCount, globalCount);
        return (float)((double)localCount / globalCount);
    }

    /// <summary>Scales gradients by their share's weight (zeros for an empty share, whatever they held).</summary>
    internal static void Weigh(Span<float> gradients, float weight)
    {
        if (weight == 0) gradients.Clear();
        else if (weight != 1f) TensorPrimitives.Multiply(gradients, weight, gradients);
    }

    /// <summary>
    /// Buckets over <paramref name="gradients"/> in the order backward finishes them (for example the head's range,
    /// then each layer's from the top, <see cref="Rnn{T}.LayerGradientRange"/>): each bucket's all-reduce starts while
    /// backward continues below it, as DDP does. The ranges must cover the buffer exactly once.
    /// </summary>
    public GradientBuckets Buckets(Memory<float> gradients, IReadOnlyList<(int Offset, int Length)> ranges) => new(this, gradients, ranges);

    internal void AddReduceTime(TimeSpan elapsed, bool step = false)
    {
        _reduceTime += elapsed;
        if (step) _reductions++;
    }

    /// <summary>Sums <paramref name="values"/> (loss sums, counts) over the ranks.</summary>
    public void Sum(Span<double> values) => Communicator.AllReduce(values, ReduceOperation.Sum);

    /// <summary>True on every rank when any rank asks to stop, so that all ranks leave the loop at the same step.</summary>
    public bool AnyRank(bool wants)
    {
        if (Size == 1) return wants;
        Span<double> flag = [wants ? 1 : 0];
        Communicator.AllReduce(flag, ReduceOperation.Sum);
        return flag[0] > 0;
    }
}
