using System.Diagnostics;
using System.Numerics.Tensors;
using CuRnn.Cli.Data;

namespace CuRnn.Cli.Training;

/// <summary>How to train.</summary>
internal sealed record TrainSettings(int Epochs, int BatchSize, float LearningRate, float ClipNorm, float Tolerance, int Seed);

/// <summary>Where training stands, reported after every batch.</summary>
internal sealed record TrainProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Score, double SequencesPerSecond);

/// <summary>One finished epoch: training figures over the epoch, held-out figures after it.</summary>
internal sealed record EpochResult(int Epoch, double TrainLoss, double TrainScore, double HeldLoss, double HeldScore, TimeSpan Elapsed);

/// <summary>
/// Mini-batch training: shuffled batches each epoch, Adam over the layer and head, the global gradient norm clipped,
/// the held-out set scored after every epoch. Stops cleanly between batches when cancelled.
/// </summary>
internal static class Trainer
{
    public static List<EpochResult> Run(SequenceModel model, SequenceDataset train, SequenceDataset held, TrainSettings s,
        Action<TrainProgress> progress, Action<EpochResult> epochDone, CancellationToken cancel)
    {
        var batch = new PaddedBatch(s.BatchSize, model.MaxLength, train.Features);
        Adam[] adam = [new(model.Rnn.ParameterCount, s.LearningRate), new(model.HeadWeight.Length, s.LearningRate), new(model.HeadBias.Length, s.LearningRate)];
        var order = Enumerable.Range(0, train.Count).ToArray();
        var random = new Random(s.Seed);
        int batches = (train.Count + s.BatchSize - 1) / s.BatchSize;
        var results = new List<EpochResult>();
        var clock = Stopwatch.StartNew();
        long seen = 0;
        for (int epoch = 1; epoch <= s.Epochs && !cancel.IsCancellationRequested; epoch++)
        {
            random.Shuffle(order);
            double loss = 0;
            int correct = 0, count = 0;
            for (int k = 0; k < batches; k++)
            {
                if (cancel.IsCancellationRequested) return results;
                int start = k * s.BatchSize, size = Math.Min(s.BatchSize, train.Count - start);
                batch.Fill(train, order.AsSpan(start, size));
                var (l, c) = model.TrainStep(batch, s.Tolerance);
                Step(model, adam, s.ClipNorm);
                loss += l; correct += c; count += size; seen += size;
                progress(new TrainProgress(epoch, s.Epochs, k + 1, batches, loss / count, (double)correct / count, seen / clock.Elapsed.TotalSeconds));
            }
            var (heldLoss, heldScore) = Score(model, held, s.BatchSize, s.Tolerance);
            var result = new EpochResult(epoch, loss / count, (double)correct / count, heldLoss, heldScore, clock.Elapsed);
            results.Add(result);
            epochDone(result);
        }
        return results;
    }

    /// <summary>Mean loss and score (accuracy, or fraction within the tolerance) of <paramref name="model"/> on <paramref name="data"/>.</summary>
    public static (double Loss, double Score) Score(SequenceModel model, SequenceDataset data, int batchSize, float tolerance)
    {
        var batch = new PaddedBatch(batchSize, model.MaxLength, data.Features);
        var predictions = new float[batchSize];
        var all = Enumerable.Range(0, data.Count).ToArray();
        double loss = 0;
        int correct = 0;
        for (int start = 0; start < data.Count; start += batchSize)
        {
            batch.Fill(data, all.AsSpan(start, Math.Min(batchSize, data.Count - start)));
            var (l, c) = model.Evaluate(batch, tolerance, predictions);
            loss += l; correct += c;
        }
        return (loss / data.Count, (double)correct / data.Count);
    }

    // Clip the global gradient norm over the layer and the head together, then step each.
    private static void Step(SequenceModel model, Adam[] adam, float clipNorm)
    {
        var g = model.Gradients;
        double norm = Math.Sqrt(TensorPrimitives.SumOfSquares<float>(g));
        if (norm > clipNorm) TensorPrimitives.Multiply(g, (float)(clipNorm / norm), g);
        int n = model.Rnn.ParameterCount, w = model.HeadWeight.Length;
        adam[0].Step(model.Rnn.Parameters, g[..n]);
        model.Rnn.ParametersChanged();
        adam[1].Step(model.HeadWeight, g.Slice(n, w));
        adam[2].Step(model.HeadBias, g[(n + w)..]);
    }
}
