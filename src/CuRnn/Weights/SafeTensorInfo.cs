namespace CuRnn.Weights;

/// <summary>One tensor's entry in a safetensors header.</summary>
/// <param name="Name">The tensor's name, e.g. <c>lstm.weight_ih_l0</c>.</param>
/// <param name="DType">Its element type.</param>
/// <param name="Shape">Its dimensions (empty for a scalar).</param>
/// <param name="DataOffset">Byte offset of its data from the start of the file's data section.</param>
/// <param name="ByteLength">Bytes of data.</param>
public sealed record SafeTensorInfo(string Name, TensorDType DType, int[] Shape, long DataOffset, long ByteLength)
{
    /// <summary>Elements in the tensor (the product of the shape; a file's tensors are checked to fit their bytes, so
    /// this cannot overflow).</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    /// <summary>The shape as PyTorch prints it, e.g. <c>[512, 128]</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    internal static string FormatShape(IEnumerable<int> shape) => "[" + string.Join(", ", shape) + "]";
}
