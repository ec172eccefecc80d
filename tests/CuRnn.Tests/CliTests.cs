using CuRnn.Cli;
using CuRnn.Cli.Commands;
using CuRnn.Cli.Data;
using CuRnn.Cli.Tasks;
using CuRnn.Cli.Training;
using CuRnn.Tests.Support;
using Spectre.Console;

namespace CuRnn.Tests;

/// <summary><c>curnn</c>: parsing and one-line errors, the CSV reader, a short training run whose loss falls, save and predict, Ctrl+C, check.</summary>
[TestFixture, Category("unit")]
public sealed class CliTests
{
    private string _dir = null!;

    [SetUp]
    public void Fresh() => _dir = Directory.CreateTempSubdirectory("curnn-cli-").FullName;

    [TearDown]
    public void Clean() => Directory.Delete(_dir, recursive: true);

    // Output and errors together (for the tests that only look for a message).
    private static (int Code, string Output) Run(params string[] args)
    {
        var (code, output, error) = RunSeparately(args);
        return (code, output + error);
    }

    private static (int Code, string Output, string Error) RunSeparately(params string[] args)
    {
        var writer = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 240;
        int code = CliApp.RunAsync(args, console, writer, error).GetAwaiter().GetResult();
        TestContext.Out.WriteLine(writer.ToString());
        TestContext.Out.WriteLine("stderr: " + error);
        return (code, writer.ToString(), error.ToString());
    }

