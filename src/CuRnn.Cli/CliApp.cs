using System.CommandLine;
using CuRnn.Cli.Commands;
using Spectre.Console;

namespace CuRnn.Cli;

/// <summary>The <c>curnn</c> command tree; parse errors become one line each and exit code 2.</summary>
internal static class CliApp
{
    public static RootCommand Build(IAnsiConsole console) => new("curnn: recurrent layers (LSTM, GRU, RNN) on cuDNN or a managed SIMD engine.")
    {
        TrainCommand.Create(console),
        PredictCommand.Create(console),
        DiagnosticCommands.Info(console),
        DiagnosticCommands.Check(console),
        DiagnosticCommands.Bench(console),
    };

    /// <summary>Parses and runs <paramref name="args"/>; Ctrl+C cancels <c>train</c> between batches.</summary>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, TextWriter? output = null, CancellationToken cancel = default)
    {
        var root = Build(console);
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            string name = parsed.CommandResult.Command == root ? "curnn" : $"curnn {parsed.CommandResult.Command.Name}";
            foreach (var error in parsed.Errors) console.MarkupLineInterpolated($"[red]{name}:[/] {error.Message}");
            console.MarkupLineInterpolated($"(see {name} --help)");
            return 2;
        }
        var configuration = new InvocationConfiguration();
        if (output is not null) { configuration.Output = output; configuration.Error = output; }
        return await parsed.InvokeAsync(configuration, cancel);
    }
}
