using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace CuRnn.Benchmarks;

/// <summary>Adds <see cref="GflopsColumn"/> to a benchmark class.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class GflopsColumnAttribute : Attribute, IConfigSource
{
    /// <summary>The config carrying the column.</summary>
    public IConfig Config { get; } = ManualConfig.CreateEmpty().AddColumn(new GflopsColumn());
}

/// <summary>Achieved GFLOP/s from the median: 2·T·B·(I+H)·G·H for a forward, 3× that for a training step.</summary>
public sealed class GflopsColumn : IColumn
{
    public string Id => nameof(GflopsColumn);
    public string ColumnName => "GFLOP/s";
    public bool AlwaysShow => true;
    public ColumnCategory Category => ColumnCategory.Custom;
    public int PriorityInCategory => 0;
    public bool IsNumeric => true;
    public UnitType UnitType => UnitType.Dimensionless;
    public string Legend => "Achieved GFLOP/s at the median (training steps count 3 forwards)";
    public bool IsAvailable(Summary summary) => true;
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var report = summary[benchmarkCase];
        if (report?.ResultStatistics is not { } stats) return "-";
        if (benchmarkCase.Parameters["Shape"] is not SuiteShape shape) return "-";
        string method = benchmarkCase.Descriptor.WorkloadMethod.Name;
        if (method == nameof(SuiteBenchmarks.OrtForward) && shape.Layers > 1) return "n/a";
        double flops = shape.ForwardFlops * (method.Contains("Train", StringComparison.Ordinal) ? 3 : 1);
        return (flops / stats.Median).ToString("F0");   // median in ns: FLOP/ns = GFLOP/s
    }
}
