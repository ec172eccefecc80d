namespace CuRnn.Engines;

/// <summary>Moves tensors between the caller's layout and order and the engines' packed, longest-first rows.</summary>
internal static class SortedOrder
{
    /// <summary>Caller's tensor (any layout) → packed rows [N, features].</summary>
    public static void Gather<T>(SequenceBatch batch, ReadOnlySpan<T> src, Span<T> packed, int features)
    {
        var order = batch.SortedToOriginal;
        for (int t = 0; t < batch.StepBatchSizes.Length; t++)
        {
            int bs = batch.StepBatchSizes[t], o = batch.StepOffsets[t];
            for (int b = 0; b < bs; b++)
                src.Slice((int)batch.RowOffset(t, order[b], o + b, features), features).CopyTo(packed.Slice((o + b) * features, features));
        }
    }

    /// <summary>Packed rows → caller's tensor; padded positions are written as zeros.</summary>
    public static void Scatter<T>(SequenceBatch batch, ReadOnlySpan<T> packed, Span<T> dst, int features)
    {
        if (batch.Layout != SequenceLayout.Packed) dst.Clear();
        var order = batch.SortedToOriginal;
        for (int t = 0; t < batch.StepBatchSizes.Length; t++)
        {
            int bs = batch.StepBatchSizes[t], o = batch.StepOffsets[t];
            for (int b = 0; b < bs; b++)
                packed.Slice((o + b) * features, features).CopyTo(dst.Slice((int)batch.RowOffset(t, order[b], o + b, features), features));
        }
    }

    /// <summary>State slice [B, width] of the caller's order → sorted order (zeros when <paramref name="src"/> is empty).</summary>
    public static void StateIn<T>(SequenceBatch batch, ReadOnlySpan<T> src, Span<T> sorted, int width)
    {
        if (src.IsEmpty) { sorted.Clear(); return; }
        var order = batch.SortedToOriginal;
        for (int b = 0; b < order.Length; b++) src.Slice(order[b] * width, width).CopyTo(sorted.Slice(b * width, width));
    }

    /// <summary>Sorted state [B, width] → the caller's order (nothing when <paramref name="dst"/> is empty).</summary>
    public static void StateOut<T>(SequenceBatch batch, ReadOnlySpan<T> sorted, Span<T> dst, int width)
    {
        if (dst.IsEmpty) return;
        var order = batch.SortedToOriginal;
        for (int b = 0; b < order.Length; b++) sorted.Slice(b * width, width).CopyTo(dst.Slice(order[b] * width, width));
    }
}
