using System.Text;

namespace CuRnn.Distributed.Mpi;

/// <summary>Status checks and texts for the MPI calls.</summary>
internal static unsafe class MpiCalls
{
    /// <summary>Throws <see cref="CommunicatorException"/> naming <paramref name="call"/> unless <paramref name="status"/> is MPI_SUCCESS.</summary>
    public static void Check(int status, string call)
    {
        if (status != 0) throw new CommunicatorException("MPI", call, status, ErrorText(status));
    }

    public static string ErrorText(int status)
    {
        byte* text = stackalloc byte[512];     // MPI_MAX_ERROR_STRING: 256 in Open MPI, 512 in MPICH
        return MpiNative.MPI_Error_string(status, text, out int length) == 0 ? Encoding.UTF8.GetString(text, Math.Clamp(length, 0, 512)) : $"MPI error {status}";
    }

    /// <summary>MPI_Get_library_version's text (callable before MPI_Init).</summary>
    public static string LibraryVersion()
    {
        byte* text = stackalloc byte[8192];    // MPI_MAX_LIBRARY_VERSION_STRING is 256 in Open MPI, 8192 in MPICH
        if (MpiNative.MPI_Get_library_version(text, out int length) != 0) return "version unknown";
        return Encoding.UTF8.GetString(text, Math.Clamp(length, 0, 8192)).Split('\n')[0].Split(',')[0].Trim().TrimEnd('\0');
    }
}
