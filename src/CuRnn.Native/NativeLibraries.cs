using System.Reflection;
using System.Runtime.InteropServices;

namespace CuRnn.Native;

/// <summary>
/// The one resolver for CuRnn's native libraries. The bindings name two logical libraries
/// (<see cref="CudaDriverName"/>, <see cref="CudnnName"/>); this resolver maps them to the handles that
/// <see cref="NativeLibraryProbe"/> found, after preloading cuDNN's sub-libraries and cuBLAS from the same places so
/// the dispatcher's own by-name loads succeed. Each attempt is recorded in <see cref="Trace"/>.
/// </summary>
internal static class NativeLibraries
{
    public const string CudaDriverName = "curnn-cuda-driver";
    public const string CudnnName = "curnn-cudnn";

    private static readonly object s_gate = new();
    private static readonly List<string> s_trace = [];
    private static nint s_cuda, s_cudnn;
    private static bool s_cudaTried, s_cudnnTried, s_registered;

    /// <summary>Every attempt made so far, one line each.</summary>
    public static IReadOnlyList<string> Trace { get { lock (s_gate) return s_trace.ToArray(); } }

    /// <summary>Where cuDNN loaded from, or null.</summary>
    public static string? CudnnPath { get; private set; }

    /// <summary>Installs the resolver for this assembly (idempotent).</summary>
    public static void Register()
    {
        lock (s_gate)
        {
            if (s_registered) return;
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
            s_registered = true;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) => name switch
    {
        CudaDriverName => CudaDriver(),
        CudnnName => Cudnn(),
        _ => 0,
    };

    /// <summary>The CUDA driver's handle, loading it on first use; zero when it is not there.</summary>
    public static nint CudaDriver()
    {
        lock (s_gate)
        {
            if (!s_cudaTried)
            {
                s_cudaTried = true;
                NativeLibraryProbe.TryLoad(NativeLibraryNames.CudaDriver, s_trace, out s_cuda, out _);
            }
            return s_cuda;
        }
    }

    /// <summary>cuDNN's dispatcher handle, loading cuBLAS and cuDNN's sub-libraries first; zero when it is not there.</summary>
    public static nint Cudnn()
    {
        lock (s_gate)
        {
            if (s_cudnnTried) return s_cudnn;
            s_cudnnTried = true;
            if (!NativeLibraryProbe.TryLoad(NativeLibraryNames.Cudnn, s_trace, out s_cudnn, out string? path)) return 0;
            CudnnPath = path;
            PreloadCompanions(path!);
            return s_cudnn;
        }
    }

    // cuDNN 9's dispatcher opens its sub-libraries (and they cuBLAS) by soname. When cuDNN came from a folder the
    // loader does not search (a Python package), load them by full path first: glibc then satisfies the by-name
    // loads from the objects already loaded.
    private static void PreloadCompanions(string cudnnPath)
    {
        if (!OperatingSystem.IsLinux() || !Path.IsPathRooted(cudnnPath)) return;
        var folders = new List<string> { Path.GetDirectoryName(cudnnPath)! };
        folders.AddRange(NativeLibraryProbe.CandidateFolders());
        foreach (var names in NativeLibraryNames.CudnnCompanions)
        {
            foreach (string folder in folders)
            {
                string? hit = names.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
                if (hit is null) continue;
                s_trace.Add(NativeLibrary.TryLoad(hit, out _) ? $"preloaded {hit}" : $"failed to preload {hit}");
                break;
            }
        }
    }
}
