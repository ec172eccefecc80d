using System.Numerics;

namespace CuRnn.Training;

/// <summary>
/// Stochastic gradient descent with momentum, as <c>torch.optim.SGD</c>: d = g + λp; b = d on the first step, then
/// b = μb + (1 - dampening)d; d = d + μb with Nesterov, else b; p -= lr·d.
/// </summary>
public sealed class Sgd<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[]? _buffer;

    /// <summary>SGD for <paramref name="count"/> parameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    /// <exception cref="ArgumentException">Nesterov without momentum, or with dampening.</exception>
    public Sgd(int count, double learningRate, double momentum = 0, double dampening = 0, double weightDecay = 0, bool nesterov = false)
        : base(count, learningRate)
    {
        Momentum = Check(nameof(momentum), momentum, 0, double.MaxValue);
        Dampening = Check(nameof(dampening), dampening, 0, double.MaxValue);
        WeightDecay = Check(nameof(weightDecay), weightDecay, 0, double.MaxValue);
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"Nesterov momentum needs momentum > 0 and dampening 0; actual momentum {momentum}, dampening {dampening}.", nameof(nesterov));
        Nesterov = nesterov;
        if (momentum != 0) _buffer = new T[count];
    }

    /// <summary>μ: momentum (0: none).</summary>
    public double Momentum { get; }
    /// <summary>Dampening of the momentum buffer's new term.</summary>
    public double Dampening { get; }
    /// <summary>λ: L2 weight decay added to the gradient.</summary>
    public double WeightDecay { get; }
    /// <summary>Nesterov momentum.</summary>
    public bool Nesterov { get; }

    /// <inheritdoc/>
    protected override void Update(Span<T> parameters, ReadOnlySpan<T> gradients, long step)
    {
        T lr = T.CreateTruncating(LearningRate), mu = T.CreateTruncating(Momentum), decay = T.CreateTruncating(WeightDecay);
        T keep = T.CreateTruncating(1 - Dampening);
        for (int i = 0; i < parameters.Length; i++)
        {
            T d = gradients[i];
            if (WeightDecay != 0) d += decay * parameters[i];
            if (_buffer is not null)
            {
                _buffer[i] = step == 1 ? d : mu * _buffer[i] + keep * d;
                d = Nesterov ? d + mu * _buffer[i] : _buffer[i];
            }
            parameters[i] -= lr * d;
        }
    }
}
