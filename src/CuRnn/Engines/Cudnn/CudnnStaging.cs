using CuRnn.Native.Cuda;

namespace CuRnn.Engines.Cudnn;

// Host <-> device moves of the host-span API: rows into packed, longest-first order; states into the first B' rows.
internal sealed partial class CudnnEngine<T>
{
    private readonly PooledBuffers<T> _hostScratch = new();

    /// <summary>Caller's tensor (any layout) → packed device rows [N, features].</summary>
    private void UploadRows(SequenceBatch batch, ReadOnlySpan<T> src, int features, nint dst)
    {
        if (batch.RowsArePacked) { _rt.Upload(src[..(batch.TotalSteps * features)], dst); return; }
        var packed = _hostScratch.Rent((long)batch.TotalSteps * features);
        SortedOrder.Gather(batch, src, packed, features);
        _rt.Upload(packed, dst);
    }

    /// <summary>Packed device rows → caller's tensor (padded positions written as 0).</summary>
    private void DownloadRows(SequenceBatch batch, nint src, Span<T> dst, int features)
    {
        if (batch.RowsArePacked) { _rt.Download(src, dst[..(batch.TotalSteps * features)]); return; }
        var packed = _hostScratch.Rent((long)batch.TotalSteps * features);
        _rt.Download(src, packed);
        SortedOrder.Scatter(batch, packed, dst, features);
    }

    /// <summary>Caller's state [slabs, B, width] → device [slabs, B', width] in sorted order (zero-length sequences left out).</summary>
    private void UploadState(in PackedShape shape, ReadOnlySpan<T> src, int slabs, int width, nint dst)
    {
        var batch = shape.Source;
        int b = batch.BatchSize, bp = shape.Batch;
        var sorted = _hostScratch.Rent((long)b * width);
        var packed = _hostScratch.Rent((long)slabs * bp * width);
        for (int s = 0; s < slabs; s++)
        {
            SortedOrder.StateIn(batch, src.Slice(s * b * width, b * width), sorted, width);
            sorted.Span[..(bp * width)].CopyTo(packed.Span.Slice(s * bp * width, bp * width));
        }
        _rt.Upload(packed, dst);
    }

    /// <summary>
    /// Device state [slabs, B', width] → caller's [slabs, B, width]; zero-length sequences take their row of
    /// <paramref name="passThrough"/> (h0 for hN, dhN for dh0; zeros when it is empty), as the contract says.
    /// </summary>
    private void DownloadState(in PackedShape shape, nint src, ReadOnlySpan<T> passThrough, int slabs, int width, Span<T> dst)
    {
        if (dst.IsEmpty) return;
        var batch = shape.Source;
        int b = batch.BatchSize, bp = shape.Batch;
        var packed = _hostScratch.Rent((long)slabs * bp * width);
        if (bp > 0) _rt.Download(src, packed);
        var sorted = _hostScratch.Rent((long)b * width);
        for (int s = 0; s < slabs; s++)
        {
            SortedOrder.StateIn(batch, passThrough.IsEmpty ? default : passThrough.Slice(s * b * width, b * width), sorted, width);
            packed.Span.Slice(s * bp * width, bp * width).CopyTo(sorted.Span);
            SortedOrder.StateOut(batch, sorted, dst.Slice(s * b * width, b * width), width);
        }
    }

    /// <summary>Every sequence has length 0: y is all padding, final states are the initial ones (and dh0 = dhN).</summary>
    private static void PassThrough(ReadOnlySpan<T> from, Span<T> to)
    {
        if (to.IsEmpty) return;
        if (from.IsEmpty) to.Clear(); else from.CopyTo(to);
    }

    private void EndCall() => _hostScratch.Dispose();

    private DeviceBuffer Alloc(long elements) => _rt.Allocate(elements);
}
