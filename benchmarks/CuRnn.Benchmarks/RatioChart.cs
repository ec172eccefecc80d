using System.Globalization;
using System.Text.RegularExpressions;

namespace CuRnn.Benchmarks;

/// <summary>
/// The PNG chart of the suite's ratios (best peer / CuRnn, dynamic mode, 2 threads; forward and training step per
/// shape) with the targets drawn in, read back from the tables in <c>docs/benchmarks.md</c> so it always shows what
/// the document says.
/// </summary>
internal static partial class RatioChart
{
    [GeneratedRegex(@"^### (?<shape>[^:]+): .*, (?<threads>\d+) thread\(s\)$")]
    private static partial Regex Section();

    [GeneratedRegex(@"^\| (?<call>CuRnn(Forward|Train)Dynamic) \| [^|]+ \| [^|]+ \| (?<ratio>[0-9.]+) \|")]
    private static partial Regex Row();

    /// <summary>(shape, forward ratio, training ratio) for each shape measured with <paramref name="threads"/> threads.</summary>
    public static List<(string Shape, double Forward, double Train)> Read(string markdown, int threads = 2)
    {
        var result = new List<(string, double, double)>();
        string? shape = null;
        double forward = double.NaN, train = double.NaN;
        void Flush() { if (shape is not null && (!double.IsNaN(forward) || !double.IsNaN(train))) result.Add((shape, forward, train)); }
        foreach (string line in markdown.Split('\n').Select(l => l.TrimEnd('\r')))
        {
            var s = Section().Match(line);
            if (s.Success)
            {
                Flush();
                shape = int.Parse(s.Groups["threads"].Value, CultureInfo.InvariantCulture) == threads ? s.Groups["shape"].Value : null;
                forward = train = double.NaN;
                continue;
            }
            var r = Row().Match(line);
            if (!r.Success || shape is null) continue;
            double ratio = double.Parse(r.Groups["ratio"].Value, CultureInfo.InvariantCulture);
            if (r.Groups["call"].Value.Contains("Forward", StringComparison.Ordinal)) forward = ratio; else train = ratio;
        }
        Flush();
        return result;
    }

    /// <summary>Draws the ratios of <paramref name="markdownPath"/> into <paramref name="pngPath"/>.</summary>
    public static void Write(string markdownPath, string pngPath)
    {
        var rows = Read(File.ReadAllText(markdownPath));
        if (rows.Count == 0) throw new InvalidDataException($"{markdownPath} has no suite tables at 2 threads to chart.");
        var plot = new ScottPlot.Plot();
        var bars = new List<ScottPlot.Bar>();
        var forwardColor = ScottPlot.Colors.SteelBlue;
        var trainColor = ScottPlot.Colors.DarkOrange;
        for (int i = 0; i < rows.Count; i++)
        {
            if (!double.IsNaN(rows[i].Forward)) bars.Add(new ScottPlot.Bar { Position = 3 * i, Value = rows[i].Forward, FillColor = forwardColor });
            if (!double.IsNaN(rows[i].Train)) bars.Add(new ScottPlot.Bar { Position = 3 * i + 1, Value = rows[i].Train, FillColor = trainColor });
        }
        plot.Add.Bars(bars);
        var forwardTarget = plot.Add.HorizontalLine(1.1, 1, forwardColor, ScottPlot.LinePattern.Dashed);
        forwardTarget.LegendText = "forward target (1.1)";
        var trainTarget = plot.Add.HorizontalLine(1.0, 1, trainColor, ScottPlot.LinePattern.Dashed);
        trainTarget.LegendText = "training target vs libtorch, equal work (1.0)";
        plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = "forward: best peer / CuRnn", FillColor = forwardColor });
        plot.Legend.ManualItems.Add(new ScottPlot.LegendItem { LabelText = "training step: libtorch / CuRnn", FillColor = trainColor });
        plot.Legend.IsVisible = true;
        plot.Legend.Alignment = ScottPlot.Alignment.UpperLeft;
        plot.Axes.Bottom.SetTicks(rows.Select((_, i) => 3.0 * i + 0.5).ToArray(), rows.Select(r => r.Shape).ToArray());
        plot.Axes.Margins(bottom: 0);
        plot.Title("CuRnn managed engine vs libtorch and ONNX Runtime (2 threads, dynamic mode; above 1 = CuRnn faster)");
        plot.YLabel("ratio of medians");
        plot.SavePng(pngPath, 1200, 520);
        Console.WriteLine($"// chart written to {pngPath}");
    }
}
