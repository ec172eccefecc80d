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
        if (probe.CudnnUsable)
        {
            string found = $"CUDA driver {probe.DriverVersion / 1000}.{probe.DriverVersion % 1000 / 10}, {probe.DeviceCount} device(s), cuDNN {probe.CudnnVersion} from {probe.CudnnPath}";
            return new BackendSelection(requested, RnnBackend.Cudnn,
                requested == RnnBackend.Cudnn ? $"cuDNN was asked for and loads ({found})" : $"Auto chose cuDNN: {found}", report);
        }
        string why = WhyNot(probe);
        if (requested == RnnBackend.Cudnn) throw new BackendUnavailableException(RnnBackend.Cudnn, why, report);
        return new BackendSelection(requested, RnnBackend.Managed, $"Auto chose the managed engine: {why}", report);
    }

    /// <summary>Why the probe's findings rule cuDNN out, in one sentence.</summary>
    internal static string WhyNot(GpuProbeReport probe) =>
        !probe.DriverLoaded ? "no CUDA driver could be loaded"
        : probe.DeviceCount == 0 ? "the CUDA driver reports no device"
        : probe.CudnnVersion == 0 ? "cuDNN 9 could not be loaded"
        : probe.CudnnVersion < 90000 ? $"cuDNN {probe.CudnnVersion} is older than 9"
        : !probe.SubLibrariesLoaded ? "cuDNN's sub-libraries (graph, ops, adv) did not load; the probe report lists the version checks"
        : "cuDNN is usable";

    /// <summary>The selection after the cuDNN engine failed to start: Auto falls back with the reason; an explicit request throws.</summary>
    internal BackendSelection AfterEngineFailure(Exception failure)
    {
        string why = $"the cuDNN engine failed to start: {failure.Message}";
        if (Requested == RnnBackend.Cudnn) throw new BackendUnavailableException(RnnBackend.Cudnn, why, ProbeReport);
        return this with { Chosen = RnnBackend.Managed, Reason = $"Auto chose the managed engine: {why}" };
    }
}
