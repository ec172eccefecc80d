using System.Diagnostics;
using CuRnn.Cli.Data;
using CuRnn.Cli.Tasks;
using CuRnn.Cli.Training;
using CuRnn.Distributed;
using CuRnn.Distributed.Mpi;
using Spectre.Console;

namespace CuRnn.Cli.Commands;

/// <summary>Everything <c>curnn train</c> was asked for.</summary>
internal sealed record TrainRequest(SequenceTask? Task, string? DataFile, int Features, Objective Objective, RnnOptions Layer,
    TrainSettings Settings, int Count, int MinLength, int MaxLength, double HoldOut, string? SavePath);

/// <summary>
/// Runs a training request: data, model, progress, summary, save. Started by mpirun, it trains data-parallel over
/// MPI: every rank builds the same data and model, trains on its share of each batch, and rank 0 alone prints and
/// saves.
/// </summary>
internal static class TrainRun
{
    public static int Execute(TrainRequest q, IAnsiConsole console, CancellationToken cancel)
    {
        if (!MpiCommunicator.LaunchedByMpirun) return Execute(q, console, cancel, new DataParallel(new SingleProcess()));
        using var world = MpiCommunicator.Start();
        // Ranks on one machine share its cores: each takes its part unless --threads says otherwise.
        int local = int.TryParse(Environment.GetEnvironmentVariable("OMPI_COMM_WORLD_LOCAL_SIZE"), out int n) && n > 0 ? n : 1;
        if (q.Layer.MaxThreads == 0 && local > 1) q = q with { Layer = q.Layer with { MaxThreads = Math.Max(1, ManagedThreads.Available / local) } };
        return Execute(q, CliApp.ForRank(world.Rank, console), cancel, new DataParallel(world));
    }

    private static int Execute(TrainRequest q, IAnsiConsole console, CancellationToken cancel, DataParallel parallel)
    {
        var clock = Stopwatch.StartNew();
        // A bad file or too little data is a FormatException or an ArgumentException: one line, exit 2 (CliApp).
        SequenceDataset all = q.Task is { } t
            ? t.Generate(q.Count, q.MinLength, q.MaxLength, q.Settings.Seed)
            : CsvSequenceReader.Read(q.DataFile!, q.Features, q.Objective);
        string source = q.Task is { } t2 ? $"{t2.Name} ({t2.Description})" : Path.GetFileName(q.DataFile!);
        if (all.Objective == Objective.Classify && all.Classes < 2)
            throw new FormatException($"{q.DataFile}: every label is {all.Target(0)}; classification needs at least two classes");
        var (train, held) = all.Split(q.HoldOut);
        int width = Math.Max(all.Features, q.Layer.HiddenSize * (q.Layer.Bidirectional ? 2 : 1) * 4);
        CliSizes.Check("--batch × the longest sequence × the widest row (features, or 4 × --hidden × directions)", q.Settings.BatchSize, all.MaxLength, width);
        var options = q.Layer with { InputSize = all.Features };
        using var model = new SequenceModel(options, all.Objective, all.Outputs, q.Settings.BatchSize, all.MaxLength, q.Settings.Seed + 7);
        string layer = $"{options.Cell} H={options.HiddenSize} L={options.NumLayers}{(options.Bidirectional ? " bidirectional" : "")}";
        console.MarkupLineInterpolated($"[bold]curnn train[/]: {source}");
        console.MarkupLineInterpolated($"  {layer} + linear head ({model.ParameterCount:N0} parameters) on the {model.Rnn.Backend} engine: {model.Rnn.Selection.Reason}");
        console.MarkupLineInterpolated($"  {train.Count} training, {held.Count} held-out sequences; lengths up to {all.MaxLength}");
        if (parallel.Size > 1)
            console.MarkupLineInterpolated($"  data-parallel on {parallel.Size} ranks ({parallel.Communicator.Description}): each takes its share of every batch of {q.Settings.BatchSize}");

        string scoreName = all.Objective == Objective.Classify ? "accuracy" : $"within {q.Settings.Tolerance}";
        string shortName = all.Objective == Objective.Classify ? "acc" : $"±{q.Settings.Tolerance}";
        var results = new List<EpochResult>();
        void EpochLine(EpochResult r) => console.MarkupLineInterpolated(
            $"  epoch {r.Epoch,3}  loss {r.TrainLoss:F4} {shortName} {r.TrainScore,7:P1} | held out {r.HeldLoss:F4} {shortName} [bold]{r.HeldScore,7:P1}[/] | {r.Elapsed.TotalSeconds,5:F1} s");
        if (console.Profile.Capabilities.Interactive)
        {
            console.Progress().AutoClear(true).Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var bar = ctx.AddTask("starting", maxValue: q.Settings.Epochs);
                    results = Trainer.Run(model, train, held, q.Settings,
                        p =>
                        {
                            bar.Description = $"epoch {p.Epoch}/{p.Epochs}  loss {p.Loss:F4}  {scoreName} {p.Score:P1}  {p.SequencesPerSecond:F0} seq/s";
                            bar.Value = p.Epoch - 1 + (double)p.Batch / p.Batches;
                        },
                        EpochLine, cancel, parallel);
                });
        }
        else results = Trainer.Run(model, train, held, q.Settings, _ => { }, EpochLine, cancel, parallel);

        bool stopped = cancel.IsCancellationRequested;
        if (stopped) console.MarkupLineInterpolated($"[yellow]stopped by Ctrl+C after {results.Count} complete epoch(s)[/]");
        var last = results.LastOrDefault();
        var table = new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
        table.AddRow("task", Markup.Escape(source));
        table.AddRow("model", Markup.Escape($"{layer} + linear head, {model.ParameterCount:N0} parameters"));
        table.AddRow("engine", Markup.Escape(model.Rnn.Backend.ToString()));
        if (parallel.Size > 1)
        {
            var (reductions, reduceTime) = parallel.Reductions;
            table.AddRow("ranks", Markup.Escape($"{parallel.Size} ({parallel.Communicator.Description})"));
            table.AddRow("all-reduce", Markup.Escape($"{model.ParameterCount * 4L:N0} bytes per step, {reduceTime.TotalMilliseconds / Math.Max(reductions, 1):F3} ms per step on rank 0 ({reductions} steps)"));
        }
        table.AddRow("sequences", $"{train.Count} train, {held.Count} held out");
        table.AddRow("epochs", $"{results.Count} of {q.Settings.Epochs}{(stopped ? " (stopped)" : "")}");
        if (last is not null)
        {
            table.AddRow("training", $"loss {last.TrainLoss:F4}, {scoreName} {last.TrainScore:P1}");
            table.AddRow("[bold]held out[/]", $"loss {last.HeldLoss:F4}, {scoreName} [bold]{last.HeldScore:P1}[/]");
        }
        if (q.Task is { } task) table.AddRow("baseline", Markup.Escape(task.Baseline));
        table.AddRow("wall time", $"{clock.Elapsed.TotalSeconds:F1} s");
        if (q.SavePath is { } path && last is not null && parallel.Rank == 0)
        {
            model.Save(path, q.Task?.Name ?? "data", all.Features);
            table.AddRow("saved", Markup.Escape(path));
        }
        console.Write(table);
        return stopped ? 130 : 0;
    }
}
