namespace CuRnn.Cli;

/// <summary>
/// A bad input found while a command runs (options that disagree, an unusable file, data the model cannot take):
/// reported as one line naming the input, exit code 2.
/// </summary>
internal sealed class CliUsageException(string message) : Exception(message);

/// <summary>How <c>curnn</c> reports a failure: one line on stderr, an exit code, never a stack trace.</summary>
internal static class CliFailure
{
    /// <summary>Usage and data errors.</summary>
    public const int UsageExitCode = 2;
    /// <summary>Failures at run time (no GPU, I/O, anything unexpected).</summary>
    public const int RuntimeExitCode = 1;

    /// <summary>The exit code and the one line for <paramref name="e"/>; with <paramref name="verbose"/>, the details
    /// (a probe report, an unexpected exception's stack) follow on further lines.</summary>
    public static (int Code, string Text) Describe(Exception e, bool verbose)
    {
        var (code, line, details) = e switch
        {
            ArgumentException a => (UsageExitCode, a.ParamName is null ? a.Message : a.Message.Replace($" (Parameter '{a.ParamName}')", ""), (string?)null),
            CliUsageException or FormatException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                or KeyNotFoundException => (UsageExitCode, e.Message, null),
            BackendUnavailableException b => (RuntimeExitCode,
                $"the {b.Backend} engine cannot run here: {b.Reason}{(verbose ? "" : " (--verbose or curnn info for the probe report)")}", b.ProbeReport),
            IOException or UnauthorizedAccessException => (RuntimeExitCode, e.Message, null),
            _ => (RuntimeExitCode, $"internal error ({e.GetType().Name}): {e.Message}{(verbose ? "" : " (--verbose for details)")}", e.ToString()),
        };
        string text = OneLine(line);
        if (verbose && !string.IsNullOrWhiteSpace(details)) text += Environment.NewLine + details.TrimEnd();
        return (code, text);
    }

    /// <summary>A message as one line: its lines joined, runs of space kept short.</summary>
    public static string OneLine(string message) =>
        string.Join(" ", message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).TrimEnd('.') + ".";
}
