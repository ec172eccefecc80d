namespace CuRnn;

/// <summary>A backend was asked for where it cannot run; <see cref="ProbeReport"/> says what was tried and found.</summary>
public sealed class BackendUnavailableException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BackendUnavailableException(RnnBackend backend, string reason, string probeReport)
        : base($"The {backend} backend cannot run here: {reason}{Environment.NewLine}Probe report:{Environment.NewLine}{probeReport}")
    {
        Backend = backend;
        Reason = reason;
        ProbeReport = probeReport;
    }

    /// <summary>The backend that was asked for.</summary>
    public RnnBackend Backend { get; }
    /// <summary>Why it cannot run, in one sentence.</summary>
    public string Reason { get; }
    /// <summary>Every library, device and version the probe tried, one per line.</summary>
    public string ProbeReport { get; }
}
