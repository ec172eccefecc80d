namespace CuRnn.Weights;

/// <summary>
/// Gate-block orders of the frameworks, as "block k of theirs is block Order[k] of PyTorch's" (PyTorch: LSTM i,f,g,o;
/// GRU r,z,n). ONNX: LSTM i,o,f,c and GRU z,r,h. Keras: LSTM i,f,c,o and GRU z,r,h.
/// </summary>
internal static class GateBlocks
{
    public static int[] Onnx(RnnCellKind cell) => cell switch { RnnCellKind.Lstm => [0, 3, 1, 2], RnnCellKind.Gru => [1, 0, 2], _ => [0] };

    public static int[] Keras(RnnCellKind cell) => cell switch { RnnCellKind.Lstm => [0, 1, 2, 3], RnnCellKind.Gru => [1, 0, 2], _ => [0] };

    /// <summary>Copies PyTorch's gate blocks of <paramref name="blockSize"/> elements into another order.</summary>
    public static void FromPyTorch<T>(ReadOnlySpan<T> pytorch, Span<T> theirs, int[] order, int blockSize)
    {
        for (int k = 0; k < order.Length; k++) pytorch.Slice(order[k] * blockSize, blockSize).CopyTo(theirs.Slice(k * blockSize, blockSize));
    }

    /// <summary>Copies gate blocks in another order back into PyTorch's.</summary>
    public static void ToPyTorch<T>(ReadOnlySpan<T> theirs, Span<T> pytorch, int[] order, int blockSize)
    {
        for (int k = 0; k < order.Length; k++) theirs.Slice(k * blockSize, blockSize).CopyTo(pytorch.Slice(order[k] * blockSize, blockSize));
    }
}
