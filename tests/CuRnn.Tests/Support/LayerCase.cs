namespace CuRnn.Tests.Support;

/// <summary>One layer configuration in the test matrix, printable in test names.</summary>
public sealed record LayerCase(RnnCellKind Cell, int Layers, bool Bidirectional, int Projection)
{
    public RnnOptions Options(int input, int hidden, RnnBackend backend = RnnBackend.Managed, bool bias = true) => new()
    {
        Cell = Cell, InputSize = input, HiddenSize = hidden, NumLayers = Layers, Bidirectional = Bidirectional,
        ProjectionSize = Projection, Bias = bias, Backend = backend,
    };

    /// <summary>Every cell × {1, 2} layers × {uni, bi} × {no projection, projection for LSTM}.</summary>
    public static IEnumerable<LayerCase> All()
    {
        foreach (var cell in Enum.GetValues<RnnCellKind>())
            foreach (int layers in new[] { 1, 2 })
                foreach (bool bi in new[] { false, true })
                {
                    yield return new LayerCase(cell, layers, bi, 0);
                    if (cell == RnnCellKind.Lstm) yield return new LayerCase(cell, layers, bi, 2);
                }
    }

    /// <summary>Each case as an NUnit case named after it.</summary>
    public static IEnumerable<TestCaseData> Cases(IEnumerable<LayerCase> cases) =>
        cases.Select(c => new TestCaseData(c).SetArgDisplayNames(c.ToString()));

    /// <summary>Each case in each of <paramref name="layouts"/> (all three when none are named).</summary>
    public static IEnumerable<TestCaseData> InLayouts(IEnumerable<LayerCase> cases, params SequenceLayout[] layouts)
    {
        if (layouts.Length == 0) layouts = Enum.GetValues<SequenceLayout>();
        foreach (var c in cases)
            foreach (var layout in layouts)
                yield return new TestCaseData(c, layout).SetArgDisplayNames(c.ToString(), layout.ToString());
    }

    public override string ToString() => $"{Cell} L{Layers} {(Bidirectional ? "bi" : "uni")}{(Projection > 0 ? $" P{Projection}" : "")}";
}
