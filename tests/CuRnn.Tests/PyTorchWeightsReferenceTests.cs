using System.Text.Json;
using CuRnn.Tests.Support;
using CuRnn.Weights;

namespace CuRnn.Tests;

/// <summary>
/// Weights files against PyTorch itself (Debian's python3-torch): a model's <c>state_dict</c> written by PyTorch's side
/// (its own module, its own names, F32/F16/BF16) loads into CuRnn with no code and gives PyTorch's outputs; a file
/// CuRnn writes loads into PyTorch with <c>load_state_dict(strict=True)</c> and gives CuRnn's outputs.
/// </summary>
[TestFixture, Category("reference")]
public sealed class PyTorchWeightsReferenceTests
{
    [OneTimeSetUp]
    public void NeedsPython()
    {
        if (PythonTorchReference.Unavailable is { } why) Assert.Ignore(why);
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        var lstm = new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 5, HiddenSize = 6, NumLayers = 2, Bidirectional = true };
        var cases = new (string Name, RnnOptions Options)[]
        {
            ("LSTM 2-layer bi", lstm),
            ("LSTM projection", lstm with { ProjectionSize = 4, Bidirectional = false }),
            ("GRU bi", lstm with { Cell = RnnCellKind.Gru, NumLayers = 1 }),
            ("ReLU RNN 2-layer", lstm with { Cell = RnnCellKind.RnnRelu, Bidirectional = false }),
            ("tanh RNN no bias", lstm with { Cell = RnnCellKind.RnnTanh, NumLayers = 1, Bias = false }),
        };
        foreach (var (name, o) in cases)
            foreach (var dtype in new[] { "F32", "F16", "BF16" })
            {
                yield return new TestCaseData(o, dtype, true).SetArgDisplayNames(name, dtype, "from PyTorch");
                if (dtype != "F16") yield return new TestCaseData(o, dtype, false).SetArgDisplayNames(name, dtype, "to PyTorch");
            }
    }

    [TestCaseSource(nameof(Cases))]
    public void Outputs_match_pytorch(RnnOptions o, string dtype, bool fromTorch)
    {
        var r = TestData.NewRandom();
        int steps = 6, n = 4;
        int seed = r.Next();
        var lengths = TestData.MixedLengths(r, n, steps).Select(l => Math.Max(l, 1)).ToArray();   // PyTorch packs no empty sequence
        string dir = Directory.CreateTempSubdirectory("curnn-pt-weights-").FullName;
        try
        {
            string file = Path.Combine(dir, "weights.safetensors");
            Rnn<float> rnn;
            if (fromTorch)
            {
                RunPython(dir, o, dtype, lengths, steps, seed, "from_torch", x: null);
                rnn = RnnWeightsFile.CreateLayer<float>(file, "rnn.", plainRnnCell: o.Cell.GateCount() == 1 ? o.Cell : null,
                    configure: c => c with { Backend = RnnBackend.Managed });
                Assert.That(rnn.Options with { Seed = 0 }, Is.EqualTo(o with { Seed = 0, Backend = RnnBackend.Managed }), "options read from PyTorch's tensors");
            }
            else
            {
                rnn = new Rnn<float>(o with { Backend = RnnBackend.Managed });
                rnn.ResetParameters((ulong)r.NextInt64());
                rnn.SaveWeights(file, TensorDTypes.FromSafeTensorsName(dtype)!.Value, prefix: "rnn.");
                if (dtype != "F32") rnn.LoadWeights(file, "rnn.");   // compute on the values as stored
            }
            using (rnn)
            {
                var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengths);
                var x = TestData.Uniform<float>(r, batch.ElementCount(o.InputSize));
                var y = TestData.Poisoned<float>(batch.ElementCount(o.OutputFeatures));
                var hN = TestData.Poisoned<float>(o.NumLayers * o.Directions * n * o.OutputSize);
                var cN = o.Cell == RnnCellKind.Lstm ? TestData.Poisoned<float>(o.NumLayers * o.Directions * n * o.HiddenSize) : [];
                rnn.Forward(batch, new(x), new(y) { HN = hN, CN = cN });

                // PyTorch makes the same weights again from the same seed, now running them on x.
                RunPython(dir, o, dtype, lengths, steps, seed, fromTorch ? "from_torch" : "to_torch", x);
                double yError = TestData.RelativeError<float>(y, Read(dir, "y"));
                double hError = TestData.RelativeError<float>(hN, Read(dir, "hN"));
                double cError = cN.Length > 0 ? TestData.RelativeError<float>(cN, Read(dir, "cN")) : 0;
                TestContext.Out.WriteLine($"lengths [{string.Join(",", lengths)}]: y {yError:E1}, hN {hError:E1}, cN {cError:E1}");
                Assert.That(yError, Is.LessThan(1e-5), "y");
                Assert.That(hError, Is.LessThan(1e-5), "hN");
                Assert.That(cError, Is.LessThan(1e-5), "cN");
            }
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    private static double[] Read(string dir, string name) =>
        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(Path.Combine(dir, name + ".f64"))).ToArray();

    private static void RunPython(string dir, RnnOptions o, string dtype, int[] lengths, int steps, int seed, string direction, float[]? x)
    {
        var spec = new
        {
            cell = o.Cell.ToString(), input = o.InputSize, hidden = o.HiddenSize, layers = o.NumLayers, bidirectional = o.Bidirectional,
            bias = o.Bias, projection = o.ProjectionSize, steps, lengths, dtype, direction, seed,
        };
        File.WriteAllText(Path.Combine(dir, "spec.json"), JsonSerializer.Serialize(spec));
        var xs = x ?? new float[steps * lengths.Length * o.InputSize];
        File.WriteAllBytes(Path.Combine(dir, "x.f64"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(TestData.ToDouble<float>(xs).AsSpan()).ToArray());
        string script = Path.Combine(AppContext.BaseDirectory, "Reference", "pytorch_safetensors.py");
        var (code, output) = PythonTorchReference.Exec(PythonTorchReference.Python, $"\"{script}\" \"{dir}\"");
        if (code != 0) Assert.Fail($"the PyTorch script failed ({code}):\n{output}");
    }
}
