using System.Numerics;

namespace CuRnn.Training;

/// <summary>
/// Losses with their gradients, averaged over the rows a mask keeps (padding, or sequences without a label, masked
/// out): softmax cross-entropy over classes (per sequence: one row per sequence; per step: one row per position of a
/// padded batch, masked by <see cref="StepMask"/>) and mean squared error.
/// </summary>
public static class Losses
{
    /// <summary>
    /// Mean of −log softmax(logits)[label] over the kept rows (as <c>torch.nn.functional.cross_entropy</c>); writes
    /// d(mean)/d(logits) into <paramref name="dLogits"/> (zero on masked-out rows). Returns 0 when no row is kept.
    /// </summary>
    /// <param name="logits">[rows, classes].</param>
    /// <param name="labels">[rows]: a class index per row (ignored where masked out).</param>
    /// <param name="mask">[rows]: which rows count, or empty for all.</param>
    /// <param name="dLogits">[rows, classes], or empty to skip the gradient.</param>
    /// <param name="classes">Columns of the logits.</param>
    /// <exception cref="ArgumentException">Lengths disagree, or a kept row's label is not a class index.</exception>
    public static double SoftmaxCrossEntropy<T>(ReadOnlySpan<T> logits, ReadOnlySpan<int> labels, ReadOnlySpan<bool> mask, Span<T> dLogits, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = labels.Length;
        Same(nameof(logits), logits.Length, (long)rows * classes);
        if (!mask.IsEmpty) Same(nameof(mask), mask.Length, rows);
        if (!dLogits.IsEmpty) Same(nameof(dLogits), dLogits.Length, logits.Length);
        int kept = Kept(mask, rows);
        double loss = 0;
        T scale = kept == 0 ? T.Zero : T.One / T.CreateTruncating(kept);
        for (int r = 0; r < rows; r++)
        {
            var row = logits.Slice(r * classes, classes);
            var d = dLogits.IsEmpty ? default : dLogits.Slice(r * classes, classes);
            if (!mask.IsEmpty && !mask[r]) { d.Clear(); continue; }
            int label = labels[r];
            if ((uint)label >= (uint)classes)
                throw new ArgumentException($"labels[{r}] must be a class index in 0..{classes - 1}; actual {label}.", nameof(labels));
            // log-sum-exp around the largest logit, in double.
            double max = double.NegativeInfinity;
            foreach (var v in row) max = Math.Max(max, double.CreateTruncating(v));
            double sum = 0;
            foreach (var v in row) sum += Math.Exp(double.CreateTruncating(v) - max);
            double logSum = max + Math.Log(sum);
            loss += logSum - double.CreateTruncating(row[label]);
            if (d.IsEmpty) continue;
            for (int c = 0; c < classes; c++)
                d[c] = T.CreateTruncating(Math.Exp(double.CreateTruncating(row[c]) - logSum) - (c == label ? 1 : 0)) * scale;
        }
        return kept == 0 ? 0 : loss / kept;
    }

    /// <summary>Mean of (prediction − target)² over the kept elements (as <c>torch.nn.functional.mse_loss</c>);
    /// writes the gradient into <paramref name="dPredictions"/> (zero where masked out). Returns 0 when none is kept.</summary>
    /// <param name="predictions">[n].</param>
    /// <param name="targets">[n].</param>
    /// <param name="mask">[n]: which elements count, or empty for all.</param>
    /// <param name="dPredictions">[n], or empty to skip the gradient.</param>
    /// <exception cref="ArgumentException">Lengths disagree.</exception>
    public static double MeanSquaredError<T>(ReadOnlySpan<T> predictions, ReadOnlySpan<T> targets, ReadOnlySpan<bool> mask, Span<T> dPredictions)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int n = predictions.Length;
        Same(nameof(targets), targets.Length, n);
        if (!mask.IsEmpty) Same(nameof(mask), mask.Length, n);
        if (!dPredictions.IsEmpty) Same(nameof(dPredictions), dPredictions.Length, n);
        int kept = Kept(mask, n);
        double loss = 0;
        T scale = kept == 0 ? T.Zero : T.CreateTruncating(2.0 / kept);
        for (int i = 0; i < n; i++)
        {
            bool keep = mask.IsEmpty || mask[i];
            T e = predictions[i] - targets[i];
            if (keep) loss += double.CreateTruncating(e) * double.CreateTruncating(e);
            if (!dPredictions.IsEmpty) dPredictions[i] = keep ? e * scale : T.Zero;
        }
        return kept == 0 ? 0 : loss / kept;
    }

    /// <summary>
    /// [rows of <paramref name="batch"/>'s layout]: true where a position holds a step of its sequence (padded layouts;
    /// a packed batch's rows are all steps), for per-step losses on a layer's output.
    /// </summary>
    public static bool[] StepMask(SequenceBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var mask = new bool[batch.Rows];
        var lengths = batch.Lengths;
        for (int b = 0; b < batch.BatchSize; b++)
            for (int t = 0; t < lengths[b]; t++)
                mask[batch.Layout switch
                {
                    SequenceLayout.SequenceMajor => (long)t * batch.BatchSize + b,
                    SequenceLayout.BatchMajor => (long)b * batch.MaxLength + t,
                    _ => 0,
                }] = true;
        if (batch.Layout == SequenceLayout.Packed) Array.Fill(mask, true);
        return mask;
    }

    private static int Kept(ReadOnlySpan<bool> mask, int n)
    {
        if (mask.IsEmpty) return n;
        int kept = 0;
        foreach (bool m in mask) if (m) kept++;
        return kept;
    }

    private static void Same(string name, long actual, long expected)
    {
        if (actual != expected) throw new ArgumentException($"{name} must hold {expected} values; actual {actual}.", name);
    }
}
