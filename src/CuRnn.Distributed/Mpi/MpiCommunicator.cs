using System.Numerics.Tensors;

namespace CuRnn.Distributed.Mpi;

/// <summary>
/// MPI_COMM_WORLD of Open MPI over host buffers. <see cref="Start"/> initializes MPI once per process (thread level
/// MPI_THREAD_SERIALIZED: any thread may call, one at a time) and errors come back as <see cref="CommunicatorException"/>
/// (MPI_ERRORS_RETURN) instead of aborting the job; <see cref="Dispose"/> finalizes MPI, after which this process cannot
/// start it again (an MPI rule). Buffers past 2^31-1 elements (MPI's int counts) go in several calls.
/// </summary>
public sealed unsafe class MpiCommunicator : ICommunicator
{
    private static readonly Lock StartGate = new();
    private static MpiCommunicator? _world;
    private static bool _finalized;
    private readonly MpiHandles _handles;
    private int _busy;
    private bool _disposed;

    private MpiCommunicator(MpiHandles handles, int rank, int size, string description)
    {
        _handles = handles;
        Rank = rank;
        Size = size;
        Description = description;
    }

    /// <summary>True where this process was started by mpirun or mpiexec (Open MPI's or MPICH's launcher variables).</summary>
    public static bool LaunchedByMpirun =>
        Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_SIZE") is { Length: > 0 } || Environment.GetEnvironmentVariable("PMI_SIZE") is { Length: > 0 };

    /// <summary>
    /// Initializes MPI (once) and returns MPI_COMM_WORLD; a process started without mpirun is a world of one.
    /// </summary>
    /// <exception cref="DllNotFoundException">No libmpi.so.40 could be loaded (the message lists the files tried).</exception>
    /// <exception cref="NotSupportedException">The MPI library is not Open MPI, or gives less than MPI_THREAD_SERIALIZED.</exception>
    /// <exception cref="InvalidOperationException">MPI was already finalized in this process.</exception>
    public static MpiCommunicator Start()
    {
        lock (StartGate)
        {
            if (_world is { _disposed: false } world) return world;
            if (_finalized) throw new InvalidOperationException("MPI was finalized in this process; MPI cannot start twice in one process.");
            nint library = NativeLoader.Require("libmpi", "install Open MPI: apt-get install openmpi-bin, or set CURNN_MPI_LIBRARY");
            var handles = MpiHandles.Of(library);
            MpiCalls.Check(MpiNative.MPI_Initialized(out int initialized), "MPI_Initialized");
            if (initialized == 0)
            {
                MpiCalls.Check(MpiNative.MPI_Init_thread(0, 0, MpiNative.ThreadSerialized, out int provided), "MPI_Init_thread");
                if (provided < MpiNative.ThreadSerialized)
                {
                    MpiNative.MPI_Finalize();
                    _finalized = true;
                    throw new NotSupportedException($"MPI provides thread level {provided}; CuRnn needs MPI_THREAD_SERIALIZED ({MpiNative.ThreadSerialized}) or more.");
                }
            }
            MpiCalls.Check(MpiNative.MPI_Comm_set_errhandler(handles.World, handles.ErrorsReturn), "MPI_Comm_set_errhandler");
            MpiCalls.Check(MpiNative.MPI_Comm_rank(handles.World, out int rank), "MPI_Comm_rank");
            MpiCalls.Check(MpiNative.MPI_Comm_size(handles.World, out int size), "MPI_Comm_size");
            return _world = new MpiCommunicator(handles, rank, size, MpiCalls.LibraryVersion());
        }
    }

    /// <inheritdoc/>
    public int Rank { get; }
    /// <inheritdoc/>
    public int Size { get; }
    /// <inheritdoc/>
    public string Description { get; }

    /// <inheritdoc/>
    public void AllReduce(Span<float> buffer, ReduceOperation operation)
    {
        using (Enter())
            fixed (float* p = buffer) AllReduce(p, buffer.Length, sizeof(float), _handles.Float);
        if (operation == ReduceOperation.Average) TensorPrimitives.Divide(buffer, Size, buffer);
    }

    /// <inheritdoc/>
    public void AllReduce(Span<double> buffer, ReduceOperation operation)
    {
        using (Enter())
            fixed (double* p = buffer) AllReduce(p, buffer.Length, sizeof(double), _handles.Double);
        if (operation == ReduceOperation.Average) TensorPrimitives.Divide(buffer, Size, buffer);
    }

    /// <inheritdoc/>
    public PendingReduction StartAllReduce(Memory<float> buffer)
    {
        if (buffer.Length == 0) return new Pending(this, 0, default);
        var pin = buffer.Pin();
        try
        {
            nint request;
            using (Enter())
                MpiCalls.Check(MpiNative.MPI_Iallreduce(MpiNative.InPlace, pin.Pointer, buffer.Length, _handles.Float, _handles.Sum, _handles.World, out request), "MPI_Iallreduce");
            return new Pending(this, request, pin);
        }
        catch
        {
            pin.Dispose();
            throw;
        }
    }

    // An MPI_Iallreduce in flight; Wait completes it with MPI_Wait and unpins the buffer.
    private sealed class Pending(MpiCommunicator owner, nint request, System.Buffers.MemoryHandle pin) : PendingReduction
    {
        private nint _request = request;
        private System.Buffers.MemoryHandle _pin = pin;
        private bool _done;

        public override void Wait()
        {
            if (_done) return;
            _done = true;
            try
            {
                if (_request != 0)
                    using (owner.Enter()) MpiCalls.Check(MpiNative.MPI_Wait(ref _request, 0), "MPI_Wait");
            }
            finally { _pin.Dispose(); }
        }
    }

    /// <inheritdoc/>
    public void Broadcast(Span<byte> buffer, int root)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(root);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(root, Size);
        using (Enter())
            fixed (byte* p = buffer)
                for (long done = 0; done < buffer.Length;)
                {
                    int count = (int)Math.Min(int.MaxValue, buffer.Length - done);
                    MpiCalls.Check(MpiNative.MPI_Bcast(p + done, count, _handles.Byte, root, _handles.World), "MPI_Bcast");
                    done += count;
                }
    }

    /// <inheritdoc/>
    public void Barrier()
    {
        using (Enter()) MpiCalls.Check(MpiNative.MPI_Barrier(_handles.World), "MPI_Barrier");
    }

    /// <summary>Finalizes MPI (every rank must); later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        lock (StartGate)
        {
            if (_disposed) return;
            if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0) throw new InvalidOperationException("MpiCommunicator.Dispose: another thread is in a call on this communicator.");
            _disposed = true;
            _finalized = true;
            MpiCalls.Check(MpiNative.MPI_Finalize(), "MPI_Finalize");
        }
    }

    private void AllReduce(void* data, long length, int elementSize, nint datatype)
    {
        for (long done = 0; done < length;)
        {
            int count = (int)Math.Min(int.MaxValue, length - done);
            MpiCalls.Check(MpiNative.MPI_Allreduce(MpiNative.InPlace, (byte*)data + done * elementSize, count, datatype, _handles.Sum, _handles.World), "MPI_Allreduce");
            done += count;
        }
    }

    // One call at a time: a second thread is refused rather than interleaved (MPI_THREAD_SERIALIZED).
    private Busy Enter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
            throw new InvalidOperationException("MpiCommunicator: another thread is in a call on this communicator; calls are one at a time.");
        return new Busy(this);
    }

    private readonly struct Busy(MpiCommunicator owner) : IDisposable
    {
        public void Dispose() => Volatile.Write(ref owner._busy, 0);
    }
}
