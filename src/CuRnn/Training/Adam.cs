using System.Numerics;

namespace CuRnn.Training;

/// <summary>
/// Adam (Kingma &amp; Ba), as <c>torch.optim.Adam</c>: m = β₁m + (1-β₁)g, v = β₂v + (1-β₂)g²,
/// p -= (lr / (1-β₁ᵗ)) · m / (√v / √(1-β₂ᵗ) + ε); weight decay as an L2 term added to the gradient (g += λp).
/// </summary>
public class Adam<T> : Optimizer<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly T[] _m, _v;

    /// <summary>Adam for <paramref name="count"/> parameters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (betas in [0, 1), ε and weight decay ≥ 0).</exception>
    public Adam(int count, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0)
        : base(count, learningRate)
    {
        Beta1 = Check(nameof(beta1), beta1, 0, 1);
        Beta2 = Check(nameof(beta2), beta2, 0, 1);
        Epsilon = Check(nameof(epsilon), epsilon, 0, double.MaxValue);
        WeightDecay = Check(nameof(weightDecay), weightDecay, 0, double.MaxValue);
        _m = new T[count];
        _v = new T[count];
    }

    /// <summary>β₁: decay of the gradient average.</summary>
    public double Beta1 { get; }
    /// <summary>β₂: decay of the squared-gradient average.</summary>
    public double Beta2 { get; }
    /// <summary>ε added to the denominator.</summary>
    public double Epsilon { get; }
    /// <summary>λ: L2 weight decay (added to the gradient), or decoupled in <see cref="AdamW{T}"/>.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the weight decay is decoupled from the gradient (AdamW) rather than added to it.</summary>
    protected virtual bool DecoupledWeightDecay => false;

    /// <inheritdoc/>
    protected override void Update(Span<T> parameters, ReadOnlySpan<T> gradients, long step)
    {
        // Constants formed in double and rounded once, and each expression in torch's order, so that float results
        // round as PyTorch's do.
        T b1 = T.CreateTruncating(Beta1), b2 = T.CreateTruncating(Beta2);
        T oneMinusB1 = T.CreateTruncating(1 - Beta1), oneMinusB2 = T.CreateTruncating(1 - Beta2);
        T stepSize = T.CreateTruncating(LearningRate / (1 - Math.Pow(Beta1, step)));
        T correction2 = T.CreateTruncating(Math.Sqrt(1 - Math.Pow(Beta2, step)));
        T eps = T.CreateTruncating(Epsilon), decay = T.CreateTruncating(WeightDecay);
        T shrink = T.CreateTruncating(1 - LearningRate * WeightDecay);
        for (int i = 0; i < parameters.Length; i++)
        {
            T g = gradients[i];
            if (DecoupledWeightDecay) parameters[i] *= shrink;
            else if (WeightDecay != 0) g += decay * parameters[i];
            _m[i] = b1 * _m[i] + oneMinusB1 * g;
            _v[i] = b2 * _v[i] + oneMinusB2 * g * g;
            parameters[i] -= stepSize * (_m[i] / (T.Sqrt(_v[i]) / correction2 + eps));
        }
    }
}

/// <summary>
/// AdamW (Loshchilov &amp; Hutter), as <c>torch.optim.AdamW</c>: Adam with the weight decay decoupled, p *= 1 - lr·λ
/// before the Adam update (default λ = 0.01).
/// </summary>
public sealed class AdamW<T>(int count, double learningRate = 1e-3, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8, double weightDecay = 0.01)
    : Adam<T>(count, learningRate, beta1, beta2, epsilon, weightDecay) where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <inheritdoc/>
    protected override bool DecoupledWeightDecay => true;
}
