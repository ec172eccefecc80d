namespace CuRnn.Distributed.Nccl;

/// <summary>Element types of device buffers, as NCCL names them.</summary>
public enum DeviceDataType
{
    /// <summary>ncclFloat16.</summary>
    Float16 = 6,
    /// <summary>ncclFloat32.</summary>
    Float32 = 7,
    /// <summary>ncclFloat64.</summary>
    Float64 = 8,
    /// <summary>ncclBfloat16 (NCCL 2.10 and later).</summary>
    BFloat16 = 9,
}

/// <summary>
/// NCCL over device buffers (for example a cuDNN layer's flat gradient buffer from <c>BackwardDevice</c>), one rank
/// per GPU: collectives are queued on the caller's CUDA stream and run in order with the layer's work there.
/// The unique id that joins the ranks is broadcast from rank 0 over a host <see cref="ICommunicator"/> (the usual
/// MPI bootstrap). One GPU cannot host two ranks (NCCL refuses it).
/// </summary>
public sealed class NcclCommunicator : IDisposable
{
    private readonly PrimaryContextHandle _context;
    private readonly NcclCommHandle _comm;
    private int _busy;

    private NcclCommunicator(PrimaryContextHandle context, NcclCommHandle comm, int rank, int size, int version)
    {
        _context = context;
        _comm = comm;
        Rank = rank;
        Size = size;
        Version = version;
    }

    /// <summary>This rank, as in the bootstrap communicator.</summary>
    public int Rank { get; }
    /// <summary>The number of ranks.</summary>
    public int Size { get; }
    /// <summary>NCCL's version code (2.30.7 is 23007).</summary>
    public int Version { get; }

    /// <summary>
    /// Joins every rank of <paramref name="bootstrap"/> into one NCCL communicator on device
    /// <paramref name="deviceOrdinal"/> (its primary context, which CuRnn's layers use). Collective: every rank calls it.
    /// A start that fails part way releases what it took.
    /// </summary>
    /// <exception cref="DllNotFoundException">libnccl.so.2 or the CUDA driver could not be loaded.</exception>
    /// <exception cref="CommunicatorException">A CUDA or NCCL call failed (named in the message).</exception>
    public static NcclCommunicator Create(ICommunicator bootstrap, int deviceOrdinal)
    {
        ArgumentNullException.ThrowIfNull(bootstrap);
        ArgumentOutOfRangeException.ThrowIfNegative(deviceOrdinal);
        NativeLoader.Require("libnccl", "NCCL ships with PyTorch's CUDA wheels in nvidia/nccl/lib: name that folder in CURNN_NATIVE_PATH, or set CURNN_NCCL_LIBRARY");
        NcclNative.Check(NcclNative.ncclGetVersion(out int version), "ncclGetVersion");
        var context = PrimaryContextHandle.RetainAndMakeCurrent(deviceOrdinal);
        try
        {
            var id = new NcclUniqueId();
            if (bootstrap.Rank == 0) NcclNative.Check(NcclNative.ncclGetUniqueId(out id), "ncclGetUniqueId");
            bootstrap.Broadcast(id, root: 0);
            NcclNative.Check(NcclNative.ncclCommInitRank(out nint comm, bootstrap.Size, id, bootstrap.Rank), "ncclCommInitRank");
            return new NcclCommunicator(context, new NcclCommHandle(comm), bootstrap.Rank, bootstrap.Size, version);
        }
        catch
        {
            context.Dispose();
            throw;
        }
    }

    /// <summary>Queues an in-place all-reduce of <paramref name="count"/> elements at <paramref name="buffer"/> on <paramref name="stream"/>.</summary>
    public void AllReduce(nint buffer, long count, DeviceDataType type, ReduceOperation operation, nint stream)
    {
        ArgumentOutOfRangeException.ThrowIfZero(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        int op = operation == ReduceOperation.Average ? NcclNative.Avg : NcclNative.Sum;
        using (Enter()) NcclNative.Check(NcclNative.ncclAllReduce(buffer, buffer, (nuint)count, (int)type, op, _comm.DangerousGetHandle(), stream), "ncclAllReduce");
    }

    /// <summary>Queues a broadcast of <paramref name="root"/>'s <paramref name="count"/> elements into every rank's <paramref name="buffer"/>.</summary>
    public void Broadcast(nint buffer, long count, DeviceDataType type, int root, nint stream)
    {
        ArgumentOutOfRangeException.ThrowIfZero(buffer);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        using (Enter()) NcclNative.Check(NcclNative.ncclBroadcast(buffer, buffer, (nuint)count, (int)type, root, _comm.DangerousGetHandle(), stream), "ncclBroadcast");
    }

    /// <summary>Waits until the work queued on <paramref name="stream"/> is done.</summary>
    public void Synchronize(nint stream) => CudaDriver.Check(CudaDriver.cuStreamSynchronize(stream), "cuStreamSynchronize");

    /// <summary>Destroys the communicator (every rank should), then drops the context retain.</summary>
    public void Dispose()
    {
        _comm.Dispose();
        _context.Dispose();
    }

    private Releaser Enter()
    {
        ObjectDisposedException.ThrowIf(_comm.IsClosed, this);
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            throw new InvalidOperationException("NcclCommunicator: another thread is in a call on this communicator; calls are one at a time.");
        return new Releaser(this);
    }

    private readonly struct Releaser(NcclCommunicator owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._busy, 0);
    }
}
