using System.CommandLine;
using System.CommandLine.Help;
using CuRnn.Cli.Commands;
using Spectre.Console;

namespace CuRnn.Cli;

/// <summary>
/// The <c>curnn</c> command tree. Whatever goes wrong is one line on the error writer naming the input ("curnn train:
/// --epochs must be …"), exit code 2 for usage and data errors and 1 for failures at run time; <c>--verbose</c> adds
/// the details (a probe report, a stack trace) below it.
/// </summary>
internal static class CliApp
{
    /// <summary>Adds the details of a failure to its one line.</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "on failure, print the details too (probe report, stack trace)", Recursive = true };

    // A plain command named curnn (a RootCommand takes the executable's name, CuRnn.Cli under dotnet run), with the
    // help and version options a RootCommand would have.
    public static Command Build(IAnsiConsole console) => new("curnn", "curnn: recurrent layers (LSTM, GRU, RNN) on cuDNN or a managed SIMD engine.")
    {
        new HelpOption(),
        new VersionOption(),
        Verbose,
        TrainCommand.Create(console),
        PredictCommand.Create(console),
        DiagnosticCommands.Info(console),
        DiagnosticCommands.Check(console),
        DiagnosticCommands.Bench(console),
    };

    /// <summary>Under mpirun rank 0 speaks for the job; every other rank prints nothing.</summary>
    public static IAnsiConsole ForRank(int rank, IAnsiConsole console) => rank == 0 ? console
        : AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(TextWriter.Null), Interactive = InteractionSupport.No });

    /// <summary>Parses and runs <paramref name="args"/>; Ctrl+C cancels <c>train</c> between batches.</summary>
    /// <param name="args">The command line.</param>
    /// <param name="console">Where results go (stdout).</param>
    /// <param name="output">Replaces stdout for System.CommandLine's own output (help), or null.</param>
    /// <param name="error">Where failures go (stderr), one line each.</param>
    /// <param name="cancel">Stops <c>train</c> between batches.</param>
    public static async Task<int> RunAsync(string[] args, IAnsiConsole console, TextWriter? output = null, TextWriter? error = null, CancellationToken cancel = default)
    {
        error ??= Console.Error;
        var root = Build(console);
        var parsed = root.Parse(args);
        string name = parsed.CommandResult.Command == root ? "curnn" : $"curnn {parsed.CommandResult.Command.Name}";
        if (parsed.Errors.Count > 0)
        {
            error.WriteLine($"{name}: {CliFailure.OneLine(parsed.Errors[0].Message).TrimEnd('.')} (see {name} --help)");
            return CliFailure.UsageExitCode;
        }
        var configuration = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (output is not null) configuration.Output = output;
        configuration.Error = error;
        try
        {
            return await parsed.InvokeAsync(configuration, cancel);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return 130;
        }
        catch (Exception e)
        {
            var (code, text) = CliFailure.Describe(e is AggregateException { InnerExceptions.Count: 1 } a ? a.InnerException! : e, parsed.GetValue(Verbose));
            error.WriteLine($"{name}: {text}");
            return code;
        }
    }
}
