using CuRnn.Native;

namespace CuRnn;

/// <summary>The outcome of choosing a backend: which one, and why, with the probe's findings.</summary>
/// <param name="Requested">What the options (or <c>CURNN_BACKEND</c>) asked for.</param>
/// <param name="Chosen">The backend that runs.</param>
/// <param name="Reason">Why, in one sentence.</param>
/// <param name="ProbeReport">The GPU probe's findings (empty when the managed engine was asked for and no probe ran).</param>
public sealed record BackendSelection(RnnBackend Requested, RnnBackend Chosen, string Reason, string ProbeReport)
{
    /// <summary>Environment variable that forces a backend: <c>auto</c>, <c>managed</c> or <c>cudnn</c>.</summary>
    public const string EnvironmentVariable = "CURNN_BACKEND";

    /// <summary>Chooses a backend for <paramref name="requested"/>, honouring <see cref="EnvironmentVariable"/>.</summary>
    /// <exception cref="BackendUnavailableException">cuDNN was asked for and cannot run here.</exception>
    /// <exception cref="ArgumentException">The environment variable holds an unknown name.</exception>
    public static BackendSelection Choose(RnnBackend requested)
    {
        string? forced = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(forced))
        {
            if (!Enum.TryParse(forced.Trim(), ignoreCase: true, out RnnBackend parsed) || !Enum.IsDefined(parsed))
                throw new ArgumentException($"{EnvironmentVariable} must be auto, managed or cudnn; actual '{forced}'.", EnvironmentVariable);
            requested = parsed;
        }
        if (requested == RnnBackend.Managed)
            return new BackendSelection(requested, RnnBackend.Managed, "the managed engine was asked for", "");

        var probe = GpuProbe.Report;
        string report = probe.ToString();
        string why = !probe.DriverLoaded ? "no CUDA driver could be loaded"
            : probe.DeviceCount == 0 ? "the CUDA driver reports no device"
            : probe.CudnnVersion == 0 ? "cuDNN 9 could not be loaded"
            : probe.CudnnVersion < 90000 ? $"cuDNN {probe.CudnnVersion} is older than 9"
            : "this build of CuRnn has no cuDNN engine yet";
        if (requested == RnnBackend.Cudnn) throw new BackendUnavailableException(RnnBackend.Cudnn, why, report);
        return new BackendSelection(requested, RnnBackend.Managed, $"Auto chose the managed engine: {why}", report);
    }
}
