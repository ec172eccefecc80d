using System.Numerics;
using System.Numerics.Tensors;
using CuRnn.Managed;

namespace CuRnn.Training;

/// <summary>
/// A linear layer y = x·Wᵀ + b, as <c>torch.nn.Linear(inputs, outputs)</c>: weight [outputs, inputs] then bias
/// [outputs] in one flat <see cref="Parameters"/> buffer (PyTorch's names <c>weight</c> and <c>bias</c>), gradients
/// in a buffer of the same layout. Initialised uniformly in ±1/√inputs from a seed, as PyTorch's default.
/// </summary>
public sealed class LinearHead<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>A head of <paramref name="inputs"/> → <paramref name="outputs"/> features.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size below 1, or more parameters than an array holds.</exception>
    public LinearHead(int inputs, int outputs, ulong seed = 0)
    {
        if (inputs < 1) throw new ArgumentOutOfRangeException(nameof(inputs), inputs, $"inputs must be >= 1; actual {inputs}.");
        if (outputs < 1) throw new ArgumentOutOfRangeException(nameof(outputs), outputs, $"outputs must be >= 1; actual {outputs}.");
        Inputs = inputs;
        Outputs = outputs;
        int weights = Sizes.Elements(nameof(inputs), $"a head of {inputs} → {outputs}", inputs, outputs);
        Parameters = new T[Sizes.Sum(nameof(inputs), $"a head of {inputs} → {outputs}", weights, outputs)];
        var random = new SplitMix64(seed);
        double bound = 1 / Math.Sqrt(inputs);
        for (int i = 0; i < Parameters.Length; i++) Parameters[i] = T.CreateTruncating((2 * random.NextDouble() - 1) * bound);
    }

    /// <summary>Input features.</summary>
    public int Inputs { get; }
    /// <summary>Output features.</summary>
    public int Outputs { get; }

    /// <summary>Weight [Outputs, Inputs] row-major, then bias [Outputs].</summary>
    public T[] Parameters { get; }

    /// <summary>The weight [Outputs, Inputs] inside <see cref="Parameters"/>.</summary>
    public Span<T> Weight => Parameters.AsSpan(0, Outputs * Inputs);
    /// <summary>The bias [Outputs] inside <see cref="Parameters"/>.</summary>
    public Span<T> Bias => Parameters.AsSpan(Outputs * Inputs, Outputs);

    /// <summary>y [rows, Outputs] = x [rows, Inputs] · Wᵀ + b.</summary>
    /// <exception cref="ArgumentException">A span's length is not rows × its width.</exception>
    public void Forward(ReadOnlySpan<T> x, Span<T> y, int rows)
    {
        Check(nameof(x), x.Length, rows, Inputs);
        Check(nameof(y), y.Length, rows, Outputs);
        for (int r = 0; r < rows; r++) Bias.CopyTo(y.Slice(r * Outputs, Outputs));
        Gemm.Multiply(Transpose.No, Transpose.Yes, rows, Outputs, Inputs, x, Inputs, Weight, Inputs, y, Outputs, accumulate: true);
    }

    /// <summary>
    /// From dL/dy [rows, Outputs]: adds dL/dW and dL/db into <paramref name="gradients"/> (the <see cref="Parameters"/>
    /// layout, or empty to skip) and writes dL/dx [rows, Inputs] into <paramref name="dx"/> (or empty to skip).
    /// </summary>
    /// <exception cref="ArgumentException">A span's length does not fit.</exception>
    public void Backward(ReadOnlySpan<T> x, ReadOnlySpan<T> dy, Span<T> dx, Span<T> gradients, int rows)
    {
        Check(nameof(x), x.Length, rows, Inputs);
        Check(nameof(dy), dy.Length, rows, Outputs);
        if (!dx.IsEmpty) Check(nameof(dx), dx.Length, rows, Inputs);
        if (!gradients.IsEmpty && gradients.Length != Parameters.Length)
            throw new ArgumentException($"gradients must hold {Parameters.Length} values (the Parameters layout); actual {gradients.Length}.", nameof(gradients));
        if (!dx.IsEmpty) Gemm.Multiply(Transpose.No, Transpose.No, rows, Inputs, Outputs, dy, Outputs, Weight, Inputs, dx, Inputs, accumulate: false);
        if (gradients.IsEmpty) return;
        Gemm.Multiply(Transpose.Yes, Transpose.No, Outputs, Inputs, rows, dy, Outputs, x, Inputs, gradients[..(Outputs * Inputs)], Inputs, accumulate: true);
        var db = gradients.Slice(Outputs * Inputs, Outputs);
        for (int r = 0; r < rows; r++) TensorPrimitives.Add(db, dy.Slice(r * Outputs, Outputs), db);
    }

    private static void Check(string name, int length, int rows, int width)
    {
        if (rows < 0 || length != (long)rows * width)
            throw new ArgumentException($"{name} must hold rows × {width} = {(long)rows * width} values; actual {length}.", name);
    }
}
