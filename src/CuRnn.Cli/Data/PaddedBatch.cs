namespace CuRnn.Cli.Data;

/// <summary>
/// Reusable buffers for one mini-batch in batch-major padded layout [B, T, F], T the longest sequence of the batch;
/// sized once for the dataset's longest sequence and largest batch.
/// </summary>
internal sealed class PaddedBatch(int maxBatch, int maxLength, int features)
{
    private readonly float[] _x = new float[maxBatch * maxLength * features];
    private readonly int[] _lengths = new int[maxBatch];
    private readonly float[] _targets = new float[maxBatch];

    public int Size { get; private set; }
    public int Steps { get; private set; }
    public SequenceBatch Batch { get; private set; } = null!;
    public ReadOnlySpan<float> X => _x.AsSpan(0, Size * Steps * features);
    public ReadOnlySpan<float> Targets => _targets.AsSpan(0, Size);

    /// <summary>Gathers the sequences at <paramref name="indices"/> of <paramref name="data"/>.</summary>
    public void Fill(SequenceDataset data, ReadOnlySpan<int> indices)
    {
        Size = indices.Length;
        Steps = 0;
        foreach (int i in indices) Steps = Math.Max(Steps, data.Length(i));
        var x = _x.AsSpan(0, Size * Steps * features);
        x.Clear();
        for (int b = 0; b < Size; b++)
        {
            int i = indices[b];
            _lengths[b] = data.Length(i);
            _targets[b] = data.Target(i);
            data.Values(i).CopyTo(x.Slice(b * Steps * features));
        }
        Batch = SequenceBatch.Padded(SequenceLayout.BatchMajor, Steps, _lengths.AsSpan(0, Size).ToArray());
    }
}
