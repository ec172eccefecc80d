namespace CuRnn;

/// <summary>Checks every span of a call against the layer's options and the batch before anything runs.</summary>
internal static class CallValidation
{
    public static void Required<T>(string name, ReadOnlySpan<T> span, long expected, string meaning)
    {
        if (span.Length != expected) ThrowHelper.WrongLength(name, expected, span.Length, meaning);
    }

    public static void Optional<T>(string name, ReadOnlySpan<T> span, long expected, string meaning)
    {
        if (!span.IsEmpty && span.Length != expected) ThrowHelper.WrongLength(name, expected, span.Length, meaning + ", or empty");
    }

    public static void LstmOnly<T>(string name, ReadOnlySpan<T> span, RnnOptions o, long expected, string meaning)
    {
        if (o.Cell != RnnCellKind.Lstm) { if (!span.IsEmpty) ThrowHelper.NotForCell(name, o.Cell); return; }
        Optional(name, span, expected, meaning);
    }

    public static void NoOverlap<T>(string outName, ReadOnlySpan<T> output, string otherName, ReadOnlySpan<T> other)
    {
        if (!output.IsEmpty && !other.IsEmpty && output.Overlaps(other)) ThrowHelper.Overlap(outName, otherName);
    }

    public static string Describe(SequenceBatch batch, int features, string featureName) => batch.Layout switch
    {
        SequenceLayout.SequenceMajor => $"[T={batch.MaxLength}, B={batch.BatchSize}, {featureName}={features}] sequence-major",
        SequenceLayout.BatchMajor => $"[B={batch.BatchSize}, T={batch.MaxLength}, {featureName}={features}] batch-major",
        _ => $"[N={batch.TotalSteps}, {featureName}={features}] packed",
    };

    public static string StateShape(RnnOptions o, SequenceBatch batch, int width, string widthName)
        => $"[L*D={o.NumLayers * o.Directions}, B={batch.BatchSize}, {widthName}={width}]";
}
