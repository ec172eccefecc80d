using System.Diagnostics;
using CuRnn.Cli.Data;
using CuRnn.Distributed;
using CuRnn.Training;

namespace CuRnn.Cli.Training;

/// <summary>How to train.</summary>
internal sealed record TrainSettings(int Epochs, int BatchSize, float LearningRate, float ClipNorm, float Tolerance, int Seed, string Optimizer = "adam");

/// <summary>Where training stands, reported after every batch.</summary>
internal sealed record TrainProgress(int Epoch, int Epochs, int Batch, int Batches, double Loss, double Score, double SequencesPerSecond);

/// <summary>One finished epoch: training figures over the epoch, held-out figures after it.</summary>
internal sealed record EpochResult(int Epoch, double TrainLoss, double TrainScore, double HeldLoss, double HeldScore, TimeSpan Elapsed);

/// <summary>
/// Mini-batch training with the library's toolkit (<see cref="CuRnn.Training"/>): shuffled, length-bucketed batches
/// each epoch, an optimizer (Adam, AdamW or SGD with momentum) over the layer and the head, the global gradient norm
/// over both clipped, the held-out set scored after every epoch. Data-parallel over <see cref="DataParallel"/>: every
/// rank draws the same global batches, trains on its share, and the flat gradients (layer and head, one buffer) are
/// averaged in buckets whose all-reduce starts as backward finishes each (the head, then each layer from the top),
/// so every rank takes the same optimizer step. Stops cleanly between batches
/// when cancelled (on every rank at the same step).
/// </summary>
internal static class Trainer
{
    public static List<EpochResult> Run(SequenceModel model, SequenceDataset train, SequenceDataset held, TrainSettings s,
        Action<TrainProgress> progress, Action<EpochResult> epochDone, CancellationToken cancel, DataParallel? parallel = null)
    {
        parallel ??= new DataParallel(new SingleProcess());
        parallel.BroadcastParameters(model.Rnn.Parameters);
        model.Rnn.ParametersChanged();
        parallel.BroadcastParameters(model.Head.Parameters.AsSpan());
        var batch = new PaddedBatch(s.BatchSize, model.MaxLength, train.Features);
        var layerStep = Optimizer(s, model.Rnn.ParameterCount);
        var headStep = Optimizer(s, model.Head.Parameters.Length);
        var gradientBuckets = parallel.Buckets(model.GradientMemory, model.BackwardOrder());
        Action<int> bucketReady = gradientBuckets.Ready;
        var lengths = Enumerable.Range(0, train.Count).Select(train.Length).ToArray();
        var buckets = new LengthBuckets(lengths, s.BatchSize, (ulong)s.Seed);
        int batches = buckets.Count;
        var results = new List<EpochResult>();
        var clock = Stopwatch.StartNew();
        long seen = 0;
        for (int epoch = 1; epoch <= s.Epochs; epoch++)
        {
            var order = buckets.Epoch(epoch);
            double loss = 0;
            int correct = 0, count = 0;
            for (int k = 0; k < batches; k++)
            {
                if (parallel.AnyRank(cancel.IsCancellationRequested)) return results;
                var share = parallel.Share(order[k]);
                int size = share.Length;
                // Each bucket's all-reduce starts as backward finishes it (head, then layers from the top); Finish
                // starts the rest (all of them on a rank with an empty share) and waits.
                gradientBuckets.Begin(size, order[k].Length);
                if (size > 0)
                {
                    batch.Fill(train, share);
                    var (l, c) = model.TrainStep(batch, s.Tolerance, bucketReady);
                    loss += l; correct += c;
                }
                gradientBuckets.Finish();
                GradientClipping.ClipGlobalNorm<float>(model.Gradients, s.ClipNorm);
                layerStep.Step(model.Rnn.Parameters, model.LayerGradients);
                model.Rnn.ParametersChanged();
                headStep.Step(model.Head.Parameters, model.HeadGradients);
                count += size; seen += order[k].Length;
                progress(new TrainProgress(epoch, s.Epochs, k + 1, batches, loss / Math.Max(count, 1), (double)correct / Math.Max(count, 1), seen / clock.Elapsed.TotalSeconds));
            }
            Span<double> totals = [loss, correct, count];
            parallel.Sum(totals);
            var (heldLoss, heldScore) = Score(model, held, s.BatchSize, s.Tolerance, parallel);
            var result = new EpochResult(epoch, totals[0] / totals[2], totals[1] / totals[2], heldLoss, heldScore, clock.Elapsed);
            results.Add(result);
            epochDone(result);
        }
        return results;
    }

    private static Optimizer<float> Optimizer(TrainSettings s, int count) => s.Optimizer switch
    {
        "sgd" => new Sgd<float>(count, s.LearningRate, momentum: 0.9),
        "adamw" => new AdamW<float>(count, s.LearningRate),
        _ => new Adam<float>(count, s.LearningRate),
    };

    /// <summary>Mean loss and score (accuracy, or fraction within the tolerance) of <paramref name="model"/> on
    /// <paramref name="data"/>; with several ranks each scores its share and the sums are combined.</summary>
    public static (double Loss, double Score) Score(SequenceModel model, SequenceDataset data, int batchSize, float tolerance, DataParallel? parallel = null)
    {
        var batch = new PaddedBatch(batchSize, model.MaxLength, data.Features);
        var predictions = new float[batchSize];
        var (first, length) = DataParallel.ShareOf(data.Count, parallel?.Rank ?? 0, parallel?.Size ?? 1);
        var mine = Enumerable.Range(first, length).ToArray();
        Span<double> totals = [0, 0];
        for (int start = 0; start < mine.Length; start += batchSize)
        {
            batch.Fill(data, mine.AsSpan(start, Math.Min(batchSize, mine.Length - start)));
            var (l, c) = model.Evaluate(batch, tolerance, predictions);
            totals[0] += l; totals[1] += c;
        }
        parallel?.Sum(totals);
        return (totals[0] / data.Count, totals[1] / data.Count);
    }
}
