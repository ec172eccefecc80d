namespace CuRnn;

/// <summary>
/// The shape of a batch of B sequences: layout, padded length T and each sequence's own length
/// (0..T). Create one per batch shape and reuse it; it precomputes the packed schedule the engines run.
/// </summary>
/// <remarks>
/// Lengths may come in any order, in every layout. A packed batch then follows
/// <c>pack_padded_sequence(enforce_sorted=False)</c>: its rows hold, step by step, the sequences still running from
/// the longest down (ties in the caller's order), while states and their gradients stay in the caller's order. A
/// length of 0 is legal:
/// that sequence produces no output, its final state is its initial state, and in backward its initial
/// state's gradient is its final state's gradient.
/// </remarks>
public sealed class SequenceBatch
{
    private readonly int[] _lengths;
    private readonly int[] _sortedToOriginal;
    private readonly int[] _stepBatchSizes;
    private readonly int[] _stepOffsets;

    private SequenceBatch(SequenceLayout layout, int maxLength, int[] lengths)
    {
        Layout = layout;
        MaxLength = maxLength;
        _lengths = lengths;
        BatchSize = lengths.Length;

        // Stable sort by length, longest first.
        _sortedToOriginal = Enumerable.Range(0, lengths.Length).OrderByDescending(b => lengths[b]).ToArray();
        IsSorted = _sortedToOriginal.Select((b, i) => b == i).All(x => x);
        int longest = lengths.Length == 0 ? 0 : lengths.Max();
        long total = 0;
        foreach (int len in lengths) total += len;
        TotalSteps = Sizes.Elements(nameof(lengths), $"a batch of {lengths.Length} sequences of up to {longest} steps (the sum of the lengths, in rows)", total);
        _stepBatchSizes = new int[longest];
        _stepOffsets = new int[longest];
        // Sequences still running at step t: the count of lengths above t, by one pass over the sorted lengths.
        int rows = 0, running = lengths.Length;
        for (int t = 0, k = lengths.Length - 1; t < longest; t++)
        {
            while (k >= 0 && lengths[_sortedToOriginal[k]] <= t) { k--; running--; }
            _stepBatchSizes[t] = running;
            _stepOffsets[t] = rows;
            rows += running;
        }
    }

    /// <summary>A padded batch (<see cref="SequenceLayout.SequenceMajor"/> or <see cref="SequenceLayout.BatchMajor"/>).</summary>
    /// <param name="layout">The padded layout.</param>
    /// <param name="maxLength">T, the padded number of steps.</param>
    /// <param name="lengths">Each sequence's length, 0..T, any order; B = its length.</param>
    /// <exception cref="ArgumentException">The layout is packed, or <paramref name="lengths"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">T is negative, a length is outside 0..T, or the lengths sum past
    /// what a .NET array holds.</exception>
    public static SequenceBatch Padded(SequenceLayout layout, int maxLength, ReadOnlySpan<int> lengths)
    {
        if (layout == SequenceLayout.Packed)
            throw new ArgumentException("layout must be SequenceMajor or BatchMajor for a padded batch; actual Packed (use SequenceBatch.Packed).", nameof(layout));
        if (!Enum.IsDefined(layout)) ThrowHelper.OutOfRange(nameof(layout), "SequenceMajor or BatchMajor", layout);
        if (maxLength < 0) ThrowHelper.OutOfRange(nameof(maxLength), ">= 0", maxLength);
        CheckLengths(lengths, maxLength);
        return new SequenceBatch(layout, maxLength, lengths.ToArray());
    }

    /// <summary>A padded batch in which every sequence runs all <paramref name="steps"/> steps.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is out of range.</exception>
    public static SequenceBatch Uniform(SequenceLayout layout, int steps, int batchSize)
    {
        if (batchSize < 1) ThrowHelper.OutOfRange(nameof(batchSize), ">= 1", batchSize);
        var lengths = new int[batchSize];
        Array.Fill(lengths, steps);
        return Padded(layout, steps, lengths);
    }

