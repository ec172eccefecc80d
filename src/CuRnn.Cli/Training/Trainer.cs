using System.Diagnostics;
using CuRnn.Cli.Data;
using CuRnn.Training;

namespace CuRnn.Cli.Training;

/// <summary>How to train.</summary>
internal sealed record TrainSettings(int Epochs, int BatchSize, float LearningRate, float ClipNorm, float Tolerance, int Seed);

/// <summary>Where training stands, reported after every batch.</summary>
internal sealed record TrainProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Score, double SequencesPerSecond);

/// <summary>One finished epoch: training figures over the epoch, held-out figures after it.</summary>
internal sealed record EpochResult(int Epoch, double TrainLoss, double TrainScore, double HeldLoss, double HeldScore, TimeSpan Elapsed);

/// <summary>
/// Mini-batch training with the library's toolkit (<see cref="CuRnn.Training"/>): shuffled, length-bucketed batches
/// each epoch, Adam over the layer and the head, the global gradient norm over both clipped, the held-out set scored
/// after every epoch. Stops cleanly between batches when cancelled.
/// </summary>
internal static class Trainer
{
    public static List<EpochResult> Run(SequenceModel model, SequenceDataset train, SequenceDataset held, TrainSettings s,
        Action<TrainProgress> progress, Action<EpochResult> epochDone, CancellationToken cancel)
    {
        var batch = new PaddedBatch(s.BatchSize, model.MaxLength, train.Features);
        var layerAdam = new Adam<float>(model.Rnn.ParameterCount, s.LearningRate);
        var headAdam = new Adam<float>(model.Head.Parameters.Length, s.LearningRate);
        var lengths = Enumerable.Range(0, train.Count).Select(train.Length).ToArray();
        var buckets = new LengthBuckets(lengths, s.BatchSize, (ulong)s.Seed);
        int batches = buckets.Count;
        var results = new List<EpochResult>();
        var clock = Stopwatch.StartNew();
        long seen = 0;
        for (int epoch = 1; epoch <= s.Epochs && !cancel.IsCancellationRequested; epoch++)
        {
            var order = buckets.Epoch(epoch);
            double loss = 0;
            int correct = 0, count = 0;
            for (int k = 0; k < batches; k++)
            {
                if (cancel.IsCancellationRequested) return results;
                int size = order[k].Length;
                batch.Fill(train, order[k]);
                var (l, c) = model.TrainStep(batch, s.Tolerance);
                GradientClipping.ClipGlobalNorm<float>(model.Gradients, s.ClipNorm);
                layerAdam.Step(model.Rnn.Parameters, model.LayerGradients);
                model.Rnn.ParametersChanged();
                headAdam.Step(model.Head.Parameters, model.HeadGradients);
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
}
