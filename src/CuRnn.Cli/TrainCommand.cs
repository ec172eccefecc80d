using System.Diagnostics;
using System.Numerics.Tensors;

namespace CuRnn.Cli;

/// <summary>
/// <c>curnn train</c>: an LSTM (or any cell) with a linear head learns the adding problem on variable-length
/// sequences with MSE, Adam and gradient clipping, on the engine Auto picks (managed where there is no GPU).
/// </summary>
internal static class TrainCommand
{
    public sealed record Settings(RnnCellKind Cell = RnnCellKind.Lstm, int Hidden = 48, int Layers = 1, bool Bidirectional = false,
        int MinLength = 20, int MaxLength = 40, int Batch = 64, int Steps = 1500, float LearningRate = 0.005f, float Clip = 1f, int Seed = 1);

    public static int Run(Settings s, TextWriter output)
    {
        var options = new RnnOptions
        {
            Cell = s.Cell, InputSize = 2, HiddenSize = s.Hidden, NumLayers = s.Layers, Bidirectional = s.Bidirectional, Seed = (ulong)s.Seed,
        };
        using var rnn = new Rnn<float>(options);
        output.WriteLine($"curnn train: adding problem, {s.Cell} H={s.Hidden} L={s.Layers}{(s.Bidirectional ? " bidirectional" : "")}, " +
                         $"lengths {s.MinLength}..{s.MaxLength}, batch {s.Batch}, {s.Steps} steps, engine {rnn.Backend}");
        output.WriteLine($"  ({rnn.Selection.Reason})");

        // Head: the last layer's final h of each direction -> one number.
        int d = options.Directions, hout = options.OutputSize, headIn = d * hout;
        var head = new float[headIn + 1];
        var headRng = new Random(s.Seed);
        for (int i = 0; i < headIn; i++) head[i] = (float)((headRng.NextDouble() * 2 - 1) / Math.Sqrt(headIn));

        var data = new AddingProblem(s.MinLength, s.MaxLength, s.Seed + 1);
        int b = s.Batch, t = s.MaxLength;
        var x = new float[b * t * 2];
        var lengths = new int[b];
        var targets = new float[b];
        var y = new float[b * t * options.OutputFeatures];
        var dy = new float[y.Length];
        int ld = options.NumLayers * d;
        var hN = new float[ld * b * hout];
        var dhN = new float[hN.Length];
        var grads = new float[rnn.ParameterCount];
        var headGrad = new float[head.Length];
        var adamRnn = new Adam(rnn.ParameterCount, s.LearningRate);
        var adamHead = new Adam(head.Length, s.LearningRate);
        var features = new float[headIn];

        var clock = Stopwatch.StartNew();
        double windowLoss = 0;
        int window = 0;
        double lastLoss = double.NaN;
        for (int step = 1; step <= s.Steps; step++)
        {
            data.Fill(x, lengths, targets);
            var batch = SequenceBatch.Padded(SequenceLayout.BatchMajor, t, lengths);
            var tape = rnn.ForwardTraining(batch, x, y, hN: hN);

            // Forward and backward through the head with MSE.
            double loss = 0;
            Array.Clear(dhN);
            Array.Clear(headGrad);
            for (int i = 0; i < b; i++)
            {
                for (int dir = 0; dir < d; dir++)
                    hN.AsSpan((((options.NumLayers - 1) * d + dir) * b + i) * hout, hout).CopyTo(features.AsSpan(dir * hout, hout));
                float prediction = TensorPrimitives.Dot(features, head.AsSpan(0, headIn)) + head[headIn];
                float err = prediction - targets[i];
                loss += err * err;
                float g = 2 * err / b;
                TensorPrimitives.MultiplyAdd(features, g, headGrad.AsSpan(0, headIn), headGrad.AsSpan(0, headIn));
                headGrad[headIn] += g;
                for (int dir = 0; dir < d; dir++)
                    TensorPrimitives.Multiply(head.AsSpan(dir * hout, hout), g, dhN.AsSpan((((options.NumLayers - 1) * d + dir) * b + i) * hout, hout));
            }
            loss /= b;
            rnn.Backward(tape, dy, default, grads, dhN, gradientMode: GradientMode.Overwrite);

            // Clip the global gradient norm, then step.
            double norm = Math.Sqrt(TensorPrimitives.SumOfSquares<float>(grads) + TensorPrimitives.SumOfSquares<float>(headGrad));
            if (norm > s.Clip)
            {
                float scale = (float)(s.Clip / norm);
                TensorPrimitives.Multiply(grads, scale, grads);
                TensorPrimitives.Multiply(headGrad, scale, headGrad);
            }
            adamRnn.Step(rnn.Parameters, grads);
            adamHead.Step(head, headGrad);

            windowLoss += loss; window++;
            if (step % 100 == 0 || step == s.Steps)
            {
                lastLoss = windowLoss / window;
                output.WriteLine($"  step {step,5}  mse {lastLoss:F5}  {step * (double)b / clock.Elapsed.TotalSeconds,8:F0} sequences/s");
                windowLoss = 0; window = 0;
            }
        }

        // Held-out evaluation: fraction of sequences whose sum is predicted within 0.04.
        var eval = new AddingProblem(s.MinLength, s.MaxLength, s.Seed + 1_000_003);
        int correct = 0, total = 0;
        double evalLoss = 0;
        for (int rep = 0; rep < 8; rep++)
        {
            eval.Fill(x, lengths, targets);
            var batch = SequenceBatch.Padded(SequenceLayout.BatchMajor, t, lengths);
            rnn.Forward(batch, x, y, hN: hN);
            for (int i = 0; i < b; i++)
            {
                for (int dir = 0; dir < d; dir++)
                    hN.AsSpan((((options.NumLayers - 1) * d + dir) * b + i) * hout, hout).CopyTo(features.AsSpan(dir * hout, hout));
                float err = TensorPrimitives.Dot(features, head.AsSpan(0, headIn)) + head[headIn] - targets[i];
                evalLoss += err * err;
                if (MathF.Abs(err) < 0.04f) correct++;
                total++;
            }
        }
        output.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s: training mse {lastLoss:F5}; held-out mse {evalLoss / total:F5}, " +
                         $"{100.0 * correct / total:F1}% of sums within 0.04 (predicting the mean: mse 0.167)");
        return 0;
    }
}
