using System.Numerics;

namespace CuRnn.Training;

/// <summary>
/// An optimizer over one flat buffer of parameters (a layer's <see cref="Rnn{T}.Parameters"/>, a head's, or one
/// buffer holding several), with its state for exactly that many values. The update rules are PyTorch's
/// (<c>torch.optim</c>), operation for operation.
/// </summary>
public abstract class Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Creates the state for <paramref name="count"/> parameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count below 1 or a learning rate not above 0.</exception>
    protected Optimizer(int count, double learningRate)
    {
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, $"count must be >= 1; actual {count}.");
        Count = count;
        LearningRate = learningRate;
    }

    /// <summary>Parameters the optimizer updates.</summary>
    public int Count { get; }

    /// <summary>The step size (settable between steps, for a schedule).</summary>
    /// <exception cref="ArgumentOutOfRangeException">Not a finite positive number.</exception>
    public double LearningRate
    {
        get;
        set => field = double.IsFinite(value) && value > 0 ? value
            : throw new ArgumentOutOfRangeException(nameof(LearningRate), value, $"LearningRate must be a finite number > 0; actual {value}.");
    }

    /// <summary>Steps taken.</summary>
    public long Steps { get; private set; }

    /// <summary>Updates <paramref name="parameters"/> from <paramref name="gradients"/> (both of <see cref="Count"/> values).</summary>
    /// <exception cref="ArgumentException">A span does not hold <see cref="Count"/> values.</exception>
    public void Step(Span<T> parameters, ReadOnlySpan<T> gradients)
    {
        if (parameters.Length != Count) throw new ArgumentException($"parameters must hold {Count} values; actual {parameters.Length}.", nameof(parameters));
        if (gradients.Length != Count) throw new ArgumentException($"gradients must hold {Count} values; actual {gradients.Length}.", nameof(gradients));
        Steps++;
        Update(parameters, gradients, Steps);
    }

    /// <summary>One update; <paramref name="step"/> counts from 1.</summary>
    protected abstract void Update(Span<T> parameters, ReadOnlySpan<T> gradients, long step);

    /// <summary>Checks an option: finite and within [<paramref name="min"/>, <paramref name="max"/>).</summary>
    private protected static double Check(string name, double value, double min, double max)
    {
        if (!(double.IsFinite(value) && value >= min && value < max))
            throw new ArgumentOutOfRangeException(name, value, $"{name} must be in [{min}, {max}); actual {value}.");
        return value;
    }
}
