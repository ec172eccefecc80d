using System.Diagnostics;
using System.Globalization;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Filters;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using CuRnn.Benchmarks;

// "suite short" (shape A, 2 threads: minutes), "suite full" (every shape, 1 and 2 threads) or "suite threads" (A, C, D,
// E at 1, 2, 4, 8, 16 threads) runs SuiteBenchmarks, times libtorch again in a child process with glibc keeping its
// buffers, and writes docs/benchmarks.md and its ratio chart; "chart" redraws the chart from the document; anything
// else goes to BenchmarkDotNet's switcher (e.g. --filter '*LstmBenchmarks*').
if (args.Length >= 1 && args[0] == "suite")
{
    string kind = args.Length >= 2 ? args[1] : "short";
    if (kind == "short")
    {
        Environment.SetEnvironmentVariable("CURNN_BENCH_SHAPES", "A");
        Environment.SetEnvironmentVariable("CURNN_BENCH_THREADS", "2");
    }
    else if (kind == "threads")
    {
        Environment.SetEnvironmentVariable("CURNN_BENCH_SHAPES", "A,C,D,E");
        Environment.SetEnvironmentVariable("CURNN_BENCH_THREADS", "1,2,4,8,16");
    }
    var summary = BenchmarkRunner.Run<SuiteBenchmarks>();
    var keptBuffers = TorchWithKeptBuffers();
    string root = FindRepositoryRoot();
    string command = kind switch { "full" => "./build.sh bench", "threads" => "./build.sh bench-threads", _ => "./build.sh bench-short" };
    // A full run narrowed by the environment says so in the report.
    if (kind == "full")
        foreach (string name in new[] { "CURNN_BENCH_THREADS", "CURNN_BENCH_SHAPES" })
            if (Environment.GetEnvironmentVariable(name) is { Length: > 0 } value) command = $"{name}={value} {command}";
    SuiteReport.Write(summary, keptBuffers, command, Path.Combine(root, "docs", kind == "threads" ? "benchmarks-threads.md" : "benchmarks.md"));
    if (kind != "threads") RatioChart.Write(Path.Combine(root, "docs", "benchmarks.md"), Path.Combine(root, "docs", "benchmark-ratios.png"));
    return;
}
if (args.Length >= 2 && args[0] == "suite-torch")
{
    // The child: libtorch's rows only, in this process's malloc mode, written to args[1].
    var config = ManualConfig.Create(DefaultConfig.Instance).AddFilter(new NameFilter(name => name.StartsWith("Torch", StringComparison.Ordinal)));
    var summary = BenchmarkRunner.Run<SuiteBenchmarks>(config);
    File.WriteAllLines(args[1], SuiteReport.Rows(summary).Select(r => string.Join('\t', r.Shape.Name, r.Threads, r.Method + "KeptBuffers",
        r.Median.ToString("R", CultureInfo.InvariantCulture), r.Allocated)));
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

// libtorch's rows timed again in a child process whose glibc keeps large buffers instead of returning them.
static List<SuiteReport.Row> TorchWithKeptBuffers()
{
    if (!MallocMode.IsGlibc) return [];
    string file = Path.GetTempFileName();
    string host = Environment.ProcessPath!, entry = typeof(Program).Assembly.Location;
    var psi = Path.GetFileNameWithoutExtension(host) == "dotnet"
        ? new ProcessStartInfo(host) { ArgumentList = { entry, "suite-torch", file } }
        : new ProcessStartInfo(host) { ArgumentList = { "suite-torch", file } };
    foreach (var (k, v) in MallocMode.KeepBuffers) psi.Environment[k] = v;
    using var child = Process.Start(psi)!;
    child.WaitForExit();
    if (child.ExitCode != 0) throw new InvalidOperationException($"the kept-buffers run of libtorch failed ({child.ExitCode}).");
    var byName = SuiteShape.All.ToDictionary(s => s.Name);
    var rows = File.ReadAllLines(file).Select(l => l.Split('\t')).Select(f => new SuiteReport.Row(byName[f[0]], int.Parse(f[1], CultureInfo.InvariantCulture),
        f[2], double.Parse(f[3], CultureInfo.InvariantCulture), long.Parse(f[4], CultureInfo.InvariantCulture))).ToList();
    File.Delete(file);
    return rows;
}

static string FindRepositoryRoot()
{
    var dir = new DirectoryInfo(AppContext.BaseDirectory);
    while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "CuRnn.sln"))) dir = dir.Parent;
    return dir?.FullName ?? Directory.GetCurrentDirectory();
}

/// <summary>Entry point type for BenchmarkDotNet's switcher.</summary>
public partial class Program;
