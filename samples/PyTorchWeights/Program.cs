// PyTorch weights in and out: a layer saved as safetensors under PyTorch's names (what
// safetensors.torch.save_file(model.state_dict(), path) writes for a module with an `lstm` attribute), read back as
// a new layer and into an existing one, in float32 and bfloat16; the tensors listed; one layer as an ONNX LSTM node.
// Exits 1 if a round trip changes the function.
using CuRnn;
using CuRnn.Weights;

var random = new Random();
string folder = Directory.CreateTempSubdirectory("curnn-weights-").FullName;
string path = Path.Combine(folder, "model.safetensors");

using var trained = new Rnn<float>(new RnnOptions
{
    Cell = RnnCellKind.Lstm, InputSize = 10, HiddenSize = 24, NumLayers = 2, Seed = (ulong)random.NextInt64(),
});
var batch = SequenceBatch.Padded(SequenceLayout.BatchMajor, maxLength: 9, lengths: [9, 4]);
float[] x = new float[batch.ElementCount(10)], y = new float[batch.ElementCount(24)];
for (int i = 0; i < x.Length; i++) x[i] = random.NextSingle() * 2 - 1;
trained.Forward(batch, x, y);

// Save under PyTorch's names (lstm.weight_ih_l0, ...), then load: the options come from the names and shapes.
trained.SaveWeights(path, TensorDType.Float32, prefix: "lstm.");
using var lstm = RnnWeightsFile.CreateLayer<float>(path, prefix: "lstm.");
float[] yLoaded = new float[y.Length];
lstm.Forward(batch, x, yLoaded);
Verdict.Check(y.AsSpan().SequenceEqual(yLoaded), $"float32 round trip: {lstm.Options.NumLayers}-layer {lstm.Options.Cell}, H = {lstm.Options.HiddenSize}, same outputs bit for bit");

// What the file holds, as PyTorch's state_dict would list it.
using (var file = SafeTensorsFile.Open(path))
    foreach (SafeTensorInfo tensor in file.Tensors)
        Console.WriteLine($"     {tensor.Name,-20} {tensor.DType,-8} {tensor.ShapeText}");

// bfloat16 on disk (half the bytes), read into an existing layer of the same options: 8 significant bits.
string bf16 = Path.Combine(folder, "model-bf16.safetensors");
trained.SaveWeights(bf16, TensorDType.BFloat16, prefix: "lstm.");
lstm.LoadWeights(bf16, "lstm.");
float largest = 0;
for (int i = 0; i < lstm.ParameterCount; i++)
    largest = MathF.Max(largest, MathF.Abs(lstm.Parameters[i] - trained.Parameters[i]) / MathF.Max(MathF.Abs(trained.Parameters[i]), 1e-30f));
Verdict.Check(largest <= 1f / 256, $"bfloat16 round trip: largest relative change {largest:G3} (at most 2^-8); {new FileInfo(bf16).Length:N0} bytes against {new FileInfo(path).Length:N0}");

// A file from a layer with other options is refused with the option that differs.
using var other = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 10, HiddenSize = 32, NumLayers = 2 });
try
{
    other.LoadWeights(path, "lstm.");
    Verdict.Check(false, "a file for H = 24 loads into H = 32");
}
catch (InvalidDataException e)
{
    Verdict.Check(e.Message.Contains("HiddenSize"), $"refused: {e.Message}");
}

// Layer 0 as an ONNX LSTM node's W, R, B (gate order i, o, f, c), and back into a fresh layer.
OnnxRnnTensors<float> node = OnnxRnnWeights.Export(trained, layer: 0);
Console.WriteLine($"     ONNX {node.Operator}: W [{string.Join(", ", node.WShape)}], R [{string.Join(", ", node.RShape)}], B [{string.Join(", ", node.BShape)}]");
using var imported = new Rnn<float>(trained.Options with { Seed = 1 });
for (int layer = 0; layer < 2; layer++) OnnxRnnWeights.Import(imported, layer, OnnxRnnWeights.Export(trained, layer));
float[] yImported = new float[y.Length];
imported.Forward(batch, x, yImported);
Verdict.Check(y.AsSpan().SequenceEqual(yImported), "ONNX round trip: same outputs bit for bit");

Directory.Delete(folder, recursive: true);
return Verdict.ExitCode;