    /// <summary>
    /// A packed batch (PyTorch's <c>PackedSequence.data</c>), lengths in any order; T = the longest. Step t's rows are
    /// the sequences with length &gt; t, longest first and ties in the caller's order, exactly as
    /// <c>pack_padded_sequence(enforce_sorted=False)</c> orders them; h0, c0, hN, cN and their gradients are in the
    /// caller's order (<see cref="PackedOrder"/> gives the row order).
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="lengths"/> is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A length is negative, or the lengths sum past what a .NET array holds.</exception>
    public static SequenceBatch Packed(ReadOnlySpan<int> lengths)
    {
        int maxLength = 0;
        foreach (int l in lengths) maxLength = Math.Max(maxLength, l);
        CheckLengths(lengths, maxLength);
        return new SequenceBatch(SequenceLayout.Packed, maxLength, lengths.ToArray());
    }

    private static void CheckLengths(ReadOnlySpan<int> lengths, int maxLength)
    {
        if (lengths.IsEmpty)
            throw new ArgumentException("lengths must name at least one sequence; actual 0.", nameof(lengths));
        for (int b = 0; b < lengths.Length; b++)
        {
            if (lengths[b] < 0 || lengths[b] > maxLength)
                throw new ArgumentOutOfRangeException(nameof(lengths), lengths[b], $"lengths[{b}] must be in 0..{maxLength}; actual {lengths[b]}.");
        }
    }

    /// <summary>The memory layout of x, y, dx and dy.</summary>
    public SequenceLayout Layout { get; }
    /// <summary>T: padded steps (for packed batches the longest length).</summary>
    public int MaxLength { get; }
    /// <summary>B: number of sequences.</summary>
    public int BatchSize { get; }
    /// <summary>Each sequence's length, in the caller's order.</summary>
    public ReadOnlySpan<int> Lengths => _lengths;
    /// <summary>N = Σ lengths: the rows of a packed tensor.</summary>
    public int TotalSteps { get; }
    /// <summary>Whether the lengths are already non-increasing (no reordering needed).</summary>
    public bool IsSorted { get; }

    /// <summary>Rows of a tensor with this batch's layout: T*B padded, N packed.</summary>
    public long Rows => Layout == SequenceLayout.Packed ? TotalSteps : (long)MaxLength * BatchSize;

    /// <summary>Elements of a tensor of this layout with <paramref name="features"/> per step.</summary>
    public long ElementCount(int features) => Rows * features;

    /// <summary>
    /// Whether the caller's rows already are the packed rows: a packed batch, or a sequence-major batch in which
    /// every sequence runs all T steps. Engines then read and write the caller's spans with no reordering copy.
    /// </summary>
    /// <summary>Every sequence has length <see cref="MaxLength"/> &gt; 0: packed rows are then also the unpacked [T, B, ·] layout.</summary>
    internal bool IsRectangular => MaxLength > 0 && TotalSteps == (long)MaxLength * BatchSize;

    internal bool RowsArePacked => Layout == SequenceLayout.Packed || (Layout == SequenceLayout.SequenceMajor && TotalSteps == (long)MaxLength * BatchSize);

    /// <summary>Position in the sorted (longest-first) order → index in the caller's order.</summary>
    internal ReadOnlySpan<int> SortedToOriginal => _sortedToOriginal;

    /// <summary>
    /// For a packed batch, the sequence (index in the caller's order) behind each packed row position: step t's rows
    /// are the first <c>StepBatchSizes[t]</c> of this order. PyTorch calls it <c>sorted_indices</c>.
    /// </summary>
    public ReadOnlySpan<int> PackedOrder => _sortedToOriginal;
    /// <summary>Sequences still running at each step (non-increasing).</summary>
    internal ReadOnlySpan<int> StepBatchSizes => _stepBatchSizes;
    /// <summary>First packed row of each step.</summary>
    internal ReadOnlySpan<int> StepOffsets => _stepOffsets;

    /// <summary>Element offset in the caller's tensor of sequence <paramref name="b"/> (caller's order) at step <paramref name="t"/>, or of packed row <paramref name="packedRow"/>.</summary>
    internal long RowOffset(int t, int b, int packedRow, int features) => Layout switch
    {
        SequenceLayout.SequenceMajor => ((long)t * BatchSize + b) * features,
        SequenceLayout.BatchMajor => ((long)b * MaxLength + t) * features,
        _ => (long)packedRow * features,
    };

    /// <summary>A readable summary, e.g. <c>SequenceMajor T=5 B=3 lengths=[5,0,2]</c>.</summary>
    public override string ToString() => $"{Layout} T={MaxLength} B={BatchSize} lengths=[{string.Join(",", _lengths)}]";
}
