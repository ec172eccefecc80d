// A training loop with the library's toolkit: an LSTM reads sequences of 5-20 random symbols and learns to name the
// first one (it must carry it across the rest). Length-bucketed batches, a linear head on each sequence's last
// state, softmax cross-entropy, global-norm clipping, Adam. Exits 1 unless held-out accuracy passes 90 %.
using CuRnn;
using CuRnn.Training;

const int Symbols = 4, Hidden = 32, BatchSize = 32;
var random = new Random();
var (trainX, trainLengths, trainLabels) = MakeData(2000, random);
var (heldX, heldLengths, heldLabels) = MakeData(500, random);

// Announced: the loop says when it writes the parameters, so no call compares them with what the engine packed.
using var lstm = new Rnn<float>(new RnnOptions
{
    Cell = RnnCellKind.Lstm, InputSize = Symbols, HiddenSize = Hidden, Seed = 7, ParameterSync = ParameterSync.Announced,
});
var head = new LinearHead<float>(inputs: Hidden, outputs: Symbols, seed: 8);
lstm.Parameter("bias_ih_l0").Slice(Hidden, Hidden).Fill(1f);      // forget gates start open (gates i, f, g, o)
lstm.ParametersChanged();
var lstmAdam = new Adam<float>(lstm.ParameterCount, learningRate: 0.01);
var headAdam = new Adam<float>(head.Parameters.Length, learningRate: 0.01);
// One buffer for both gradients, so that one call clips their global norm.
float[] grads = new float[lstm.ParameterCount + head.Parameters.Length];
var lstmGrads = grads.AsMemory(0, lstm.ParameterCount);
var headGrads = grads.AsMemory(lstm.ParameterCount);
var buckets = new LengthBuckets(trainLengths, BatchSize, seed: 1);

for (int epoch = 1; epoch <= 8; epoch++)
{
    double lossSum = 0, recurrentNorm = 0;
    foreach (int[] members in buckets.Epoch(epoch))
    {
        // One padded, sequence-major batch of the bucket's sequences, then forward with a tape.
        var (batch, x, labels) = Gather(members, trainX, trainLengths, trainLabels);
        float[] y = new float[batch.ElementCount(Hidden)], hN = new float[members.Length * Hidden];
        using var tape = lstm.ForwardTraining(batch, x, new(y) { HN = hN });

        // Head and loss on each sequence's last state; the loss's gradient flows back into hN.
        float[] logits = new float[members.Length * Symbols], dLogits = new float[logits.Length];
        head.Forward(hN, logits, members.Length);
        lossSum += Losses.SoftmaxCrossEntropy<float>(logits, labels, default, dLogits, Symbols) * members.Length;
        float[] dhN = new float[hN.Length];
        headGrads.Span.Clear();                                      // the head adds into its gradients
        head.Backward(hN, dLogits, dhN, headGrads.Span, members.Length);
        lstm.Backward(tape, new(new float[y.Length]) { DHN = dhN }, new(default, lstmGrads.Span), GradientMode.Overwrite);
        Span<float> dWhh = lstm.Gradient(lstmGrads.Span, "weight_hh_l0");   // weight_hh_l0.grad, [4*H, H]
        recurrentNorm = Norm(dWhh);

        // Clip the global norm over both, then step each optimizer.
        GradientClipping.ClipGlobalNorm<float>(grads, maxNorm: 1.0);
        lstmAdam.Step(lstm.Parameters, lstmGrads.Span);
        lstm.ParametersChanged();
        headAdam.Step(head.Parameters, headGrads.Span);
    }
    Console.WriteLine($"epoch {epoch}: training loss {lossSum / trainLengths.Length:F4}, held-out accuracy {Accuracy():P1}, |dL/dW_hh| {recurrentNorm:F4} on the last batch");
}
double accuracy = Accuracy();
Console.WriteLine(accuracy > 0.9 ? "ok   learned the task" : "FAIL did not learn the task");
return accuracy > 0.9 ? 0 : 1;

double Accuracy()
{
    var (batch, x, labels) = Gather([.. Enumerable.Range(0, heldLengths.Length)], heldX, heldLengths, heldLabels);
    float[] y = new float[batch.ElementCount(Hidden)], hN = new float[batch.BatchSize * Hidden];
    lstm.Forward(batch, x, new(y) { HN = hN });
    float[] logits = new float[batch.BatchSize * Symbols];
    head.Forward(hN, logits, batch.BatchSize);
    int correct = 0;
    for (int b = 0; b < batch.BatchSize; b++)
        correct += logits.AsSpan(b * Symbols, Symbols).IndexOf(logits.AsSpan(b * Symbols, Symbols).ToArray().Max()) == labels[b] ? 1 : 0;
    return (double)correct / batch.BatchSize;
}

static double Norm(ReadOnlySpan<float> v)
{
    double sum = 0;
    foreach (float e in v) sum += (double)e * e;
    return Math.Sqrt(sum);
}

// Sequences of one-hot symbols, each its own length; the label is the first symbol.
static (float[][] X, int[] Lengths, int[] Labels) MakeData(int count, Random random)
{
    var x = new float[count][];
    var lengths = new int[count];
    var labels = new int[count];
    for (int s = 0; s < count; s++)
    {
        lengths[s] = random.Next(5, 21);
        x[s] = new float[lengths[s] * Symbols];
        for (int t = 0; t < lengths[s]; t++) x[s][t * Symbols + random.Next(Symbols)] = 1;
        labels[s] = x[s].AsSpan(0, Symbols).IndexOf(1f);
    }
    return (x, lengths, labels);
}

// Sequence-major padded layout: step t of batch member b is row t*B + b.
static (SequenceBatch Batch, float[] X, int[] Labels) Gather(int[] members, float[][] data, int[] lengths, int[] labels)
{
    int[] memberLengths = [.. members.Select(m => lengths[m])];
    var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, memberLengths.Max(), memberLengths);
    float[] x = new float[batch.ElementCount(Symbols)];
    for (int b = 0; b < members.Length; b++)
        for (int t = 0; t < memberLengths[b]; t++)
            data[members[b]].AsSpan(t * Symbols, Symbols).CopyTo(x.AsSpan((t * members.Length + b) * Symbols, Symbols));
    return (batch, x, [.. members.Select(m => labels[m])]);
}
