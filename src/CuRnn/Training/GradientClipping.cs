using System.Numerics;
using System.Numerics.Tensors;

namespace CuRnn.Training;

/// <summary>Global-norm gradient clipping, as <c>torch.nn.utils.clip_grad_norm_</c>.</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales <paramref name="gradients"/> by maxNorm / (‖g‖ + 10⁻⁶) when that is below 1 (‖g‖ the 2-norm over the
    /// whole buffer: keep a model's gradients in one buffer, layer and head, to clip them together); returns ‖g‖ before.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxNorm"/> is not a finite number above 0.</exception>
    public static double ClipGlobalNorm<T>(Span<T> gradients, double maxNorm) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(double.IsFinite(maxNorm) && maxNorm > 0))
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, $"maxNorm must be a finite number > 0; actual {maxNorm}.");
        double sum = 0;
        foreach (var g in gradients) { double d = double.CreateTruncating(g); sum += d * d; }
        double norm = Math.Sqrt(sum);
        double scale = maxNorm / (norm + 1e-6);
        if (scale < 1) TensorPrimitives.Multiply(gradients, T.CreateTruncating(scale), gradients);
        return norm;
    }
}
