namespace CuRnn.Benchmarks;

/// <summary>One shape of the suite: cell, T, B, I, H, layers, directions, and whether lengths are mixed.</summary>
public sealed record SuiteShape(string Name, RnnCellKind Cell, int Steps, int Batch, int Input, int Hidden, int Layers = 1,
    bool Bidirectional = false, bool MixedLengths = false)
{
    /// <summary>The suite (issue 4): LSTM at A–F; GRU and tanh RNN at A and D; a bidirectional LSTM and a mixed-length batch at A.</summary>
    public static IReadOnlyList<SuiteShape> All { get; } =
    [
        new("A", RnnCellKind.Lstm, 50, 32, 512, 512), new("B", RnnCellKind.Lstm, 100, 16, 256, 256),
        new("C", RnnCellKind.Lstm, 25, 64, 1024, 1024), new("D", RnnCellKind.Lstm, 1000, 8, 128, 128),
        new("E", RnnCellKind.Lstm, 28, 128, 28, 128), new("F", RnnCellKind.Lstm, 20, 64, 512, 512, Layers: 2),
        new("A-GRU", RnnCellKind.Gru, 50, 32, 512, 512), new("A-RNN", RnnCellKind.RnnTanh, 50, 32, 512, 512),
        new("D-GRU", RnnCellKind.Gru, 1000, 8, 128, 128), new("D-RNN", RnnCellKind.RnnTanh, 1000, 8, 128, 128),
        new("A-bi", RnnCellKind.Lstm, 50, 32, 512, 512, Bidirectional: true),
        new("A-mixed", RnnCellKind.Lstm, 50, 32, 512, 512, MixedLengths: true),
    ];

    /// <summary>2·T·B·(I+H)·G·H per layer and direction (layer k &gt; 0 reads D·H inputs): the forward's multiply-adds counted twice.</summary>
    public double ForwardFlops
    {
        get
        {
            int d = Bidirectional ? 2 : 1, g = Cell.GateCount();
            double total = 0;
            for (int l = 0; l < Layers; l++) total += 2.0 * Steps * Batch * ((l == 0 ? Input : d * Hidden) + Hidden) * g * Hidden * d;
            return total * (MixedLengths ? (Steps + 1) / (2.0 * Steps) : 1);
        }
    }

    /// <summary>Each sequence's length: all T, or spread uniformly over 1..T (deterministic).</summary>
    public int[] Lengths()
    {
        var lengths = new int[Batch];
        for (int b = 0; b < Batch; b++) lengths[b] = MixedLengths ? 1 + (int)((long)b * (Steps - 1) / Math.Max(1, Batch - 1)) : Steps;
        return lengths;
    }

    /// <inheritdoc/>
    public override string ToString() => Name;
}
