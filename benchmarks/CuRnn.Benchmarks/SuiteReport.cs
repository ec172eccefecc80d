using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Reports;

namespace CuRnn.Benchmarks;

/// <summary>Writes a suite run into <c>docs/benchmarks.md</c> (between its suite markers): one table per shape and thread count.</summary>
internal static class SuiteReport
{
    private const string Begin = "<!-- suite:begin -->", End = "<!-- suite:end -->";

    public static void Write(Summary summary, string command, string docsPath)
    {
        var rows = summary.Reports
            .Where(r => r.ResultStatistics is not null)
            .Select(r => (Shape: (SuiteShape)r.BenchmarkCase.Parameters["Shape"], Threads: (int)r.BenchmarkCase.Parameters["Threads"],
                Method: r.BenchmarkCase.Descriptor.WorkloadMethod.Name, Median: r.ResultStatistics!.Median / 1e6,
                Allocated: r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase) ?? 0))
            .Where(r => !(r.Method == nameof(SuiteBenchmarks.OrtForward) && r.Shape.Layers > 1))
            .ToList();
        var sb = new StringBuilder();
        sb.AppendLine(Begin);
        sb.AppendLine($"## Suite: CuRnn (managed) beside libtorch and ONNX Runtime");
        sb.AppendLine();
        sb.AppendLine($"Command: `{command}`. Run {DateTime.UtcNow:yyyy-MM-dd}: {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, " +
                      $".NET {Environment.Version}, BenchmarkDotNet (in-process, 2 warm-up, 8 measured iterations), TorchSharp 0.107 / libtorch 2.10 CPU, ONNX Runtime 1.31.");
        sb.AppendLine("Ratio = best peer's median / CuRnn's median for the same kind of call (forward: libtorch no-grad or ONNX Runtime; training step: libtorch forward + backward); above 1 means CuRnn is faster.");
        sb.AppendLine();
        foreach (var group in rows.GroupBy(r => (r.Shape.Name, r.Threads)))
        {
            var shape = group.First().Shape;
            double peerForward = group.Where(r => r.Method is nameof(SuiteBenchmarks.TorchForward) or nameof(SuiteBenchmarks.OrtForward)).Select(r => r.Median).DefaultIfEmpty(double.NaN).Min();
            double peerTrain = group.Where(r => r.Method == nameof(SuiteBenchmarks.TorchTrain)).Select(r => r.Median).DefaultIfEmpty(double.NaN).Min();
            sb.AppendLine($"### {shape.Name}: {shape.Cell} T={shape.Steps} B={shape.Batch} I={shape.Input} H={shape.Hidden} L={shape.Layers}" +
                          $"{(shape.Bidirectional ? " bidirectional" : "")}{(shape.MixedLengths ? " lengths 1..T" : "")}, {group.Key.Threads} thread(s)");
            sb.AppendLine();
            sb.AppendLine("| call | median ms | GFLOP/s | ratio to best peer | allocated B/op |");
            sb.AppendLine("|---|---:|---:|---:|---:|");
            foreach (var r in group)
            {
                bool train = r.Method.Contains("Train", StringComparison.Ordinal);
                double gflops = shape.ForwardFlops * (train ? 3 : 1) / (r.Median * 1e6);
                string ratio = r.Method.StartsWith("CuRnn", StringComparison.Ordinal)
                    ? ((train ? peerTrain : peerForward) / r.Median).ToString("F2", CultureInfo.InvariantCulture) : "";
                sb.AppendLine($"| {r.Method} | {r.Median.ToString("F3", CultureInfo.InvariantCulture)} | {gflops:F0} | {ratio} | {r.Allocated} |");
            }
            sb.AppendLine();
        }
        sb.AppendLine(End);

        string text = File.Exists(docsPath) ? File.ReadAllText(docsPath) : "# Benchmarks\n";
        int b = text.IndexOf(Begin, StringComparison.Ordinal), e = text.IndexOf(End, StringComparison.Ordinal);
        text = b >= 0 && e > b ? text[..b] + sb + text[(e + End.Length)..].TrimStart('\n') : text.TrimEnd() + "\n\n" + sb;
        File.WriteAllText(docsPath, text);
        Console.WriteLine($"// suite written to {docsPath}");
    }
}