    [TestCase(new[] { "train", "--hidden", "0" }, "curnn train: --hidden must be an integer in 1..4096; actual '0'")]
    [TestCase(new[] { "train", "--cell", "lstmm" }, "curnn train: --cell must be one of lstm, gru, tanh, relu; actual 'lstmm'")]
    [TestCase(new[] { "train", "--lr", "-1" }, "curnn train: --lr must be a number in (0, 1]; actual '-1'")]
    [TestCase(new[] { "train", "--min-length", "40", "--max-length", "30" }, "curnn train: --min-length (40) must not exceed --max-length (30)")]
    [TestCase(new[] { "train", "--data", "/nonexistent.csv" }, "curnn train: --data: no file at '/nonexistent.csv'")]
    [TestCase(new[] { "train", "--bogus" }, "curnn train: Unrecognized command or argument '--bogus'")]
    [TestCase(new[] { "bench", "--steps", "10" }, "a shape of your own needs all of --steps, --batch, --input and --hidden")]
    [TestCase(new[] { "predict" }, "Option '--model' is required")]
    public void Bad_options_get_a_one_line_error_and_exit_code_2(string[] args, string message)
    {
        var (code, output) = Run(args);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain(message));
    }

    [TestCase("train")]
    [TestCase("predict")]
    [TestCase("check")]
    [TestCase("bench")]
    [TestCase("info")]
    public void Every_command_has_help(string command)
    {
        var (code, output) = Run(command, "--help");
        Assert.That(code, Is.Zero);
        Assert.That(output, Does.Contain("Usage:").And.Contain(command));
    }

    private string WriteCsv(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Test]
    public void Csv_reader_reads_labels_and_steps()
    {
        string path = WriteCsv("good.csv", "# label, then 2 values per step\n1,0.5,1,0.25,0\n\n0,1e-3,2\n2,1,2,3,4,5,6\n");
        var data = CsvSequenceReader.Read(path, 2, Objective.Classify);
        Assert.That(data.Count, Is.EqualTo(3));
        Assert.That(data.Classes, Is.EqualTo(3));
        Assert.That(data.Length(0), Is.EqualTo(2));
        Assert.That(data.Length(2), Is.EqualTo(3));
        Assert.That(data.Values(0).ToArray(), Is.EqualTo(new[] { 0.5f, 1, 0.25f, 0 }));
        Assert.That(data.Target(2), Is.EqualTo(2f));
        var regression = CsvSequenceReader.Read(WriteCsv("r.csv", "-0.5,1,2\n"), 1, Objective.Regress);
        Assert.That(regression.Target(0), Is.EqualTo(-0.5f));
        var unlabelled = CsvSequenceReader.Read(WriteCsv("u.csv", "1,2\n"), 1, Objective.Regress, labelled: false);
        Assert.That(unlabelled.Length(0), Is.EqualTo(2));
    }

    [TestCase("1,0.5,1\n0,0.5,abc\n", 2, "bad.csv:2: column 3: 'abc' is not a number")]
    [TestCase("1,0.5,1\n0,0.5,NaN\n", 2, "bad.csv:2: column 3: 'NaN' is not a finite number")]
    [TestCase("x,0.5\n", 1, "bad.csv:1: column 1: the label 'x' is not a class index")]
    [TestCase("1.5,0.5\n", 1, "bad.csv:1: column 1: the label '1.5' is not a class index")]
    [TestCase("1,0.5,2,3\n", 2, "bad.csv:1: 3 values after the label is not a positive multiple of --features 2")]
    [TestCase("1\n", 1, "bad.csv:1: 0 values after the label")]
    [TestCase("# only a comment\n", 1, "no sequences")]
    public void Csv_reader_names_the_line_and_column_of_a_bad_value(string text, int features, string message)
    {
        string path = WriteCsv("bad.csv", text);
        var e = Assert.Throws<FormatException>(() => CsvSequenceReader.Read(path, features, Objective.Classify))!;
        Assert.That(e.Message, Does.Contain(message.Replace("bad.csv", path).Replace(" is not a number", " is not a finite number")));
    }

    [Test]
    public void A_short_training_run_lowers_the_loss_and_beats_chance()
    {
        var task = new TemporalOrderTask();
        var all = task.Generate(3000, 15, 30, seed: TestContext.CurrentContext.Random.Next());
        var (train, held) = all.Split(0.1);
        var options = new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = task.Features, HiddenSize = 24, Backend = RnnBackend.Managed };
        using var model = new SequenceModel(options, all.Objective, all.Outputs, 32, all.MaxLength, 3);
        var results = Trainer.Run(model, train, held, new TrainSettings(6, 32, 0.003f, 1f, 0.04f, 5), _ => { }, _ => { }, CancellationToken.None);
        foreach (var r in results) TestContext.Out.WriteLine(r);
        Assert.That(results, Has.Count.EqualTo(6));
        Assert.That(results[^1].TrainLoss, Is.LessThan(results[0].TrainLoss * 0.8), "training loss falls");
        Assert.That(results[^1].HeldScore, Is.GreaterThan(0.45), "held-out accuracy well above the 25 % of chance");
    }

    [Test]
    public void Train_saves_a_model_that_predict_runs_and_pytorch_names_it()
    {
        string model = Path.Combine(_dir, "adding.safetensors");
        var (code, output) = Run("train", "--task", "adding", "--count", "1500", "--epochs", "3", "--hidden", "16", "--save", model, "--backend", "managed");
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("held out").And.Contain("saved"));
        using (var file = CuRnn.Weights.SafeTensorsFile.Open(model))
            Assert.That(file.Tensors.Select(t => t.Name), Is.SupersetOf(new[] { "rnn.weight_ih_l0", "rnn.weight_hh_l0", "head.weight", "head.bias" }));

        string csv = WriteCsv("new.csv", "0.9,0.4,1,0.1,0,0.5,1,0.3,0\n0.7,0.2,1,0.9,0,0.5,1\n");
        string predictions = Path.Combine(_dir, "p.csv");
        (code, output) = Run("predict", "--model", model, "--data", csv, "--output", predictions);
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("2 sequences: mse"));
        string[] lines = File.ReadAllLines(predictions);
        Assert.That(lines, Has.Length.EqualTo(3));
        Assert.That(lines[0], Is.EqualTo("index,prediction,label,value"));
        foreach (string line in lines[1..])
        {
            string[] cells = line.Split(',');
            float value = float.Parse(cells[3], System.Globalization.CultureInfo.InvariantCulture);
            Assert.That(value.ToString("F4", System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(cells[1]), "the value is the prediction in full precision");
        }
        (code, output) = Run("predict", "--model", model, "--count", "50");
        Assert.That(code, Is.Zero, output);
        (code, output) = Run("predict", "--model", csv);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(output, Does.Contain("not a valid safetensors file"));

        // Models that are not quite curnn models.
        string Variant(string name, Action<CuRnn.Weights.SafeTensorsWriter, CuRnn.Weights.SafeTensorsFile> build)
        {
            using var source = CuRnn.Weights.SafeTensorsFile.Open(model);
            var w = new CuRnn.Weights.SafeTensorsWriter();
            build(w, source);
            string path = Path.Combine(_dir, name);
            w.Save(path);
            return path;
        }
        void Copy(CuRnn.Weights.SafeTensorsWriter w, CuRnn.Weights.SafeTensorsFile f, string skip = "", string metaKey = "", string metaValue = "")
        {
            foreach (var t in f.Tensors.Where(t => t.Name != skip)) w.Add<float>(t.Name, t.Shape, f.Read<float>(t.Name));
            foreach (var (k, v) in f.Metadata) w.Metadata[k] = k.EndsWith(metaKey, StringComparison.Ordinal) && metaKey.Length > 0 ? metaValue : v;
        }
        foreach (var (file, fragment) in new[]
        {
            (Variant("nohead.st", (w, f) => Copy(w, f, skip: "head.weight")), "has no 'head.weight'"),
            (Variant("outputs.st", (w, f) => Copy(w, f, metaKey: "outputs", metaValue: "-1")), "outputs' metadata is '-1'"),
            (Variant("features.st", (w, f) => Copy(w, f, metaKey: "features", metaValue: "0")), "features' metadata is '0'"),
            (Variant("shape.st", (w, f) =>
            {
                foreach (var t in f.Tensors.Where(t => t.Name != "head.weight")) w.Add<float>(t.Name, t.Shape, f.Read<float>(t.Name));
                foreach (var (k, v) in f.Metadata) w.Metadata[k] = v;
                w.Add<float>("head.weight", [1, 3], new float[3]);
            }), "'head.weight' is [1, 3]"),
        })
        {
            var (c, o, e) = RunSeparately("predict", "--model", file, "--data", csv);
            Assert.That(c, Is.EqualTo(2), e);
            Assert.That(e, Does.Contain(fragment));
            Assert.That(e.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1));
        }
    }

    [Test]
    public void Predict_output_has_each_sequences_class_probabilities()
    {
        string model = Path.Combine(_dir, "order.safetensors");
        SmallModel(model);
        string predictions = Path.Combine(_dir, "p.csv");
        var (code, output) = Run("predict", "--model", model, "--count", "40", "--min-length", "10", "--max-length", "12", "--seed", Environment.TickCount.ToString(), "--output", predictions);
        Assert.That(code, Is.Zero, output);
        string[] lines = File.ReadAllLines(predictions);
        Assert.That(lines[0], Is.EqualTo("index,prediction,label,p_0,p_1,p_2,p_3"));
        Assert.That(lines, Has.Length.EqualTo(41));
        foreach (string line in lines[1..])
        {
            string[] cells = line.Split(',');
            double[] p = [.. cells[3..].Select(c => double.Parse(c, System.Globalization.CultureInfo.InvariantCulture))];
            Assert.That(p.Sum(), Is.EqualTo(1).Within(1e-5), line);
            Assert.That(p, Has.All.InRange(0.0, 1.0), line);
            Assert.That(Array.IndexOf(p, p.Max()).ToString(), Is.EqualTo(cells[1]), "the prediction is the most probable class");
        }
    }

    /// <summary>Bad inputs of every kind: exit code 2 (usage, data) or 1 (run time), one line on stderr naming the
    /// input, no stack trace, and no file left where the command would have written.</summary>
    [TestCase(2, "--epochs must be an integer >= 1; actual 'many'", "train", "--epochs", "many")]
    [TestCase(2, "--hidden must be an integer in 1..4096; actual '99999999999'", "train", "--hidden", "99999999999")]
    [TestCase(2, "--lr must be a number in (0, 1]; actual 'fast'", "train", "--lr", "fast")]
    [TestCase(2, "--threads must be an integer in 0..256; actual '-3'", "train", "--threads", "-3")]
    [TestCase(2, "--seed must be an integer", "train", "--seed", "1.5")]
    [TestCase(2, "--save: '{dir}' is a folder", "train", "--save", "{dir}")]
    [TestCase(2, "--save: the folder '{dir}/missing' does not exist", "train", "--save", "{dir}/missing/m.safetensors")]
    [TestCase(2, "--output: the folder '{dir}/missing' does not exist", "predict", "--model", "{dir}/m.safetensors", "--output", "{dir}/missing/p.csv")]
    [TestCase(2, "--report: '{dir}' is a folder", "info", "--report", "{dir}")]
    [TestCase(2, "--data: '{dir}' is a folder", "train", "--data", "{dir}")]
    [TestCase(2, "too few to hold out", "train", "--data", "{dir}/one.csv", "--objective", "regress")]
    [TestCase(2, "sequence 1 has the label 9", "predict", "--model", "{dir}/m.safetensors", "--data", "{dir}/label9.csv")]
    [TestCase(2, "--steps × --batch", "bench", "--steps", "100000", "--batch", "100000", "--input", "1000", "--hidden", "10")]
    [TestCase(2, "--steps must be a positive integer; actual 'x'", "bench", "--steps", "x", "--batch", "1", "--input", "1", "--hidden", "1")]
    [TestCase(2, "--threads must be integers in 0..256", "bench", "--threads", "1,two")]
    [TestCase(1, "the Cudnn engine cannot run here", "train", "--backend", "cudnn", "--save", "{dir}/never.safetensors")]
    public void Bad_inputs_get_one_line_on_stderr_and_leave_no_file(int expectedCode, string fragment, params string[] args)
    {
        Assume.That(expectedCode != 1 || BackendSelection.Choose(RnnBackend.Auto).Chosen != RnnBackend.Cudnn, "needs a machine without cuDNN");
        File.WriteAllText(Path.Combine(_dir, "one.csv"), "0.5,1,2\n");
        File.WriteAllText(Path.Combine(_dir, "label9.csv"), "9,1,0,0,0,0,0\n");
        SmallModel(Path.Combine(_dir, "m.safetensors"));
        var before = Directory.GetFileSystemEntries(_dir, "*", SearchOption.AllDirectories).ToHashSet();
        var (code, output, error) = RunSeparately(args.Select(a => a.Replace("{dir}", _dir)).ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(code, Is.EqualTo(expectedCode), error);
            Assert.That(error, Does.Contain(fragment.Replace("{dir}", _dir)));
            Assert.That(error.TrimEnd('\n').Split('\n'), Has.Length.EqualTo(1), "one line");
            Assert.That(error, Does.Not.Contain("   at "), "no stack trace");
            Assert.That(Directory.GetFileSystemEntries(_dir, "*", SearchOption.AllDirectories), Is.EquivalentTo(before), "no file left behind");
        });
    }

    [Test]
    public void A_garbage_backend_variable_is_one_line_and_verbose_adds_the_details()
    {
        string? old = Environment.GetEnvironmentVariable(BackendSelection.EnvironmentVariable);
        Environment.SetEnvironmentVariable(BackendSelection.EnvironmentVariable, "quantum");
        try
        {
            var (code, _, error) = RunSeparately("info");
            Assert.That(code, Is.EqualTo(2));
            Assert.That(error.Trim(), Is.EqualTo("curnn info: CURNN_BACKEND must be auto, managed or cudnn; actual 'quantum'."));
        }
        finally { Environment.SetEnvironmentVariable(BackendSelection.EnvironmentVariable, old); }
        if (BackendSelection.Choose(RnnBackend.Auto).Chosen == RnnBackend.Cudnn) return;
        var (c, _, e) = RunSeparately("train", "--backend", "cudnn", "--verbose");
        Assert.That(c, Is.EqualTo(1));
        Assert.That(e, Does.Contain("libcuda"), "the probe report under --verbose");
    }

    // A tiny classification model (4 classes of the temporal-order task's alphabet), saved where the table expects it.
    private static void SmallModel(string path)
    {
        var (code, output) = Run("train", "--count", "200", "--epochs", "1", "--hidden", "4", "--save", path, "--backend", "managed", "--min-length", "10", "--max-length", "12");
        Assert.That(code, Is.Zero, output);
    }

    [Test]
    public void Train_on_a_csv_file_reports_a_bad_value_in_one_line()
    {
        string csv = WriteCsv("d.csv", "1,0.5,1\n0,0.5,oops\n");
        var (code, _, error) = RunSeparately("train", "--data", csv, "--features", "1");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(error.Trim(), Is.EqualTo($"curnn train: {csv}:2: column 3: 'oops' is not a finite number."));
    }

    [Test]
    public void Ctrl_c_stops_between_batches_and_says_so()
    {
        using var cancel = new CancellationTokenSource();
        cancel.Cancel();
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, Interactive = InteractionSupport.No, Out = new AnsiConsoleOutput(writer) });
        console.Profile.Width = 240;
        var request = new TrainRequest(new AddingTask(), null, 1, Objective.Regress,
            new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 1, HiddenSize = 8, Backend = RnnBackend.Managed },
            new TrainSettings(5, 16, 0.01f, 1, 0.04f, 1), 200, 10, 20, 0.1, Path.Combine(_dir, "never.safetensors"));
        int code = TrainRun.Execute(request, console, cancel.Token);
        Assert.That(code, Is.EqualTo(130));
        Assert.That(writer.ToString(), Does.Contain("stopped by Ctrl+C after 0 complete epoch(s)"));
        Assert.That(File.Exists(request.SavePath), Is.False, "nothing trained, nothing saved");
    }

    [Test]
    public void Check_passes_on_this_machine()
    {
        string report = Path.Combine(_dir, "check.md");
        var (code, output) = Run("check", "--format", "markdown", "--report", report);
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain("managed gradients vs finite differences").And.Contain("| pass |").And.Not.Contain("FAIL"));
        Assert.That(File.ReadAllText(report), Is.EqualTo(output.Replace("\r\n", "\n")).Or.EqualTo(output));
    }

    /// <summary>On a terminal the reports are tables like train's and predict's; --format markdown and --report give Markdown.</summary>
    [TestCase("info")]
    [TestCase("bench", "--engine", "managed", "--steps", "3", "--batch", "2", "--input", "4", "--hidden", "5", "--repetitions", "1")]
    public void Reports_print_as_tables_and_as_markdown(params string[] args)
    {
        string report = Path.Combine(_dir, "r.md");
        var (code, table) = Run([.. args, "--report", report]);
        Assert.That(code, Is.Zero, table);
        Assert.That(table, Does.Contain("╭").And.Contain("│"), "a rounded table on the terminal");
        Assert.That(table, Does.Not.Contain("|---"), "no Markdown on the terminal");
        string markdown = File.ReadAllText(report);
        Assert.That(markdown, Does.StartWith($"# curnn {args[0]}").And.Not.Contain("╭"));
        var (code2, printed) = Run([.. args, "--format", "markdown"]);
        Assert.That(code2, Is.Zero, printed);
        Assert.That(printed, Does.StartWith($"# curnn {args[0]}"));
        if (args[0] == "bench")
        {
            Assert.That(markdown, Does.Contain("| shape | call | threads | median ms |").And.Contain("|---|---|---:|---:|"));
            Assert.That(table, Does.Contain("median ms"));
        }
        else Assert.That(markdown, Does.Contain("- Auto picks:").And.Contain("Probe:"));
    }
}
