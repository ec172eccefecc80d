using BenchmarkDotNet.Running;
using CuRnn.Benchmarks;

// "suite short" (shape A, 2 threads: minutes) or "suite full" (every shape, 1 and 2 threads) runs SuiteBenchmarks
// and writes docs/benchmarks.md and its ratio chart; "chart" redraws the chart from the document; anything else goes to BenchmarkDotNet's switcher (e.g. --filter '*LstmBenchmarks*').
if (args.Length >= 1 && args[0] == "suite")
{
    bool full = args.Length >= 2 && args[1] == "full";
    if (!full)
    {
        Environment.SetEnvironmentVariable("CURNN_BENCH_SHAPES", "A");
        Environment.SetEnvironmentVariable("CURNN_BENCH_THREADS", "2");
    }
    var summary = BenchmarkRunner.Run<SuiteBenchmarks>();
    string root = FindRepositoryRoot();
    SuiteReport.Write(summary, full ? "./build.sh bench" : "./build.sh bench-short", Path.Combine(root, "docs", "benchmarks.md"));
    RatioChart.Write(Path.Combine(root, "docs", "benchmarks.md"), Path.Combine(root, "docs", "benchmark-ratios.png"));
    return;
}
if (args.Length >= 1 && args[0] == "chart")
{
    // Redraws the chart from the tables already in docs/benchmarks.md.
    string root = FindRepositoryRoot();
    RatioChart.Write(Path.Combine(root, "docs", "benchmarks.md"), Path.Combine(root, "docs", "benchmark-ratios.png"));
    return;
}
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);

static string FindRepositoryRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CuRnn.sln"))) dir = dir.Parent;
    return dir?.FullName ?? Directory.GetCurrentDirectory();
}

/// <summary>Entry point type for BenchmarkDotNet's switcher.</summary>
public partial class Program;
