namespace CuRnn.Training;

/// <summary>
/// Mini-batches of variable-length sequences, shuffled each epoch and grouped by length so that a batch pads little:
/// the sequences are shuffled, cut into pools of <see cref="PoolBatches"/> batches, each pool sorted by length and
/// cut into batches, and the batches shuffled. Every sequence is in exactly one batch per epoch; the order follows
/// from the seed and the epoch alone.
/// </summary>
public sealed class LengthBuckets
{
    private readonly int[] _lengths;

    /// <summary>Batches of at most <paramref name="batchSize"/> of the sequences whose lengths are given.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A batch size or pool below 1, or a negative length.</exception>
    public LengthBuckets(ReadOnlySpan<int> lengths, int batchSize, ulong seed = 0, int poolBatches = 50)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"batchSize must be >= 1; actual {batchSize}.");
        if (poolBatches < 1) throw new ArgumentOutOfRangeException(nameof(poolBatches), poolBatches, $"poolBatches must be >= 1; actual {poolBatches}.");
        for (int i = 0; i < lengths.Length; i++)
            if (lengths[i] < 0) throw new ArgumentOutOfRangeException(nameof(lengths), lengths[i], $"lengths[{i}] must be >= 0; actual {lengths[i]}.");
        _lengths = lengths.ToArray();
        BatchSize = batchSize;
        Seed = seed;
        PoolBatches = poolBatches;
    }

    /// <summary>The most sequences per batch.</summary>
    public int BatchSize { get; }
    /// <summary>Seed of the shuffles.</summary>
    public ulong Seed { get; }
    /// <summary>Batches per pool sorted together (1: no length grouping beyond one batch).</summary>
    public int PoolBatches { get; }
    /// <summary>Batches per epoch.</summary>
    public int Count => (_lengths.Length + BatchSize - 1) / BatchSize;

    /// <summary>The batches of epoch <paramref name="epoch"/>: sequence indices, each batch's sorted longest first.</summary>
    public IReadOnlyList<int[]> Epoch(int epoch)
    {
        var random = new Random((int)(Seed ^ (Seed >> 32)) ^ epoch * 0x5bd1e995);
        var order = Enumerable.Range(0, _lengths.Length).ToArray();
        random.Shuffle(order);
        var batches = new List<int[]>(Count);
        int pool = BatchSize * PoolBatches;
        for (int start = 0; start < order.Length; start += pool)
        {
            var chunk = order.AsSpan(start, Math.Min(pool, order.Length - start)).ToArray();
            Array.Sort(chunk, (a, b) => _lengths[b] != _lengths[a] ? _lengths[b].CompareTo(_lengths[a]) : a.CompareTo(b));
            for (int k = 0; k < chunk.Length; k += BatchSize) batches.Add(chunk[k..Math.Min(k + BatchSize, chunk.Length)]);
        }
        random.Shuffle(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(batches));
        return batches;
    }
}
