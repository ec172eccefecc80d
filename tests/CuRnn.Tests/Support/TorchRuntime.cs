using TorchSharp;

namespace CuRnn.Tests.Support;

/// <summary>
/// Makes libtorch (through TorchSharp, CPU only) loadable on this machine before the first torch call:
/// TorchSharp's native glue asks for a libstdc++ symbol version Debian 12 lacks; see <see cref="ElfVersionPatcher"/>.
/// </summary>
internal static class TorchRuntime
{
    private static readonly Lazy<string?> s_unavailable = new(Prepare);

    /// <summary>Null when torch is ready; otherwise why it could not be loaded.</summary>
    public static string? Unavailable => s_unavailable.Value;

    private static string? Prepare()
    {
        try
        {
            string dir = AppContext.BaseDirectory;
            string glue = Path.Combine(dir, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
            if (!File.Exists(glue)) glue = Path.Combine(dir, "libLibTorchSharp.so");
            if (File.Exists(glue)) ElfVersionPatcher.MarkWeak(glue, new HashSet<string> { "GLIBCXX_3.4.32" });
            torch.set_num_threads(1);
            using var probe = torch.ones(2, 2);
            return probe.sum().item<float>() == 4f ? null : "libtorch returned a wrong sum for a smoke test";
        }
        catch (Exception e)
        {
            return $"libtorch could not be loaded: {e.GetType().Name}: {e.Message}";
        }
    }
}
