namespace CuRnn.Native.Cuda;

/// <summary>Asynchronous copies, fills and stream ordering on the current context, each status checked.</summary>
internal static unsafe class CudaCopy
{
    public static void HostToDevice(nint dst, nint src, long bytes, nint stream)
    {
        if (bytes == 0) return;
        CudaApi.Check(CudaApi.cuMemcpyHtoDAsync_v2((ulong)dst, (void*)src, (nuint)bytes, stream), "cuMemcpyHtoDAsync_v2");
    }

    public static void DeviceToHost(nint dst, nint src, long bytes, nint stream)
    {
        if (bytes == 0) return;
        CudaApi.Check(CudaApi.cuMemcpyDtoHAsync_v2((void*)dst, (ulong)src, (nuint)bytes, stream), "cuMemcpyDtoHAsync_v2");
    }

    public static void DeviceToDevice(nint dst, nint src, long bytes, nint stream)
    {
        if (bytes == 0 || dst == src) return;
        CudaApi.Check(CudaApi.cuMemcpyDtoDAsync_v2((ulong)dst, (ulong)src, (nuint)bytes, stream), "cuMemcpyDtoDAsync_v2");
    }

    public static void Zero(nint dst, long bytes, nint stream)
    {
        if (bytes == 0) return;
        CudaApi.Check(CudaApi.cuMemsetD8Async((ulong)dst, 0, (nuint)bytes, stream), "cuMemsetD8Async");
    }

    /// <summary>Copies <paramref name="rows"/> rows of <paramref name="widthBytes"/> between pitched device regions in one call.</summary>
    public static void DeviceToDevice2D(nint dst, long dstPitch, nint src, long srcPitch, long widthBytes, long rows, nint stream)
    {
        if (widthBytes == 0 || rows == 0) return;
        var copy = new CudaApi.Memcpy2D
        {
            SrcMemoryType = CudaApi.MemoryTypeDevice, SrcDevice = (ulong)src, SrcPitch = (nuint)srcPitch,
            DstMemoryType = CudaApi.MemoryTypeDevice, DstDevice = (ulong)dst, DstPitch = (nuint)dstPitch,
            WidthInBytes = (nuint)widthBytes, Height = (nuint)rows,
        };
        CudaApi.Check(CudaApi.cuMemcpy2DAsync_v2(copy, stream), "cuMemcpy2DAsync_v2");
    }

    public static void Record(CudaEventHandle evt, nint stream) => CudaApi.Check(CudaApi.cuEventRecord(evt.Value, stream), "cuEventRecord");

    /// <summary>Makes <paramref name="stream"/> wait for the last record of <paramref name="evt"/> (no host sync).</summary>
    public static void Wait(nint stream, CudaEventHandle evt) => CudaApi.Check(CudaApi.cuStreamWaitEvent(stream, evt.Value, 0), "cuStreamWaitEvent");

    public static void Synchronize(nint stream) => CudaApi.Check(CudaApi.cuStreamSynchronize(stream), "cuStreamSynchronize");
}
