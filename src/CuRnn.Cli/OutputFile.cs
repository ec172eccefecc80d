namespace CuRnn.Cli;

/// <summary>Files <c>curnn</c> writes: checked before any work starts, written whole or not at all.</summary>
internal static class OutputFile
{
    /// <summary>Why <paramref name="path"/> cannot take a new file (it is a folder, or its folder is missing), or null.</summary>
    public static string? Problem(string option, string path)
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) return $"{option}: '{path}' is a folder; give a file name";
        string? folder = Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder)) return $"{option}: the folder '{folder}' does not exist";
        return null;
    }

    /// <summary>Writes through a temporary file beside the target and moves it over the target, so a failure leaves
    /// neither a partial file nor a changed target.</summary>
    public static void Write(string path, Action<TextWriter> write)
    {
        string full = Path.GetFullPath(path), temporary = full + ".partial";
        try
        {
            using (var w = new StreamWriter(temporary)) write(w);
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
