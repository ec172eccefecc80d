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

    public override string ToString() => $"{Cell} L{Layers} {(Bidirectional ? "bi" : "uni")}{(Projection > 0 ? $" P{Projection}" : "")}";
}
