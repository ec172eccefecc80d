using System.Reflection;
using System.Runtime.InteropServices;

namespace CuRnn.Distributed;

/// <summary>
/// Resolves this assembly's native libraries ("libmpi", "libnccl", "libcuda" in the bindings) to files loaded by full
/// path or soname, trying each candidate in turn and keeping what every attempt said, so a failure can name them all.
/// </summary>
internal static class NativeLoader
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, nint> Loaded = [];
    private static readonly Dictionary<string, string> Failures = [];

    static NativeLoader() => NativeLibrary.SetDllImportResolver(typeof(NativeLoader).Assembly, Resolve);

    /// <summary>Makes sure the resolver is installed (the static constructor runs once).</summary>
    public static void EnsureInstalled() { }

    /// <summary>The handle of <paramref name="name"/>, loading it on first use; throws naming every file tried.</summary>
    public static nint Require(string name, string howToGetIt)
    {
        nint handle = TryLoad(name);
        if (handle != 0) return handle;
        lock (Gate)
            throw new DllNotFoundException($"{name} could not be loaded ({howToGetIt}); tried: {Failures[name]}");
    }

    /// <summary>The handle of <paramref name="name"/>, or 0 where no candidate loads.</summary>
    public static nint TryLoad(string name)
    {
        lock (Gate)
        {
            if (Loaded.TryGetValue(name, out nint known)) return known;
            var tried = new List<string>();
            foreach (string candidate in Candidates(name))
            {
                if (NativeLibrary.TryLoad(candidate, out nint handle))
                {
                    Loaded[name] = handle;
                    return handle;
                }
                tried.Add(candidate);
            }
            Failures[name] = string.Join(", ", tried);
            return 0;
        }
    }

    private static nint Resolve(string name, Assembly assembly, DllImportSearchPath? path) => TryLoad(name);

    // The environment's choice first (CURNN_MPI_LIBRARY; CURNN_NATIVE_PATH's folders, where PyTorch's nvidia/*/lib go),
    // then the loader's search by soname.
    private static IEnumerable<string> Candidates(string name)
    {
        var (variable, sonames) = name switch
        {
            "libmpi" => ("CURNN_MPI_LIBRARY", new[] { "libmpi.so.40", "libmpi.so" }),
            "libnccl" => ("CURNN_NCCL_LIBRARY", new[] { "libnccl.so.2", "libnccl.so" }),
            "libcuda" => ("", new[] { "libcuda.so.1", "libcuda.so" }),
            _ => ("", new[] { name }),
        };
        if (variable.Length > 0 && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } file) yield return file;
        foreach (string folder in (Environment.GetEnvironmentVariable("CURNN_NATIVE_PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (string soname in sonames)
                yield return Path.Combine(folder, soname);
        foreach (string soname in sonames) yield return soname;
    }
}
