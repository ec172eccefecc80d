using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using CuRnn.Checks;
using CuRnn.Distributed;
using CuRnn.Distributed.Mpi;
using System.CommandLine;
using CuRnn.Native;
using Spectre.Console;

namespace CuRnn.Cli.Commands;

/// <summary><c>curnn info</c>, <c>curnn check</c> and <c>curnn bench</c>: what runs here, whether it is right, how fast it is.</summary>
internal static class DiagnosticCommands
{
    public static Command Info(IAnsiConsole console)
    {
        var report = ReportOption();
        var format = FormatOption();
        var command = new Command("info", "The backend probe: CPU features and threads, CUDA driver, device, cuDNN, and which engine Auto picks.") { report, format };
        command.SetAction(p => Emit(console, p.GetValue(report), p.GetValue(format)!, "curnn info", Info));
        return command;
    }

    public static Command Check(IAnsiConsole console)
    {
        var report = ReportOption();
        var format = FormatOption();
        var command = new Command("check", "Self-test: gradients against finite differences and static == dynamic on the managed engine; GPU vs managed parity where cuDNN runs. Exit 1 on any failure.") { report, format };
        command.SetAction(p => Emit(console, p.GetValue(report), p.GetValue(format)!, "curnn check", Check));
        return command;
    }

