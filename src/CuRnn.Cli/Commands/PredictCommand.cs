using System.CommandLine;
using System.Globalization;
using CuRnn.Cli.Data;
using CuRnn.Cli.Tasks;
using CuRnn.Cli.Training;
using Spectre.Console;

namespace CuRnn.Cli.Commands;

/// <summary>
/// <c>curnn predict</c>: runs a model saved by <c>curnn train --save</c> on a CSV file (labelled or not) or on fresh
/// data of the task it was trained on; prints the first predictions and the score, and can write them all as CSV.
/// </summary>
internal static class PredictCommand
{
    public static Command Create(IAnsiConsole console)
    {
        var model = CliOptions.InputFile("--model", "a model written by curnn train --save", required: true);
        var data = CliOptions.InputFile("--data", "CSV of sequences (label first unless --unlabelled); default: fresh data of the model's task");
        var unlabelled = new Option<bool>("--unlabelled") { Description = "--data's lines hold values only" };
        var count = CliOptions.Positive("--count", 500, "sequences to generate when there is no --data");
        var minLength = CliOptions.Positive("--min-length", 20, "shortest generated sequence");
        var maxLength = CliOptions.Positive("--max-length", 50, "longest generated sequence", 100_000);
        var seed = CliOptions.Integer("--seed", 20261123, "seed of the generated data", int.MinValue, int.MaxValue);
        var show = CliOptions.Integer("--show", 10, "predictions to print", 0, int.MaxValue);
        var output = CliOptions.OutputFile("--output", "write every prediction here (CSV: index, prediction[, label], then p_0..p_{C-1}, the class probabilities, or value, the regression output in full precision)");
        var tolerance = CliOptions.PositiveNumber("--tolerance", 0.04f, "regression: a prediction within this counts as right");
        var backend = CliOptions.OneOf("--backend", "auto", "engine", "auto", "managed", "cudnn");
        var command = new Command("predict", "Run a saved model on new sequences.")
        {
            model, data, unlabelled, count, minLength, maxLength, seed, show, output, tolerance, backend,
        };
        command.SetAction(p => Execute(console, p.GetValue(model)!.FullName, p.GetValue(data)?.FullName, !p.GetValue(unlabelled), p.GetValue(count),
            p.GetValue(minLength), p.GetValue(maxLength), p.GetValue(seed), p.GetValue(show), p.GetValue(output)?.FullName, p.GetValue(tolerance),
            CliOptions.Backend(p.GetValue(backend)!)));
        return command;
    }

    private static int Execute(IAnsiConsole console, string modelPath, string? dataPath, bool labelled, int count, int minLength, int maxLength,
        int seed, int show, string? outputPath, float tolerance, RnnBackend backend)
    {
        SequenceModel? model = null;
        try
        {
            (model, string taskName, int features) = SequenceModel.Load(modelPath, 64, backend);
            SequenceDataset data;
            if (dataPath is not null) data = CsvSequenceReader.Read(dataPath, features, model.Objective, labelled);
            else if (SequenceTask.Find(taskName) is { } task) data = task.Generate(count, minLength, maxLength, seed);
            else throw new CliUsageException("the model was trained on a data file, not a built-in task; give --data");
            if (labelled && model.Objective == Objective.Classify)
                for (int i = 0; i < data.Count; i++)
                    if (data.Target(i) >= model.Outputs)
                        throw new CliUsageException($"--data: sequence {i + 1} has the label {data.Target(i)}; this model knows the classes 0..{model.Outputs - 1}");
            model.Reserve(data.MaxLength);
            var predictions = new float[data.Count];
            bool classify = model.Objective == Objective.Classify;
            var probabilities = new float[classify ? (long)data.Count * model.Outputs : 0];
            var batch = new PaddedBatch(64, data.MaxLength, data.Features);
            var indices = Enumerable.Range(0, data.Count).ToArray();
            double loss = 0;
            int correct = 0;
            for (int start = 0; start < data.Count; start += 64)
            {
                int size = Math.Min(64, data.Count - start);
                batch.Fill(data, indices.AsSpan(start, size));
                var (l, c) = model.Evaluate(batch, tolerance, predictions.AsSpan(start, size), labelled,
                    classify ? probabilities.AsSpan(start * model.Outputs, size * model.Outputs) : default);
                loss += l; correct += c;
            }
            var table = new Table().Border(TableBorder.Rounded).AddColumn("#").AddColumn("length").AddColumn("prediction");
            if (labelled) table.AddColumn("label");
            for (int i = 0; i < Math.Min(show, data.Count); i++)
            {
                var row = new List<string> { i.ToString(CultureInfo.InvariantCulture), data.Length(i).ToString(CultureInfo.InvariantCulture), Format(model, predictions[i]) };
                if (labelled) row.Add(Format(model, data.Target(i)));
                table.AddRow(row.ToArray());
            }
            console.Write(table);
            if (labelled)
            {
                if (model.Objective == Objective.Classify)
                    console.MarkupLineInterpolated($"{data.Count} sequences: loss {loss / data.Count:F4}, accuracy [bold]{(double)correct / data.Count:P1}[/]");
                else
                    console.MarkupLineInterpolated($"{data.Count} sequences: mse {loss / data.Count:F5}, [bold]{(double)correct / data.Count:P1}[/] within {tolerance}");
            }
            if (outputPath is not null)
            {
                OutputFile.Write(outputPath, w => WriteCsv(w, model, data, predictions, probabilities, labelled));
                console.MarkupLineInterpolated($"wrote {data.Count} predictions to {outputPath}");
            }
            return 0;
        }
        finally { model?.Dispose(); }
    }

    // index, prediction[, label], then the class probabilities p_0..p_{C-1} or the regression value, round-trippable.
    private static void WriteCsv(TextWriter w, SequenceModel model, SequenceDataset data, float[] predictions, float[] probabilities, bool labelled)
    {
        bool classify = model.Objective == Objective.Classify;
        var header = new List<string> { "index", "prediction" };
        if (labelled) header.Add("label");
        if (classify) header.AddRange(Enumerable.Range(0, model.Outputs).Select(k => $"p_{k}"));
        else header.Add("value");
        w.WriteLine(string.Join(',', header));
        for (int i = 0; i < data.Count; i++)
        {
            var row = new List<string> { i.ToString(CultureInfo.InvariantCulture), Format(model, predictions[i]) };
            if (labelled) row.Add(Format(model, data.Target(i)));
            if (classify)
                for (int k = 0; k < model.Outputs; k++) row.Add(probabilities[(long)i * model.Outputs + k].ToString("R", CultureInfo.InvariantCulture));
            else row.Add(predictions[i].ToString("R", CultureInfo.InvariantCulture));
            w.WriteLine(string.Join(',', row));
        }
    }

    private static string Format(SequenceModel model, float value) =>
        model.Objective == Objective.Classify ? ((int)value).ToString(CultureInfo.InvariantCulture) : value.ToString("F4", CultureInfo.InvariantCulture);
}
