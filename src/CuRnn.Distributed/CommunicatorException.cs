namespace CuRnn.Distributed;

/// <summary>A collective library (MPI, NCCL) returned an error: the library, the call, its status code and text.</summary>
public sealed class CommunicatorException : Exception
{
    /// <summary>Creates the exception for <paramref name="call"/> of <paramref name="library"/> failing with <paramref name="status"/>.</summary>
    public CommunicatorException(string library, string call, int status, string statusText)
        : base($"{library}: {call} failed with {status} ({statusText}).")
    {
        Library = library;
        Call = call;
        Status = status;
        StatusText = statusText;
    }

    /// <summary>"MPI" or "NCCL".</summary>
    public string Library { get; }
    /// <summary>The function that failed.</summary>
    public string Call { get; }
    /// <summary>Its status code.</summary>
    public int Status { get; }
    /// <summary>The library's text for the status.</summary>
    public string StatusText { get; }
}
