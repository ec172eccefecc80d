using System.CommandLine;
using CuRnn.Cli.Data;
using CuRnn.Cli.Tasks;
using CuRnn.Cli.Training;
using Spectre.Console;

namespace CuRnn.Cli.Commands;

/// <summary>
/// <c>curnn train</c>: a CuRnn layer and a linear head trained end to end on a built-in task or the user's CSV, with a
/// live progress bar and a summary table; <c>--save</c> writes the model for <c>curnn predict</c>.
/// </summary>
internal static class TrainCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var task = CliOptions.OneOf("--task", "temporal-order", "built-in task", SequenceTask.All.Select(t => t.Name).ToArray());
        var data = CliOptions.InputFile("--data", "train on a CSV file instead: one sequence per line, the label then the values");
        var features = CliOptions.Positive("--features", 1, "values per step in --data's lines");
        var objective = CliOptions.OneOf("--objective", "classify", "what --data's labels are", "classify", "regress");
        var cell = CliOptions.OneOf("--cell", "lstm", "recurrent cell", "lstm", "gru", "tanh", "relu");
        var hidden = CliOptions.Positive("--hidden", 48, "hidden size H", 4096);
        var layers = CliOptions.Positive("--layers", 1, "stacked layers", 16);
        var bidirectional = new Option<bool>("--bidirectional") { Description = "add a reverse direction" };
        var epochs = CliOptions.Positive("--epochs", 10, "passes over the training set");
        var batch = CliOptions.Positive("--batch", 32, "sequences per mini-batch", 65536);
        var optimizer = CliOptions.OneOf("--optimizer", "adam", "optimizer", "adam", "adamw", "sgd");
        var lr = CliOptions.PositiveNumber("--lr", 0.003f, "the optimizer's learning rate", 1);
        var clip = CliOptions.PositiveNumber("--clip", 1f, "largest global gradient norm");
        var count = CliOptions.Positive("--count", 20000, "sequences the built-in task generates");
        var minLength = CliOptions.Positive("--min-length", 20, "shortest generated sequence");
        var maxLength = CliOptions.Positive("--max-length", 60, "longest generated sequence", 100_000);
        var holdOut = CliOptions.PositiveNumber("--hold-out", 0.1f, "fraction of the sequences kept for validation", 0.9f);
        var tolerance = CliOptions.PositiveNumber("--tolerance", 0.04f, "regression: a prediction within this counts as right");
        var seed = CliOptions.Integer("--seed", 1, "seed of the data, the weights and the batch order", int.MinValue, int.MaxValue);
        var save = CliOptions.OutputFile("--save", "write the trained model (safetensors) here");
        var backend = CliOptions.OneOf("--backend", "auto", "engine", "auto", "managed", "cudnn");
        var threads = CliOptions.Integer("--threads", 0, "managed engine threads (0 = the cores this process may use)", 0, 256);

        var command = new Command("train", "Train a sequence model end to end: CuRnn layer + linear head, Adam, clipping, variable-length mini-batches; data-parallel over MPI when started by mpirun.")
        {
            task, data, features, objective, cell, hidden, layers, bidirectional, epochs, batch, optimizer, lr, clip, count, minLength, maxLength,
            holdOut, tolerance, seed, save, backend, threads,
        };
        command.SetAction(async (p, cancel) =>
        {
            // Rules between options, checked here because they need the defaults applied.
            if (p.GetValue(minLength) > p.GetValue(maxLength))
                throw new CliUsageException($"--min-length ({p.GetValue(minLength)}) must not exceed --max-length ({p.GetValue(maxLength)})");
            if (p.GetValue(data) is null && p.GetValue(minLength) < 10)
                throw new CliUsageException($"--min-length must be at least 10 for the built-in tasks; actual {p.GetValue(minLength)}");
            var request = new TrainRequest(
                p.GetValue(data) is null ? SequenceTask.Find(p.GetValue(task)!) : null, p.GetValue(data)?.FullName, p.GetValue(features),
                p.GetValue(objective) == "regress" ? Objective.Regress : Objective.Classify,
                new RnnOptions
                {
                    Cell = CliOptions.Cell(p.GetValue(cell)!), InputSize = 1, HiddenSize = p.GetValue(hidden), NumLayers = p.GetValue(layers),
                    Bidirectional = p.GetValue(bidirectional), Seed = (ulong)p.GetValue(seed), Backend = CliOptions.Backend(p.GetValue(backend)!),
                    MaxThreads = p.GetValue(threads), ParameterSync = ParameterSync.Announced,   // the trainer says when Adam wrote
                },
                new TrainSettings(p.GetValue(epochs), p.GetValue(batch), p.GetValue(lr), p.GetValue(clip), p.GetValue(tolerance), p.GetValue(seed),
                    p.GetValue(optimizer)!),
                p.GetValue(count), p.GetValue(minLength), p.GetValue(maxLength), p.GetValue(holdOut), p.GetValue(save)?.FullName);
            return await Task.Run(() => TrainRun.Execute(request, console, cancel), CancellationToken.None);
        });
        return command;
    }
}
