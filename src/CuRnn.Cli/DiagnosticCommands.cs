using System.Diagnostics;
using System.Globalization;
using System.Runtime.Intrinsics;
using CuRnn.Checks;
using CuRnn.Native;

namespace CuRnn.Cli;

/// <summary><c>curnn info</c>, <c>curnn check</c> and <c>curnn bench</c>: what runs here, whether it is right, how fast it is.</summary>
internal static class DiagnosticCommands
{
    public static int Run(string command, string[] args, TextWriter output)
    {
        string? report = null, shapeName = null;
        int repetitions = 20;
        for (int i = 0; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--report": report = Value(); break;
                case "--shape" when command == "bench": shapeName = Value(); break;
                case "--repetitions" when command == "bench":
                    string v = Value();
                    repetitions = int.TryParse(v, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : throw new ArgumentException($"--repetitions must be a positive integer; actual '{v}'");
                    break;
                default: throw new ArgumentException($"unknown option '{args[i]}' for {command} (see curnn --help)");
            }
        }
        var text = new StringWriter();
        int code = command switch
        {
            "info" => Info(text),
            "check" => Check(text),
            _ => Bench(text, shapeName, repetitions),
        };
        output.Write(text.ToString());
        if (report is not null) File.WriteAllText(report, text.ToString());
        return code;
    }

    private static int Info(TextWriter o)
    {
        o.WriteLine($"# curnn info ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        o.WriteLine();
        o.WriteLine($"- CPU: {Environment.ProcessorCount} threads; Vector512 {Vector512.IsHardwareAccelerated}, Vector256 {Vector256.IsHardwareAccelerated}; .NET {Environment.Version}");
        var probe = GpuProbe.Report;
        var selection = BackendSelection.Choose(RnnBackend.Auto);
        o.WriteLine($"- Auto picks: {selection.Chosen} ({selection.Reason})");
        if (probe.CudnnUsable)
        {
            using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 1, HiddenSize = 1, Backend = RnnBackend.Auto });
            o.WriteLine($"- Layer engine: {rnn.Backend} ({rnn.Selection.Reason})");
            if (rnn.DeviceMemory is { } m) o.WriteLine($"- Device memory: {m.TotalBytes / (1 << 20)} MiB");
            o.WriteLine($"- Device: {GpuInfo.DeviceName()}");
        }
        o.WriteLine();
        o.WriteLine("Probe:");
        foreach (string line in probe.Trace) o.WriteLine($"    {line}");
        return 0;
    }

    private static int Check(TextWriter o)
    {
        o.WriteLine($"# curnn check ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        o.WriteLine();
        int failed = 0, passed = 0;
        foreach (var (name, error) in ManagedSelfCheck.StaticEqualsDynamic())
        {
            bool ok = error < ManagedSelfCheck.Tolerance;
            (ok ? ref passed : ref failed)++;
            o.WriteLine($"- managed static == dynamic, {name}: {(ok ? "pass" : "FAIL")} ({error:E1})");
        }
        var selection = BackendSelection.Choose(RnnBackend.Auto);
        if (selection.Chosen != RnnBackend.Cudnn)
        {
            o.WriteLine($"- GPU parity: not run ({selection.Reason})");
        }
        else
        {
            o.WriteLine($"- GPU parity on {GpuInfo.DeviceName()}, cuDNN {GpuProbe.Report.CudnnVersion}, strict FP32 vs managed float64, limit {ParityRun.Tolerance:E0} (2E-002 for the TF32 and FP16 cases):");
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
                    o.WriteLine($"    {c.Name}: FAIL {e.GetType().Name}: {e.Message}");
                    continue;
                }
                worst = Math.Max(worst, result.MaxError);
                if (result.Passed) passed++; else failed++;
                o.WriteLine($"    {result}");
            }
            o.WriteLine($"- GPU parity: worst relative error {worst:E2} in {sw.Elapsed.TotalSeconds:F1} s");
            foreach (var mode in Enum.GetValues<ExecutionMode>())
            {
                int differ = ParityRun.SwapDifferences(new ParityCase(RnnCellKind.Lstm, 2, true, 0, SequenceLayout.SequenceMajor, mode, false), seed++);
                if (differ == 0) passed++; else failed++;
                o.WriteLine($"- swap on == swap off, bitwise, {mode}: {(differ == 0 ? "pass" : $"FAIL ({differ} elements differ)")}");
            }
        }
        o.WriteLine();
        o.WriteLine($"{passed} passed, {failed} failed");
        return failed == 0 ? 0 : 1;
    }

    private static int Bench(TextWriter o, string? shapeName, int repetitions)
    {
        var selection = BackendSelection.Choose(RnnBackend.Auto);
        if (selection.Chosen != RnnBackend.Cudnn)
        {
            o.WriteLine($"curnn bench measures the cuDNN engine; it cannot run here: {selection.Reason}. The managed engine's harness is ./build.sh bench.");
            return 1;
        }
        var shapes = shapeName is null ? BenchShape.Suite : BenchShape.Suite.Where(s => s.Name == shapeName).ToList();
        if (shapes.Count == 0) throw new ArgumentException($"--shape must be one of {string.Join(", ", BenchShape.Suite.Select(s => s.Name))}; actual '{shapeName}'");
        o.WriteLine($"# curnn bench on {GpuInfo.DeviceName()}, cuDNN {GpuProbe.Report.CudnnVersion}, strict FP32 ({DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC)");
        o.WriteLine();
        o.WriteLine("| shape | call | swap | median ms | GFLOP/s | peak device MiB (layer) | peak device MiB (driver, all users) |");
        o.WriteLine("|---|---|---|---:|---:|---:|---:|");
        foreach (var shape in shapes)
        {
            try
            {
                foreach (var row in GpuBenchmark.Run(shape, repetitions))
                    o.WriteLine($"| {shape} | {row.What} | {(row.Swap ? "on" : "off")} | {row.MedianMs:F3} | {row.Gflops:F0} | {row.PeakDeviceBytes / 1048576.0:F1} | {row.PeakDriverUsedBytes / 1048576.0:F0} |");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                o.WriteLine($"| {shape} | failed: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")} | | | | | |");
            }
        }
        return 0;
    }
}
