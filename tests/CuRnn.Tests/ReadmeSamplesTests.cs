using System.Text.RegularExpressions;

namespace CuRnn.Tests;

/// <summary>
/// The README's code cannot rot: every C# block marked <c>&lt;!-- sample: samples/X/Program.cs --&gt;</c> is a
/// contiguous excerpt of that sample, line for line, and every sample is in the solution, so CI builds and runs it.
/// </summary>
public sealed partial class ReadmeSamplesTests
{
    private static readonly string Root = FindRoot();

    public static IEnumerable<TestCaseData> MarkedBlocks()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        foreach (Match m in MarkedBlock().Matches(readme))
        {
            int line = readme[..m.Index].Count(c => c == '\n') + 1;
            yield return new TestCaseData(m.Groups["path"].Value, m.Groups["code"].Value).SetName($"README line {line}: {m.Groups["path"].Value}");
        }
    }

    [Test]
    public void TheReadmeMarksSampleCode() =>
        Assert.That(MarkedBlocks().Count(), Is.GreaterThanOrEqualTo(4), "README.md: code blocks marked <!-- sample: ... -->");

    [TestCaseSource(nameof(MarkedBlocks))]
    public void BlockIsAnExcerptOfItsSample(string samplePath, string code)
    {
        string file = Path.Combine(Root, samplePath);
        Assert.That(File.Exists(file), Is.True, $"{samplePath} does not exist");
        string[] sample = Lines(File.ReadAllText(file));
        string[] block = Lines(code);
        Assert.That(block, Is.Not.Empty);
        int start = Array.FindIndex(sample, l => l == block[0]);
        while (start >= 0 && !sample.AsSpan(start).StartsWith(block))
            start = Array.FindIndex(sample, start + 1, l => l == block[0]);
        if (start < 0)
        {
            int longest = 0, at = -1;
            for (int i = 0; i < sample.Length; i++)
            {
                int n = 0;
                while (n < block.Length && i + n < sample.Length && sample[i + n] == block[n]) n++;
                if (n > longest) (longest, at) = (n, i);
            }
            Assert.Fail(at < 0
                ? $"the block's first line is not in {samplePath}: '{block[0]}'"
                : $"the block follows {samplePath} from line {at + 1} for {longest} lines, then has '{block[Math.Min(longest, block.Length - 1)]}' where the sample has '{(at + longest < sample.Length ? sample[at + longest] : "(end of file)")}'");
        }
    }

    [Test]
    public void EverySampleIsInTheSolution()
    {
        string solution = File.ReadAllText(Path.Combine(Root, "CuRnn.sln")).Replace('\\', '/');
        string[] projects = Directory.GetFiles(Path.Combine(Root, "samples"), "*.csproj", SearchOption.AllDirectories);
        Assert.That(projects, Is.Not.Empty);
        foreach (string project in projects)
            Assert.That(solution, Does.Contain(Path.GetRelativePath(Root, project).Replace('\\', '/')), "CuRnn.sln builds every sample");
    }

    private static string[] Lines(string text) => [.. text.Replace("\r", "").Trim('\n').Split('\n').Select(l => l.TrimEnd())];

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "CuRnn.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no CuRnn.sln above {AppContext.BaseDirectory}");
    }

    [GeneratedRegex(@"<!-- sample: (?<path>[^ ]+) -->\s*```csharp\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex MarkedBlock();
}
