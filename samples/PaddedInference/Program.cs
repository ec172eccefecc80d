// Inference on a padded batch whose sequences have their own lengths: a 2-layer bidirectional LSTM,
// the same batch packed, and static mode against dynamic. Exits 1 if any result disagrees.
using CuRnn;

var random = new Random();

// A 2-layer bidirectional LSTM, PyTorch's nn.LSTM(64, 128, num_layers=2, bidirectional=True).
using var lstm = new Rnn<float>(new RnnOptions
{
    Cell = RnnCellKind.Lstm, InputSize = 64, HiddenSize = 128, NumLayers = 2, Bidirectional = true,
});

// A padded, sequence-major batch [T=20, B=3, I=64] whose sequences have their own lengths.
var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, maxLength: 20, lengths: [20, 7, 0]);
float[] x = new float[batch.ElementCount(64)];                  // [T, B, I]
float[] y = new float[batch.ElementCount(2 * 128)];             // [T, B, D*H]; padding written as 0
float[] hN = new float[2 * 2 * 3 * 128];                        // [L*D, B, H]: each sequence's own last step
float[] cN = new float[hN.Length];
for (int i = 0; i < x.Length; i++) x[i] = random.NextSingle() * 2 - 1;
lstm.Forward(batch, x, new(y) { HN = hN, CN = cN });
Console.WriteLine($"{lstm.Options.Cell} on {lstm.Backend}: {lstm.Selection.Reason}");   // why Auto chose it

// Weights by PyTorch name and shape, in one flat buffer (lstm.Parameters) in PyTorch's _flat_weights order.
Span<float> whh = lstm.Parameter("weight_hh_l1_reverse");       // [4*H, H], gates i, f, g, o
Verdict.Check(whh.Length == 4 * 128 * 128, $"weight_hh_l1_reverse holds 4*H*H = {whh.Length} values");

// The memory a call will need, before running it.
RnnMemoryPlan plan = lstm.PlanMemory(batch, training: true);
Console.WriteLine($"     training on this batch: {plan.HostBytes:N0} bytes of host memory ({plan.Remarks})");

// Step t of sequence b is row t*B + b; every step past a sequence's length is exactly 0.
int paddingWritten = 0;
for (int t = 0; t < 20; t++)
    for (int b = 0; b < 3; b++)
        if (t >= batch.Lengths[b])
            paddingWritten += y.AsSpan((t * 3 + b) * 256, 256).ContainsAnyExcept(0f) ? 1 : 0;
Verdict.Check(paddingWritten == 0, "padding steps are 0");
Verdict.Check(y.AsSpan(0, 256).ContainsAnyExcept(0f), "the first step of sequence 0 is computed");

// Static mode (one launch per step) computes the same function as dynamic mode (one fused call).
float[] yStatic = new float[y.Length];
lstm.Forward(batch, x, yStatic, ExecutionMode.Static);
Verdict.Check(MaxDifference(y, yStatic) < 1e-5f, $"static == dynamic (max |difference| {MaxDifference(y, yStatic):G3})");

// The same sequences packed (PyTorch's PackedSequence.data), in the caller's order: rows are the steps of the
// sequences that are still running at each time, longest first.
var packed = SequenceBatch.Packed([20, 7, 0]);
float[] xPacked = new float[packed.ElementCount(64)], yPacked = new float[packed.ElementCount(256)];
float[] hNPacked = new float[hN.Length];
int row = 0;
for (int t = 0; t < 20; t++)
    foreach (int b in packed.PackedOrder)
        if (t < batch.Lengths[b])
        {
            x.AsSpan((t * 3 + b) * 64, 64).CopyTo(xPacked.AsSpan(row * 64, 64));
            row++;
        }
lstm.Forward(packed, xPacked, new(yPacked) { HN = hNPacked });
Verdict.Check(MaxDifference(hN, hNPacked) < 1e-5f, $"packed hN == padded hN (max |difference| {MaxDifference(hN, hNPacked):G3})");

return Verdict.ExitCode;

static float MaxDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
{
    float max = 0;
    for (int i = 0; i < a.Length; i++) max = MathF.Max(max, MathF.Abs(a[i] - b[i]));
    return max;
}
