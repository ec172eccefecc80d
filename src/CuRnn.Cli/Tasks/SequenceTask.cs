using CuRnn.Cli.Data;

namespace CuRnn.Cli.Tasks;

/// <summary>A built-in learning problem whose data is generated deterministically from a seed.</summary>
internal abstract class SequenceTask
{
    public abstract string Name { get; }
    public abstract string Description { get; }
    public abstract int Features { get; }
    public abstract Objective Objective { get; }
    public abstract int Classes { get; }
    /// <summary>What a model that learned nothing scores (chance accuracy, or the MSE of predicting the mean).</summary>
    public abstract string Baseline { get; }

    /// <summary><paramref name="count"/> sequences with lengths in [<paramref name="minLength"/>, <paramref name="maxLength"/>].</summary>
    public abstract SequenceDataset Generate(int count, int minLength, int maxLength, int seed);

    public static IReadOnlyList<SequenceTask> All { get; } = [new TemporalOrderTask(), new AddingTask()];

    public static SequenceTask? Find(string name) => All.FirstOrDefault(t => t.Name == name);
}
