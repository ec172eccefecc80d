namespace CuRnn.Tests.Support;

/// <summary>
/// Test-side conversions between a sequence-major padded tensor [T, B, F] and the other layouts, written
/// independently of the engine's own packing so layout handling is checked against plain index arithmetic. Packed
/// rows take the sequences longest first, ties in the caller's order (pack_padded_sequence(enforce_sorted=False)).
/// </summary>
internal static class LayoutConvert
{
    public static T[] FromSequenceMajor<T>(T[] seqMajor, SequenceBatch batch, int features)
    {
        int steps = batch.MaxLength, b = batch.BatchSize;
        var lengths = batch.Lengths.ToArray();
        switch (batch.Layout)
        {
            case SequenceLayout.SequenceMajor: return (T[])seqMajor.Clone();
            case SequenceLayout.BatchMajor:
            {
                var r = new T[seqMajor.Length];
                for (int t = 0; t < steps; t++)
                    for (int s = 0; s < b; s++)
                        Array.Copy(seqMajor, (t * b + s) * features, r, (s * steps + t) * features, features);
                return r;
            }
            default:
            {
                var rows = new List<T>();
                for (int t = 0; t < steps; t++)
                    foreach (int s in LongestFirst(lengths))
                        if (lengths[s] > t) rows.AddRange(seqMajor.AsSpan((t * b + s) * features, features).ToArray());
                return rows.ToArray();
            }
        }
    }

    public static T[] ToSequenceMajor<T>(T[] data, SequenceBatch batch, int features)
    {
        int steps = batch.MaxLength, b = batch.BatchSize;
        var lengths = batch.Lengths.ToArray();
        var r = new T[(long)steps * b * features];
        switch (batch.Layout)
        {
            case SequenceLayout.SequenceMajor: return (T[])data.Clone();
            case SequenceLayout.BatchMajor:
                for (int t = 0; t < steps; t++)
                    for (int s = 0; s < b; s++)
                        Array.Copy(data, (s * steps + t) * features, r, (t * b + s) * features, features);
                return r;
            default:
            {
                int row = 0;
                for (int t = 0; t < steps; t++)
                    foreach (int s in LongestFirst(lengths))
                        if (lengths[s] > t) Array.Copy(data, (row++) * features, r, (t * b + s) * features, features);
                return r;
            }
        }
    }

    // Sequence indices by length, longest first; LINQ's ordering is stable, so ties keep the caller's order.
    private static int[] LongestFirst(int[] lengths) => Enumerable.Range(0, lengths.Length).OrderByDescending(s => lengths[s]).ToArray();
}
