namespace CuRnn;

/// <summary>Checks every span of a call against the layer's options and the batch before anything runs.</summary>
internal static class CallValidation
{
    public static void Required<T>(string name, ReadOnlySpan<T> span, long expected, ShapeText meaning)
    {
        if (span.Length != expected) ThrowHelper.WrongLength(name, expected, span.Length, meaning.ToString());
    }

    public static void Optional<T>(string name, ReadOnlySpan<T> span, long expected, ShapeText meaning)
    {
        if (!span.IsEmpty && span.Length != expected) ThrowHelper.WrongLength(name, expected, span.Length, meaning + ", or empty");
    }

    public static void LstmOnly<T>(string name, ReadOnlySpan<T> span, RnnOptions o, long expected, ShapeText meaning)
    {
        if (o.Cell != RnnCellKind.Lstm) { if (!span.IsEmpty) ThrowHelper.NotForCell(name, o.Cell); return; }
        Optional(name, span, expected, meaning);
    }

    public static void NoOverlap<T>(string outName, ReadOnlySpan<T> output, string otherName, ReadOnlySpan<T> other)
    {
        if (!output.IsEmpty && !other.IsEmpty && output.Overlaps(other)) ThrowHelper.Overlap(outName, otherName);
    }

}

/// <summary>
/// The words for an expected shape, put together only when an error needs them (a call that passes its checks
/// allocates no strings).
/// </summary>
internal readonly struct ShapeText
{
    private enum Kind { Fixed, Data, State, Rows, Layers }

    private readonly Kind _kind;
    private readonly SequenceBatch? _batch;
    private readonly string _name;
    private readonly int _a, _b, _c;

    private ShapeText(Kind kind, SequenceBatch? batch, string name, int a, int b = 0, int c = 0)
    {
        _kind = kind; _batch = batch; _name = name; _a = a; _b = b; _c = c;
    }

    /// <summary>Data in the batch's layout with <paramref name="features"/> per row.</summary>
    public static ShapeText Data(SequenceBatch batch, int features, string featureName) => new(Kind.Data, batch, featureName, features);

    /// <summary>A state [L*D, B, width].</summary>
    public static ShapeText State(RnnOptions o, SequenceBatch batch, int width, string widthName) => new(Kind.State, batch, widthName, o.NumLayers * o.Directions, width);

    /// <summary>One step's rows [B, width].</summary>
    public static ShapeText Rows(int batch, int width, string widthName) => new(Kind.Rows, null, widthName, batch, width);

    /// <summary>A stream's state [L, B, width].</summary>
    public static ShapeText Layers(int layers, int batch, int width, string widthName) => new(Kind.Layers, null, widthName, layers, batch, width);

    public static implicit operator ShapeText(string text) => new(Kind.Fixed, null, text, 0);

    public override string ToString() => _kind switch
    {
        Kind.Data => _batch!.Layout switch
        {
            SequenceLayout.SequenceMajor => $"[T={_batch.MaxLength}, B={_batch.BatchSize}, {_name}={_a}] sequence-major",
            SequenceLayout.BatchMajor => $"[B={_batch.BatchSize}, T={_batch.MaxLength}, {_name}={_a}] batch-major",
            _ => $"[N={_batch.TotalSteps}, {_name}={_a}] packed",
        },
        Kind.State => $"[L*D={_a}, B={_batch!.BatchSize}, {_name}={_b}]",
        Kind.Rows => $"[B={_a}, {_name}={_b}]",
        Kind.Layers => $"[L={_a}, B={_b}, {_name}={_c}]",
        _ => _name,
    };
}
