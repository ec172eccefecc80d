namespace CuRnn.Cli.Data;

/// <summary>What the model predicts from a sequence.</summary>
internal enum Objective
{
    /// <summary>One of N classes, softmax cross-entropy, scored by accuracy.</summary>
    Classify,
    /// <summary>One number, mean squared error, scored by the fraction within a tolerance.</summary>
    Regress,
}

/// <summary>Variable-length sequences of <see cref="Features"/> values per step, each with one target.</summary>
internal sealed class SequenceDataset(int features, Objective objective, int classes)
{
    private readonly List<float[]> _values = [];
    private readonly List<float> _targets = [];

    public int Features { get; } = features;
    public Objective Objective { get; } = objective;
    /// <summary>Classes (classification) or 1 (regression): the head's outputs.</summary>
    public int Outputs => Objective == Objective.Classify ? Classes : 1;
    public int Classes { get; private set; } = classes;
    public int Count => _values.Count;
    public int MaxLength { get; private set; }

    /// <summary>Adds one sequence ([length, features] row-major) and its target (a class index or a number).</summary>
    public void Add(float[] values, float target)
    {
        if (values.Length == 0 || values.Length % Features != 0)
            throw new ArgumentException($"a sequence needs a positive multiple of {Features} values; actual {values.Length}");
        _values.Add(values);
        _targets.Add(target);
        MaxLength = Math.Max(MaxLength, values.Length / Features);
        if (Objective == Objective.Classify) Classes = Math.Max(Classes, (int)target + 1);
    }

    public int Length(int i) => _values[i].Length / Features;
    public ReadOnlySpan<float> Values(int i) => _values[i];
    public float Target(int i) => _targets[i];

    /// <summary>Splits off the last <paramref name="fraction"/> of the sequences as a held-out set.</summary>
    public (SequenceDataset Train, SequenceDataset Held) Split(double fraction)
    {
        int held = Math.Max(1, (int)Math.Round(Count * fraction));
        if (held >= Count) throw new ArgumentException($"{Count} sequences are too few to hold out {fraction:P0} and still train");
        var a = new SequenceDataset(Features, Objective, Classes);
        var b = new SequenceDataset(Features, Objective, Classes);
        for (int i = 0; i < Count; i++) (i < Count - held ? a : b).Add(_values[i], _targets[i]);
        a.Classes = b.Classes = Classes;
        return (a, b);
    }
}
