using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using BenchmarkDotNet.Reports;

namespace CuRnn.Benchmarks;

/// <summary>Writes a suite run into <c>docs/benchmarks.md</c> (between its suite markers): one table per shape and thread count.</summary>
internal static class SuiteReport
{
    private const string Begin = "<!-- suite:begin -->", End = "<!-- suite:end -->";

    /// <summary>One timed call of the suite.</summary>
    public sealed record Row(SuiteShape Shape, int Threads, string Method, double Median, long Allocated);

    /// <summary>The rows of a run (medians in ms).</summary>
    public static List<Row> Rows(Summary summary) => summary.Reports
        .Where(r => r.ResultStatistics is not null)
        .Select(r => new Row((SuiteShape)r.BenchmarkCase.Parameters["Shape"], (int)r.BenchmarkCase.Parameters["Threads"],
            r.BenchmarkCase.Descriptor.WorkloadMethod.Name, r.ResultStatistics!.Median / 1e6, r.GcStats.GetBytesAllocatedPerOperation(r.BenchmarkCase) ?? 0))
        .Where(r => !(r.Method == nameof(SuiteBenchmarks.OrtForward) && r.Shape.Layers > 1))
        .ToList();

    public static void Write(Summary summary, IReadOnlyList<Row> keptBuffers, string command, string docsPath)
    {
        var rows = Rows(summary).Concat(keptBuffers).OrderBy(r => SuiteShape.All.ToList().IndexOf(r.Shape)).ThenBy(r => r.Threads).ToList();
        var sb = new StringBuilder();
        sb.AppendLine(Begin);
        sb.AppendLine($"## Suite: CuRnn (managed) beside libtorch and ONNX Runtime");
        sb.AppendLine();
        sb.AppendLine($"Command: `{command}`. Run {DateTime.UtcNow:yyyy-MM-dd}: {RuntimeInformation.OSDescription}, {Environment.ProcessorCount} cores, " +
                      $".NET {Environment.Version}, BenchmarkDotNet (in-process, 2 warm-up, 8 measured iterations), TorchSharp 0.107 / libtorch 2.10 CPU, ONNX Runtime 1.31.");
        sb.AppendLine("Ratio = best peer's median / CuRnn's median for the same kind of call (forward: libtorch no-grad or ONNX Runtime; training step: " +
                      "forward + backward with weight gradients and dx on both sides); above 1 means CuRnn is faster. libtorch runs twice: in this process " +
                      "(glibc's default, which returns large buffers to the kernel after each call) and, as `…KeptBuffers`, in a child process with " +
                      "`MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=16 GiB`; the ratio takes the better of the two.");
        var threadCounts = rows.Select(r => r.Threads).Distinct().OrderBy(t => t).ToList();
        sb.AppendLine("FMA peak measured in this process (single precision, 12 independent FMA chains per thread): " +
                      string.Join(", ", threadCounts.Select(t => $"{FmaPeak.Gflops(t):F0} GFLOP/s with {t} thread(s)")) + "; `% peak` = GFLOP/s / that.");
        sb.AppendLine();
        foreach (var group in rows.GroupBy(r => (r.Shape.Name, r.Threads)))
        {
            var shape = group.First().Shape;
            double peerForward = group.Where(r => r.Method.StartsWith(nameof(SuiteBenchmarks.TorchForward), StringComparison.Ordinal) || r.Method == nameof(SuiteBenchmarks.OrtForward))
                .Select(r => r.Median).DefaultIfEmpty(double.NaN).Min();
            double peerTrain = group.Where(r => r.Method.StartsWith(nameof(SuiteBenchmarks.TorchTrain), StringComparison.Ordinal)).Select(r => r.Median).DefaultIfEmpty(double.NaN).Min();
            double peak = FmaPeak.Gflops(group.Key.Threads);
            sb.AppendLine($"### {shape.Name}: {shape.Cell} T={shape.Steps} B={shape.Batch} I={shape.Input} H={shape.Hidden} L={shape.Layers}" +
                          $"{(shape.Bidirectional ? " bidirectional" : "")}{(shape.MixedLengths ? " lengths 1..T" : "")}, {group.Key.Threads} thread(s)");
            sb.AppendLine();
            sb.AppendLine("| call | median ms | GFLOP/s | ratio to best peer | % peak | allocated B/op |");
            sb.AppendLine("|---|---:|---:|---:|---:|---:|");
            foreach (var r in group)
            {
                bool train = r.Method.Contains("Train", StringComparison.Ordinal);
                double gflops = shape.ForwardFlops * (train ? 3 : 1) / (r.Median * 1e6);
                string ratio = r.Method.StartsWith("CuRnn", StringComparison.Ordinal)
                    ? ((train ? peerTrain : peerForward) / r.Median).ToString("F2", CultureInfo.InvariantCulture) : "";
                sb.AppendLine($"| {r.Method} | {r.Median.ToString("F3", CultureInfo.InvariantCulture)} | {gflops:F0} | {ratio} | {100 * gflops / peak:F0} | {r.Allocated} |");
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
