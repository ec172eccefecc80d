namespace CuRnn.Managed;

/// <summary>
/// The packed-row schedule of a batch whose sequences are sorted by length, longest first:
/// step <c>t</c> owns rows <c>Offsets[t] .. Offsets[t] + BatchSizes[t]</c>, and row <c>b</c> of a step
/// belongs to sequence <c>b</c> (so the rows of a step are a prefix of the batch).
/// </summary>
internal readonly ref struct StepSchedule
{
    /// <summary>Creates a schedule from per-step batch sizes (non-increasing) and their row offsets.</summary>
    public StepSchedule(ReadOnlySpan<int> batchSizes, ReadOnlySpan<int> offsets)
    {
        if (batchSizes.Length != offsets.Length)
            throw new ArgumentException($"batchSizes has {batchSizes.Length} steps but offsets has {offsets.Length}.", nameof(offsets));
        BatchSizes = batchSizes;
        Offsets = offsets;
    }

    /// <summary>Rows per step.</summary>
    public ReadOnlySpan<int> BatchSizes { get; }

    /// <summary>First packed row of each step.</summary>
    public ReadOnlySpan<int> Offsets { get; }

    /// <summary>Number of steps.</summary>
    public int Steps => BatchSizes.Length;

    /// <summary>Largest batch of any step (the first).</summary>
    public int MaxBatch => BatchSizes.Length == 0 ? 0 : BatchSizes[0];

    /// <summary>Total packed rows.</summary>
    public int Rows => BatchSizes.Length == 0 ? 0 : Offsets[^1] + BatchSizes[^1];
}
