// Streaming: a GRU fed one step at a time (audio frames, keystrokes, sensor readings), its state kept between calls,
// gives the outputs a forward over the whole sequence gives; the state can be read, and reset to a saved one.
// Exits 1 if the stream and the full forward disagree.
using CuRnn;

var random = new Random();
const int Steps = 50, Batch = 4, Inputs = 16, Hidden = 32;

using var gru = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Gru, InputSize = Inputs, HiddenSize = Hidden, NumLayers = 2 });
float[] x = new float[Steps * Batch * Inputs];
for (int i = 0; i < x.Length; i++) x[i] = random.NextSingle() * 2 - 1;

// The whole sequence at once: sequence-major [T, B, I] -> [T, B, H].
var whole = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, steps: Steps, batchSize: Batch);
float[] y = new float[whole.ElementCount(Hidden)];
gru.Forward(whole, x, y);

float[] saved = new float[2 * Batch * Hidden];
float largest = 0;

// One step at a time: [B, I] in, [B, H] out, the state carried inside the stream.
using var stream = gru.CreateStream(batchSize: Batch);
float[] yt = new float[Batch * Hidden];
for (int t = 0; t < Steps; t++)
{
    stream.Step(x.AsSpan(t * Batch * Inputs, Batch * Inputs), yt);  // step t of every sequence
    if (t == 24) stream.GetState(saved);                            // h [L, B, H] after 25 steps
    for (int i = 0; i < yt.Length; i++) largest = MathF.Max(largest, MathF.Abs(yt[i] - y[t * Batch * Hidden + i]));
}
Verdict.Check(largest < 1e-5f, $"{stream.StepsTaken} steps streamed == one forward (max |difference| {largest:G3})");

// Back to the state after step 25 and on again: the last 25 outputs repeat.
stream.Reset(saved);
largest = 0;
for (int t = 25; t < Steps; t++)
{
    stream.Step(x.AsSpan(t * Batch * Inputs, Batch * Inputs), yt);
    for (int i = 0; i < yt.Length; i++) largest = MathF.Max(largest, MathF.Abs(yt[i] - y[t * Batch * Hidden + i]));
}
Verdict.Check(largest < 1e-5f, $"resumed from a saved state: steps 26..50 repeat (max |difference| {largest:G3})");

// Reset() with no state starts from zeros, as a new sequence.
stream.Reset();
stream.Step(x.AsSpan(0, Batch * Inputs), yt);
Verdict.Check(yt.AsSpan().SequenceEqual(y.AsSpan(0, Batch * Hidden)), "after Reset() the first step repeats bit for bit");
return Verdict.ExitCode;
