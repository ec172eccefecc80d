using System.Runtime.InteropServices;

namespace CuRnn.Distributed.Mpi;

/// <summary>
/// Open MPI's C API (4.1 and 5.0, soname libmpi.so.40). Handles are pointers, and the predefined ones
/// (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are the addresses of exported globals (<see cref="MpiHandles"/>).
/// Every function returns MPI_SUCCESS (0) or an error code.
/// </summary>
internal static unsafe partial class MpiNative
{
    private const string Library = "libmpi";

    public const int ThreadSerialized = 2;
    /// <summary>MPI_IN_PLACE in Open MPI: <c>(void*)1</c>.</summary>
    public static readonly nint InPlace = 1;

    [LibraryImport(Library)] public static partial int MPI_Initialized(out int flag);
    [LibraryImport(Library)] public static partial int MPI_Finalized(out int flag);
    [LibraryImport(Library)] public static partial int MPI_Init_thread(nint argc, nint argv, int required, out int provided);
    [LibraryImport(Library)] public static partial int MPI_Finalize();
    [LibraryImport(Library)] public static partial int MPI_Comm_rank(nint comm, out int rank);
    [LibraryImport(Library)] public static partial int MPI_Comm_size(nint comm, out int size);
    [LibraryImport(Library)] public static partial int MPI_Comm_set_errhandler(nint comm, nint errhandler);
    [LibraryImport(Library)] public static partial int MPI_Allreduce(nint sendbuf, void* recvbuf, int count, nint datatype, nint op, nint comm);
    [LibraryImport(Library)] public static partial int MPI_Iallreduce(nint sendbuf, void* recvbuf, int count, nint datatype, nint op, nint comm, out nint request);
    [LibraryImport(Library)] public static partial int MPI_Wait(ref nint request, nint status);
    [LibraryImport(Library)] public static partial int MPI_Bcast(void* buffer, int count, nint datatype, int root, nint comm);
    [LibraryImport(Library)] public static partial int MPI_Barrier(nint comm);
    [LibraryImport(Library)] public static partial int MPI_Error_string(int errorcode, byte* text, out int length);
    [LibraryImport(Library)] public static partial int MPI_Get_library_version(byte* version, out int length);
}

/// <summary>Open MPI's predefined handles: the addresses of its exported globals.</summary>
internal sealed class MpiHandles
{
    private MpiHandles(nint library)
    {
        World = NativeLibrary.GetExport(library, "ompi_mpi_comm_world");
        Float = NativeLibrary.GetExport(library, "ompi_mpi_float");
        Double = NativeLibrary.GetExport(library, "ompi_mpi_double");
        Byte = NativeLibrary.GetExport(library, "ompi_mpi_byte");
        Sum = NativeLibrary.GetExport(library, "ompi_mpi_op_sum");
        ErrorsReturn = NativeLibrary.GetExport(library, "ompi_mpi_errors_return");
    }

    public nint World { get; }
    public nint Float { get; }
    public nint Double { get; }
    public nint Byte { get; }
    public nint Sum { get; }
    public nint ErrorsReturn { get; }

    /// <summary>The handles of a loaded libmpi, or an exception that says which MPI it is when it is not Open MPI.</summary>
    public static MpiHandles Of(nint library)
    {
        if (NativeLibrary.TryGetExport(library, "ompi_mpi_comm_world", out _)) return new MpiHandles(library);
        throw new NotSupportedException($"the MPI library loaded is not Open MPI ({MpiCalls.LibraryVersion()}); CuRnn's MPI bindings use Open MPI's ABI (pointer handles). Install Open MPI (apt-get install openmpi-bin) or point CURNN_MPI_LIBRARY at its libmpi.so.40.");
    }
}
