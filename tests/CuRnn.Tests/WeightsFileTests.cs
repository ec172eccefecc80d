using System.Text;
using CuRnn.Tests.Support;
using CuRnn.Weights;

namespace CuRnn.Tests;

/// <summary>
/// Safetensors files with PyTorch's names: bit-exact round trips in F32/F64, F16/BF16 rounding, strict reading
/// (missing, extra, misshapen tensors; other options; wrong prefix; broken files), and that a rejected load writes nothing.
/// </summary>
[TestFixture, Category("unit")]
public sealed class WeightsFileTests
{
    private string _dir = null!;
    private Random _r = null!;

    [SetUp]
    public void Fresh()
    {
        _r = TestData.NewRandom();
        _dir = Directory.CreateTempSubdirectory("curnn-weights-").FullName;
    }

    [TearDown]
    public void Clean() => Directory.Delete(_dir, recursive: true);

    private string File(string name) => Path.Combine(_dir, name);

    private Rnn<T> Layer<T>(RnnOptions o) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var rnn = new Rnn<T>(o with { Backend = RnnBackend.Managed });
        rnn.ResetParameters((ulong)_r.NextInt64());
        return rnn;
    }

    public static IEnumerable<TestCaseData> Shapes()
    {
        yield return new TestCaseData(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 5, HiddenSize = 6, NumLayers = 2, Bidirectional = true }).SetArgDisplayNames("LSTM 2-layer bi");
        yield return new TestCaseData(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 5, HiddenSize = 6, NumLayers = 2, ProjectionSize = 3 }).SetArgDisplayNames("LSTM projection");
        yield return new TestCaseData(new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 4, HiddenSize = 7, Bidirectional = true }).SetArgDisplayNames("GRU bi");
        yield return new TestCaseData(new RnnOptions { Cell = RnnCellKind.RnnRelu, InputSize = 3, HiddenSize = 5, NumLayers = 3, Bias = false }).SetArgDisplayNames("ReLU RNN no bias");
    }

    [TestCaseSource(nameof(Shapes))]
    public void Float32_round_trip_is_bit_exact_and_options_come_back(RnnOptions o)
    {
        using var saved = Layer<float>(o);
        saved.SaveWeights(File("a.safetensors"), prefix: "rnn.");
        using var loaded = RnnWeightsFile.CreateLayer<float>(File("a.safetensors"), prefix: "rnn.", configure: x => x with { Backend = RnnBackend.Managed });
        Assert.That(loaded.Options with { Seed = 0 }, Is.EqualTo(o with { Seed = 0, Backend = RnnBackend.Managed }));
        Assert.That(loaded.Parameters.ToArray(), Is.EqualTo(saved.Parameters.ToArray()));
    }

    [Test]
    public void Float64_layer_round_trips_bit_exact_through_F64_and_reads_F32_files()
    {
        var o = new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 4, HiddenSize = 5 };
        using var saved = Layer<double>(o);
        using var loaded = Layer<double>(o);
        saved.SaveWeights(File("d.safetensors"), TensorDType.Float64);
        loaded.LoadWeights(File("d.safetensors"));
        Assert.That(loaded.Parameters.ToArray(), Is.EqualTo(saved.Parameters.ToArray()));

        saved.SaveWeights(File("f.safetensors"), TensorDType.Float32);
        using var single = new Rnn<float>(o with { Backend = RnnBackend.Managed });
        single.LoadWeights(File("f.safetensors"));
        loaded.LoadWeights(File("f.safetensors"));
        for (int i = 0; i < saved.ParameterCount; i++)
        {
            Assert.That(single.Parameters[i], Is.EqualTo((float)saved.Parameters[i]));
            Assert.That(loaded.Parameters[i], Is.EqualTo((double)(float)saved.Parameters[i]));
        }
    }

    [TestCase(TensorDType.Float16)]
    [TestCase(TensorDType.BFloat16)]
    public void Half_precision_files_hold_the_nearest_values(TensorDType dtype)
    {
        var o = new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 6, HiddenSize = 8 };
        using var saved = Layer<float>(o);
        using var loaded = Layer<float>(o);
        saved.SaveWeights(File("h.safetensors"), dtype);
        loaded.LoadWeights(File("h.safetensors"));
        for (int i = 0; i < saved.ParameterCount; i++)
        {
            float v = saved.Parameters[i], got = loaded.Parameters[i];
            // Nearest representable: no other value of the format is closer (ties to even aside).
            float expected = dtype == TensorDType.Float16 ? (float)(Half)v : NearestBFloat16(v);
            Assert.That(got, Is.EqualTo(expected), $"element {i} ({v})");
        }
        Assert.That(new FileInfo(File("h.safetensors")).Length, Is.LessThan(8 + 4096 + 2 * saved.ParameterCount + 1));
    }

    // Independent of the writer: pick the closer of the two bfloat16 neighbours by exact arithmetic in double.
    private static float NearestBFloat16(float v)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        float down = BitConverter.UInt32BitsToSingle(bits & 0xFFFF0000u);
        float up = BitConverter.UInt32BitsToSingle((bits & 0xFFFF0000u) + 0x10000u);
        double dDown = Math.Abs((double)v - down), dUp = Math.Abs((double)up - v);
        if (dDown != dUp) return dDown < dUp ? down : up;
        return ((bits >> 16) & 1) == 0 ? down : up;
    }

    [Test]
    public void Layout_matches_the_safetensors_format()
    {
        using var rnn = Layer<float>(new RnnOptions { Cell = RnnCellKind.RnnTanh, InputSize = 2, HiddenSize = 3 });
        rnn.SaveWeights(File("l.safetensors"), prefix: "m.");
        var bytes = System.IO.File.ReadAllBytes(File("l.safetensors"));
        long headerLength = BitConverter.ToInt64(bytes, 0);
        Assert.That((8 + headerLength) % 8, Is.Zero, "data starts 8-byte aligned");
        using var doc = System.Text.Json.JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        var w = doc.RootElement.GetProperty("m.weight_hh_l0");
        Assert.That(w.GetProperty("dtype").GetString(), Is.EqualTo("F32"));
        Assert.That(w.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()), Is.EqualTo(new[] { 3, 3 }));
        long begin = w.GetProperty("data_offsets")[0].GetInt64();
        var stored = MemoryMarshalFloats(bytes.AsSpan((int)(8 + headerLength + begin), 9 * 4));
        Assert.That(stored, Is.EqualTo(rnn.Parameter("weight_hh_l0").ToArray()));
        Assert.That(doc.RootElement.GetProperty("m.bias_ih_l0").GetProperty("shape").GetArrayLength(), Is.EqualTo(1), "biases are 1-D as in PyTorch");
        Assert.That(doc.RootElement.GetProperty("__metadata__").GetProperty("m.curnn.layer").GetString(), Does.Contain("cell=RnnTanh"));
    }

    private static float[] MemoryMarshalFloats(ReadOnlySpan<byte> b) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(b).ToArray();

    // --- strict reading ---------------------------------------------------------------------------------

    private static readonly RnnOptions Lstm = new() { Cell = RnnCellKind.Lstm, InputSize = 4, HiddenSize = 5, NumLayers = 2 };

    /// <summary>Writes the layer's tensors by name with a change, to make files a real writer might produce.</summary>
    private string Write(Rnn<float> rnn, string prefix, Func<string, int[], float[], (string, int[], float[])?> change, string name = "x.safetensors", params (string, int[])[] extra)
    {
        var w = new SafeTensorsWriter();
        foreach (var p in rnn.ParameterInfos)
        {
            var t = change(p.Name, p.Shape, rnn.Parameter(p.Name).ToArray());
            if (t is { } kept) w.Add<float>(prefix + kept.Item1, kept.Item2, kept.Item3);
        }
        foreach (var (n, shape) in extra) w.Add<float>(n, shape, TestData.Uniform<float>(_r, shape.Aggregate(1, (a, b) => a * b)));
        w.Save(File(name));
        return File(name);
    }

    private void AssertRejected(Rnn<float> rnn, string path, string prefix, params string[] fragments)
    {
        var before = rnn.Parameters.ToArray();
        var e = Assert.Throws<InvalidDataException>(() => rnn.LoadWeights(path, prefix))!;
        TestContext.Out.WriteLine(e.Message);
        foreach (var f in fragments) Assert.That(e.Message, Does.Contain(f));
        Assert.That(rnn.Parameters.ToArray(), Is.EqualTo(before), "a rejected load writes nothing");
    }

    [Test]
    public void A_missing_tensor_is_named_with_its_expected_shape()
    {
        using var rnn = Layer<float>(Lstm);
        string path = Write(rnn, "lstm.", (n, s, v) => n == "bias_hh_l1" ? null : (n, s, v));
        AssertRejected(rnn, path, "lstm.", "'lstm.bias_hh_l1' is missing (expected [20])");
    }

    [Test]
    public void An_extra_tensor_under_the_prefix_is_named_and_other_modules_are_left_alone()
    {
        using var rnn = Layer<float>(Lstm);
        string path = Write(rnn, "lstm.", (n, s, v) => (n, s, v), extra: [("lstm.weight_hr_l0", [2, 5]), ("head.weight", [3, 5])]);
        AssertRejected(rnn, path, "lstm.", "ProjectionSize is 2 in the file");
        path = Write(rnn, "lstm.", (n, s, v) => (n, s, v), "y.safetensors", ("lstm.scale", [5]), ("head.weight", [3, 5]));
        AssertRejected(rnn, path, "lstm.", "'lstm.scale' [5] is not a parameter of this layer");
        path = Write(rnn, "lstm.", (n, s, v) => (n, s, v), "z.safetensors", ("head.weight", [3, 5]));
        Assert.DoesNotThrow(() => rnn.LoadWeights(path, "lstm."), "tensors of other modules are not this layer's business");
    }

    [Test]
    public void A_misshapen_tensor_is_named_with_both_shapes()
    {
        using var rnn = Layer<float>(Lstm);
        string path = Write(rnn, "", (n, s, v) => n == "weight_ih_l1" ? (n, [20, 4], v.AsSpan(0, 80).ToArray()) : (n, s, v));
        AssertRejected(rnn, path, "", "'weight_ih_l1' is [20, 4]; expected [20, 5]");
    }

    [Test]
    public void A_file_from_a_layer_with_other_options_says_which_option_differs()
    {
        using var other = Layer<float>(Lstm with { HiddenSize = 6, Bidirectional = true });
        other.SaveWeights(File("o.safetensors"), prefix: "enc.");
        using var rnn = Layer<float>(Lstm);
        AssertRejected(rnn, File("o.safetensors"), "enc.",
            "HiddenSize is 6 in the file (enc.weight_hh_l0 is [24, 6]), 5 in this layer",
            "Bidirectional is True in the file (it has _reverse tensors), False in this layer");

        using var gru = Layer<float>(Lstm with { Cell = RnnCellKind.Gru });
        gru.SaveWeights(File("g.safetensors"));
        AssertRejected(rnn, File("g.safetensors"), "", "Cell is Gru in the file (the file's metadata says cell=Gru), Lstm in this layer");

        using var relu = Layer<float>(new RnnOptions { Cell = RnnCellKind.RnnRelu, InputSize = 4, HiddenSize = 5 });
        using var tanh = Layer<float>(relu.Options with { Cell = RnnCellKind.RnnTanh });
        relu.SaveWeights(File("r.safetensors"));
        AssertRejected(tanh, File("r.safetensors"), "", "Cell is RnnRelu in the file");
    }

    [Test]
    public void A_wrong_prefix_gets_the_prefix_the_file_has()
    {
        using var rnn = Layer<float>(Lstm);
        rnn.SaveWeights(File("p.safetensors"), prefix: "model.encoder.");
        AssertRejected(rnn, File("p.safetensors"), "", "no tensor 'weight_ih_l0'", "under the prefix 'model.encoder.'");
    }

    [Test]
    public void A_plain_rnn_from_pytorch_needs_its_nonlinearity()
    {
        using var rnn = Layer<float>(new RnnOptions { Cell = RnnCellKind.RnnRelu, InputSize = 3, HiddenSize = 4 });
        string path = Write(rnn, "", (n, s, v) => (n, s, v));   // no metadata, as PyTorch writes it
        var e = Assert.Throws<InvalidDataException>(() => RnnWeightsFile.ReadOptions(path))!;
        Assert.That(e.Message, Does.Contain("tanh or ReLU"));
        Assert.That(RnnWeightsFile.ReadOptions(path, plainRnnCell: RnnCellKind.RnnRelu).Cell, Is.EqualTo(RnnCellKind.RnnRelu));
        using var tanh = Layer<float>(rnn.Options with { Cell = RnnCellKind.RnnTanh });
        Assert.DoesNotThrow(() => tanh.LoadWeights(path), "either nonlinearity takes a plain RNN's tensors");
        Assert.That(tanh.Parameters.ToArray(), Is.EqualTo(rnn.Parameters.ToArray()));
    }

    [Test]
    public void Broken_files_say_what_is_wrong()
    {
        string Bytes(string name, byte[] b) { System.IO.File.WriteAllBytes(File(name), b); return File(name); }
        byte[] WithHeader(string json, int dataBytes)
        {
            var h = Encoding.UTF8.GetBytes(json);
            var b = new byte[8 + h.Length + dataBytes];
            BitConverter.GetBytes((long)h.Length).CopyTo(b, 0);
            h.CopyTo(b, 8);
            return b;
        }
        void Bad(string path, string fragment)
        {
            var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path).Dispose())!;
            TestContext.Out.WriteLine(e.Message);
            Assert.That(e.Message, Does.Contain(fragment));
        }
        Bad(Bytes("empty", []), "0 bytes long");
        Bad(Bytes("long", BitConverter.GetBytes(1000L).Concat(new byte[] { 1, 2 }).ToArray()), "header length says 1000 bytes but only 2 follow");
        Bad(Bytes("json", WithHeader("{not json", 0)), "not valid JSON");
        Bad(Bytes("dtype", WithHeader("{\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8)), "dtype I64");
        Bad(Bytes("range", WithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8)), "outside the 8 data bytes");
        Bad(Bytes("size", WithHeader("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8)), "needs 12 bytes");
        Assert.Throws<FileNotFoundException>(() => SafeTensorsFile.Open(File("absent")));
    }

    [Test]
    public void Several_layers_and_other_tensors_share_one_file()
    {
        using var encoder = Layer<float>(Lstm);
        using var decoder = Layer<float>(new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 5, HiddenSize = 3 });
        var w = new SafeTensorsWriter();
        RnnWeightsFile.Add(w, encoder, "encoder.");
        RnnWeightsFile.Add(w, decoder, "decoder.", TensorDType.BFloat16);
        var head = TestData.Uniform<float>(_r, 6);
        w.Add<float>("head.weight", [2, 3], head);
        w.Save(File("m.safetensors"));

        using var file = SafeTensorsFile.Open(File("m.safetensors"));
        using var e2 = Layer<float>(Lstm);
        using var d2 = Layer<float>(decoder.Options);
        RnnWeightsFile.Load(e2, file, "encoder.");
        RnnWeightsFile.Load(d2, file, "decoder.");
        Assert.That(e2.Parameters.ToArray(), Is.EqualTo(encoder.Parameters.ToArray()));
        Assert.That(RnnWeightsFile.ReadOptions(file, "decoder.").Cell, Is.EqualTo(RnnCellKind.Gru));
        Assert.That(file.Read<float>("head.weight"), Is.EqualTo(head));
        Assert.That(file.Find("decoder.weight_ih_l0")!.DType, Is.EqualTo(TensorDType.BFloat16));
    }
}
