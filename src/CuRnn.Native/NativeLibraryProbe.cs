using System.Runtime.InteropServices;

namespace CuRnn.Native;

/// <summary>
/// Finds native libraries in one place: the folder named by <see cref="NativeLibraryNames.SearchPathVariable"/>,
/// the default loader path, the usual CUDA install folders and the <c>nvidia/*/lib</c> folders of Python
/// packages (where a PyTorch install keeps cuDNN). Every attempt is recorded, so a failure can say what was tried.
/// </summary>
public static class NativeLibraryProbe
{
    /// <summary>
    /// Every folder searched besides the default loader path, most specific first: those named by
    /// <see cref="NativeLibraryNames.SearchPathVariable"/> (searched before the default loader path), then the usual
    /// install folders (searched after it).
    /// </summary>
    public static IReadOnlyList<string> CandidateFolders()
    {
        var folders = new List<string>(ExplicitFolders());
        if (OperatingSystem.IsLinux())
        {
            folders.AddRange(["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu"]);
            foreach (string root in PythonPackageRoots())
            {
                string nvidia = Path.Combine(root, "nvidia");
                if (!Directory.Exists(nvidia)) continue;
                foreach (string pkg in SafeDirectories(nvidia))
                {
                    string lib = Path.Combine(pkg, "lib");
                    if (Directory.Exists(lib)) folders.Add(lib);
                }
            }
        }
        else if (OperatingSystem.IsWindows())
        {
            string? cudaPath = Environment.GetEnvironmentVariable("CUDA_PATH");
            if (cudaPath is not null) folders.Add(Path.Combine(cudaPath, "bin"));
        }
        return folders.Distinct().ToList();
    }

    /// <summary>
    /// Loads the first of <paramref name="names"/> that loads, trying the default loader path and then each candidate folder.
    /// </summary>
    /// <param name="names">Library names, newest first.</param>
    /// <param name="trace">Receives one line per attempt.</param>
    /// <param name="handle">The loaded library, or zero.</param>
    /// <param name="path">The name or path that loaded.</param>
    /// <returns>Whether a library loaded.</returns>
    public static bool TryLoad(IReadOnlyList<string> names, ICollection<string> trace, out nint handle, out string? path)
    {
        // The folders the user named win over whatever the loader would find on its own (a system cuDNN, say).
        var explicitFolders = ExplicitFolders();
        if (TryFolders(explicitFolders, names, trace, out handle, out path)) return true;
        foreach (string name in names)
        {
            if (NativeLibrary.TryLoad(name, out handle)) { trace.Add($"loaded {name} (default loader path)"); path = name; return true; }
            trace.Add($"not found: {name} (default loader path)");
        }
        return TryFolders(CandidateFolders().Skip(explicitFolders.Count), names, trace, out handle, out path);
    }

    private static bool TryFolders(IEnumerable<string> folders, IReadOnlyList<string> names, ICollection<string> trace, out nint handle, out string? path)
    {
        foreach (string folder in folders)
        {
            foreach (string name in names)
            {
                string candidate = Path.Combine(folder, name);
                if (!File.Exists(candidate)) { trace.Add($"not found: {candidate}"); continue; }
                if (NativeLibrary.TryLoad(candidate, out handle)) { trace.Add($"loaded {candidate}"); path = candidate; return true; }
                trace.Add($"failed to load: {candidate} (present but the loader refused it; missing dependency or wrong architecture)");
            }
        }
        handle = 0; path = null;
        return false;
    }

    /// <summary>The folders named by <see cref="NativeLibraryNames.SearchPathVariable"/>, in its order.</summary>
    private static List<string> ExplicitFolders()
    {
        string? env = Environment.GetEnvironmentVariable(NativeLibraryNames.SearchPathVariable);
        return string.IsNullOrWhiteSpace(env) ? [] : env.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Distinct().ToList();
    }

    private static IEnumerable<string> PythonPackageRoots()
    {
        var bases = new List<string> { "/usr/lib", "/usr/local/lib", "/opt/conda/lib" };
        string? home = Environment.GetEnvironmentVariable("HOME");
        if (home is not null) { bases.Add(Path.Combine(home, ".local", "lib")); bases.Add(Path.Combine(home, ".pyenv", "versions")); }
        string? venv = Environment.GetEnvironmentVariable("VIRTUAL_ENV");
        if (venv is not null) bases.Add(Path.Combine(venv, "lib"));
        // Every Python on PATH (a virtual environment's bin folder included): its prefix's lib folder.
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, "python3")) && Path.GetDirectoryName(dir) is { } prefix) bases.Add(Path.Combine(prefix, "lib"));
        // Virtual environments kept under /opt (e.g. /opt/torch/.venv).
        foreach (string opt in SafeDirectories("/opt")) bases.Add(Path.Combine(opt, ".venv", "lib"));
        foreach (string b in bases.Distinct())
        {
            if (!Directory.Exists(b)) continue;
            foreach (string dir in SafeDirectories(b))
            {
                string name = Path.GetFileName(dir);
                if (name.StartsWith("python3", StringComparison.Ordinal))
                {
                    yield return Path.Combine(dir, "site-packages");
                    yield return Path.Combine(dir, "dist-packages");
                }
                else if (b.EndsWith("versions", StringComparison.Ordinal))
                {
                    // pyenv: versions/X/lib/python3.Y/site-packages
                    string lib = Path.Combine(dir, "lib");
                    if (!Directory.Exists(lib)) continue;
                    foreach (string py in SafeDirectories(lib))
                        if (Path.GetFileName(py).StartsWith("python3", StringComparison.Ordinal)) yield return Path.Combine(py, "site-packages");
                }
            }
        }
    }

    private static string[] SafeDirectories(string path)
    {
        try { return Directory.GetDirectories(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return []; }
    }
}