    public static Command Bench(IAnsiConsole console)
    {
        var report = ReportOption();
        var format = FormatOption();
        var shape = new Option<string>("--shape") { Description = $"a named shape ({string.Join(", ", BenchShape.Suite.Select(s => s.Name))}) or 'suite' for all", DefaultValueFactory = _ => "A" };
        shape.Validators.Add(r =>
        {
            string v = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "A";
            if (v != "suite" && BenchShape.Suite.All(s => s.Name != v)) r.AddError($"--shape must be one of {string.Join(", ", BenchShape.Suite.Select(s => s.Name))} or suite; actual '{v}'");
        });
        var steps = CliOptions.OptionalPositive("--steps", "T: a shape of your own (with --batch, --input, --hidden)");
        var batch = CliOptions.OptionalPositive("--batch", "B");
        var input = CliOptions.OptionalPositive("--input", "I");
        var hidden = CliOptions.OptionalPositive("--hidden", "H");
        var layers = CliOptions.Positive("--layers", 1, "L", 64);
        var cell = CliOptions.OneOf("--cell", "lstm", "recurrent cell", "lstm", "gru", "tanh", "relu");
        var bidirectional = new Option<bool>("--bidirectional") { Description = "two directions" };
        var engine = CliOptions.OneOf("--engine", "all", "engines to measure", "all", "managed", "cudnn");
        var repetitions = CliOptions.Positive("--repetitions", 10, "timed calls per row (median reported)", 10_000);
        var allReduce = new Option<bool>("--allreduce") { Description = "under mpirun: time the all-reduce of each shape's gradient buffer across the ranks instead" };
        var threads = new Option<string>("--threads") { Description = "the managed engine's thread budgets, comma-separated (0: the cores this process may use)", DefaultValueFactory = _ => "0" };
        threads.Validators.Add(r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "0";
            if (ThreadList(text) is null) r.AddError($"--threads must be integers in 0..256 separated by commas; actual '{text}'");
        });
        var command = new Command("bench", "Latency and peak memory of a shape on every available engine, static and dynamic, swap on and off where it applies.")
        {
            report, format, allReduce, shape, steps, batch, input, hidden, layers, cell, bidirectional, engine, repetitions, threads,
        };
        command.Validators.Add(r =>
        {
            int given = new[] { steps, batch, input, hidden }.Count(o => r.GetResult(o) is { Tokens.Count: > 0 });
            if (given is > 0 and < 4) r.AddError("a shape of your own needs all of --steps, --batch, --input and --hidden");
        });
        command.SetAction(p =>
        {
            if (p.GetValue(steps) is { } st)
            {
                int width = Math.Max(p.GetValue(input)!.Value, p.GetValue(hidden)!.Value * (p.GetValue(bidirectional) ? 2 : 1));
                CliSizes.Check("--steps × --batch × the widest row (--input, or --hidden × directions)", st, p.GetValue(batch)!.Value, width);
            }
            List<BenchShape> shapes = p.GetValue(steps) is { } t
                ? [new BenchShape("custom", t, p.GetValue(batch)!.Value, p.GetValue(input)!.Value, p.GetValue(hidden)!.Value, p.GetValue(layers),
                    CliOptions.Cell(p.GetValue(cell)!), p.GetValue(bidirectional))]
                : p.GetValue(shape) == "suite" ? [.. BenchShape.Suite] : [BenchShape.Suite.First(s => s.Name == p.GetValue(shape))];
            string which = p.GetValue(engine)!;
            var threadList = ThreadList(p.GetValue(threads)!)!;
            int reps = p.GetValue(repetitions);
            if (p.GetValue(allReduce)) return AllReduceBench(console, p.GetValue(report), p.GetValue(format)!, shapes, reps);
            return Emit(console, p.GetValue(report), p.GetValue(format)!, $"curnn bench", r => RunBench(r, shapes, which, reps, threadList), $"{reps} timed calls per row, median");
        });
        return command;
    }

    // "1,2,4" → [1, 2, 4]; null when any entry is not an integer in 0..256.
    private static int[]? ThreadList(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var list = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
            if (!int.TryParse(parts[i], out list[i]) || list[i] is < 0 or > 256) return null;
        return list;
    }

    private static Option<FileInfo?> ReportOption() => CliOptions.OutputFile("--report", "also write the report (Markdown) to this file");

    private static Option<string> FormatOption() => CliOptions.OneOf("--format", "table", "how to print the report", "table", "markdown");

    // Builds the report, prints it as tables or Markdown, and saves it as Markdown when asked.
    private static int Emit(IAnsiConsole console, FileInfo? file, string format, string title, Func<Report, int> build, string? about = null)
    {
        var report = new Report($"{title} ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC{(about is null ? "" : $", {about}")})");
        int code = build(report);
        var markdown = new StringWriter();
        report.WriteMarkdown(markdown);
        if (format == "markdown") console.Profile.Out.Writer.Write(markdown.ToString());
        else report.Render(console);
        if (file is not null) OutputFile.Write(file.FullName, w => w.Write(markdown.ToString()));
        return code;
    }

    private static int Info(Report r)
    {
        r.Fact($"CPU: {Environment.ProcessorCount} logical processors, {ManagedThreads.Available} this process may use (affinity and CPU quota): the managed engine's default threads; Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}, Vector<float> {System.Numerics.Vector<float>.Count} lanes; .NET {Environment.Version}");
        var probe = GpuProbe.Report;
        var selection = BackendSelection.Choose(RnnBackend.Auto);
        r.Fact($"Auto picks: {selection.Chosen} ({selection.Reason})");
        if (probe.CudnnUsable)
        {
            using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 1, HiddenSize = 1, Backend = RnnBackend.Auto });
            r.Fact($"Layer engine: {rnn.Backend} ({rnn.Selection.Reason})");
            if (rnn.DeviceMemory is { } m) r.Fact($"Device memory: {m.TotalBytes / (1 << 20)} MiB");
            r.Fact($"Device: {GpuInfo.DeviceName()}");
        }
        r.Lines("Probe", probe.Trace);
        return 0;
    }

    private static int Check(Report r)
    {
        int failed = 0, passed = 0;
        var table = r.Table("check", "result", "largest error>", "limit>");
        foreach (var (name, error) in GradientSelfCheck.Run())
        {
            bool ok = error < GradientSelfCheck.Tolerance;
            (ok ? ref passed : ref failed)++;
            table.Row($"managed gradients vs finite differences (float64), {name}", $"{(ok ? "pass" : "FAIL")}", $"{error:E1}", $"{GradientSelfCheck.Tolerance:E0}");
        }
        foreach (var (name, error) in ManagedSelfCheck.StaticEqualsDynamic())
        {
            bool ok = error < ManagedSelfCheck.Tolerance;
            (ok ? ref passed : ref failed)++;
            table.Row($"managed static == dynamic (float64), {name}", $"{(ok ? "pass" : "FAIL")}", $"{error:E1}", $"{ManagedSelfCheck.Tolerance:E0}");
        }
        SyncRows(RnnBackend.Managed, "managed");
        var selection = BackendSelection.Choose(RnnBackend.Auto);
        if (selection.Chosen != RnnBackend.Cudnn)
        {
            table.Row($"GPU vs managed parity", $"not run");
            r.Note($"GPU parity did not run: {selection.Reason}");
        }
        else
        {
            var sw = Stopwatch.StartNew();
            double worst = 0;
            int seed = Environment.TickCount;
            foreach (var c in ParityCases.All())
            {
                ParityResult result;
                try { result = ParityRun.Run(c, seed++); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    failed++;
                    table.Row($"GPU parity, {c.Name}", $"FAIL: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                    continue;
                }
                worst = Math.Max(worst, result.MaxError);
                if (result.Passed) passed++; else failed++;
                table.Row($"GPU parity, {c.Name}", $"{(result.Passed ? "pass" : "FAIL")}", $"{result.MaxError:E1}", $"{result.Tolerance:E0}");
            }
            SyncRows(RnnBackend.Cudnn, "cuDNN");
            try
            {
                double error = NcclSelfCheck.Run(seed++);
                bool ok = error < NcclSelfCheck.Tolerance;
                (ok ? ref passed : ref failed)++;
                table.Row("NCCL one rank: cuDNN device gradients averaged == host path", ok ? "pass" : "FAIL", $"{error:E1}", $"{NcclSelfCheck.Tolerance:E0}");
            }
            catch (DllNotFoundException e)
            {
                table.Row("NCCL one rank", "not run", e.Message.ReplaceLineEndings(" "));
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failed++;
                table.Row("NCCL one rank", $"FAIL: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            }
            foreach (var mode in Enum.GetValues<ExecutionMode>())
            {
                int differ;
                try { differ = ParityRun.SwapDifferences(new ParityCase(RnnCellKind.Lstm, 2, true, 0, SequenceLayout.SequenceMajor, mode, false), seed++); }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    failed++;
                    table.Row($"swap on == swap off, bitwise, {mode}", $"FAIL: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
                    continue;
                }
                if (differ == 0) passed++; else failed++;
                table.Row($"swap on == swap off, bitwise, {mode}", $"{(differ == 0 ? "pass" : "FAIL")}", $"{differ} elements differ", $"0");
            }
            r.Note($"GPU parity on {GpuInfo.DeviceName()}, cuDNN {GpuProbe.Report.CudnnVersion}: strict FP32 vs managed float64 (TF32 and FP16 cases against 2E-002); worst relative error {worst:E2} in {sw.Elapsed.TotalSeconds:F1} s.");
        }
        r.Note($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;

        // Writes to the parameters reach the engine's prepared copy, in each ParameterSync mode.
        void SyncRows(RnnBackend backend, string engine)
        {
            try
            {
                foreach (var (name, error) in ParameterSyncCheck.Run(backend, Environment.TickCount))
                {
                    bool ok = error < ParameterSyncCheck.Tolerance;
                    (ok ? ref passed : ref failed)++;
                    table.Row($"{engine} parameter sync, {name}", $"{(ok ? "pass" : "FAIL")}", $"{error:E1}", $"{ParameterSyncCheck.Tolerance:E0}");
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                failed++;
                table.Row($"{engine} parameter sync", $"FAIL: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
    }

    // Median time of one all-reduce (sum, in place) of each shape's flat gradient buffer over MPI_COMM_WORLD, with the
    // bus bandwidth it implies for a ring (2(N-1)/N of the bytes cross each rank's link); rank 0 reports.
    private static int AllReduceBench(IAnsiConsole console, FileInfo? file, string format, IReadOnlyList<BenchShape> shapes, int repetitions)
    {
        if (!MpiCommunicator.LaunchedByMpirun) throw new CliUsageException("--allreduce measures across MPI ranks: start it with mpirun -np N curnn bench --allreduce");
        using var world = MpiCommunicator.Start();
        return Emit(CliApp.ForRank(world.Rank, console), world.Rank == 0 ? file : null, format, "curnn bench --allreduce", r =>
        {
            r.Fact($"Ranks: {world.Size} ({world.Description}), float32 sum in place, median of {repetitions} after 3 warm-up calls");
            var table = r.Table("shape", "gradient values>", "MB>", "median ms>", "bus GB/s>");
            foreach (var shape in shapes)
            {
                long values;
                using (var rnn = new Rnn<float>(new RnnOptions { Cell = shape.Cell, InputSize = shape.Input, HiddenSize = shape.Hidden, NumLayers = shape.Layers, Bidirectional = shape.Bidirectional, Backend = RnnBackend.Managed }))
                    values = rnn.ParameterCount;
                var buffer = new float[values];
                Array.Fill(buffer, 1f / (world.Rank + 1));
                var times = new List<double>();
                for (int i = 0; i < repetitions + 3; i++)
                {
                    world.Barrier();
                    long start = Stopwatch.GetTimestamp();
                    world.AllReduce(buffer, ReduceOperation.Sum);
                    if (i >= 3) times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }
                times.Sort();
                double median = times[times.Count / 2], bytes = values * 4.0;
                table.Row($"{shape}", $"{values:N0}", $"{bytes / 1e6:F2}", $"{median:F3}", $"{2.0 * (world.Size - 1) / world.Size * bytes / (median * 1e6):F2}");
            }
            return 0;
        });
    }

    private static int RunBench(Report r, IReadOnlyList<BenchShape> shapes, string engine, int repetitions, int[] threads)
    {
        if (engine is "all" or "managed")
        {
            r.Heading($"Managed engine ({ManagedThreads.Available} cores available, Vector512 {Vector512.IsHardwareAccelerated}, .NET {Environment.Version})");
            var table = r.Table("shape", "call", "threads>", "median ms>", "GFLOP/s>", "planned host MiB>", "peak working set MiB>", "allocated B/call>");
            foreach (var shape in shapes)
                foreach (int t in threads)
                    foreach (var row in ManagedBenchmark.Run(shape, repetitions, t))
                        table.Row($"{shape}", row.What, $"{row.Threads}", $"{row.MedianMs:F2}", $"{row.Gflops:F0}", $"{row.PlannedHostBytes / 1048576.0:F1}",
                            $"{row.PeakWorkingSetBytes / 1048576.0:F0}", $"{row.AllocatedBytesPerCall}");
        }
        if (engine is "all" or "cudnn") return CudnnBench(r, shapes, repetitions, required: engine == "cudnn");
        return 0;
    }

    private static int CudnnBench(Report r, IReadOnlyList<BenchShape> shapes, int repetitions, bool required)
    {
        var selection = BackendSelection.Choose(RnnBackend.Auto);
        if (selection.Chosen != RnnBackend.Cudnn)
        {
            r.Note($"cuDNN engine: not measured, it cannot run here: {selection.Reason}");
            return required ? 1 : 0;
        }
        r.Heading($"cuDNN engine on {GpuInfo.DeviceName()}, cuDNN {GpuProbe.Report.CudnnVersion}, strict FP32 ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        var table = r.Table("shape", "call", "swap", "median ms>", "GFLOP/s>", "peak device MiB (layer)>", "peak device MiB (driver, all users)>");
        foreach (var shape in shapes)
        {
            try
            {
                foreach (var row in GpuBenchmark.Run(shape, repetitions))
                    table.Row($"{shape}", row.What, row.Swap ? "on" : "off", $"{row.MedianMs:F3}", $"{row.Gflops:F0}", $"{row.PeakDeviceBytes / 1048576.0:F1}",
                        $"{row.PeakDriverUsedBytes / 1048576.0:F0}");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                table.Row($"{shape}", $"failed: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}");
            }
        }
        return 0;
    }
}
