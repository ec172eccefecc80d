using System.Text;
using CuRnn.Tests.Support;
using CuRnn.Weights;

namespace CuRnn.Tests;

/// <summary>
/// Weights files as strict as the safetensors format, one test per rule, and a seeded fuzz of mutated valid files
/// that allows only success or <see cref="InvalidDataException"/>; saves that fail leave no partial file; ONNX and
/// Keras imports check every tensor before writing any parameter.
/// </summary>
[TestFixture, Category("unit")]
public sealed class WeightsStrictnessTests
{
    private string _dir = null!;

    [SetUp]
    public void Fresh() => _dir = Directory.CreateTempSubdirectory("curnn-strict-").FullName;

    [TearDown]
    public void Clean() => Directory.Delete(_dir, recursive: true);

    private string Path(string name) => System.IO.Path.Combine(_dir, name);

    // A file with this header JSON and `data` bytes of data.
    private string Raw(string name, string json, int data, byte[]? headerBytes = null)
    {
        var h = headerBytes ?? Encoding.UTF8.GetBytes(json);
        var b = new byte[8 + h.Length + data];
        BitConverter.GetBytes((long)h.Length).CopyTo(b, 0);
        h.CopyTo(b, 8);
        File.WriteAllBytes(Path(name), b);
        return Path(name);
    }

    private static void Rejected(string path, params string[] fragments)
    {
        var e = Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path).Dispose())!;
        TestContext.Out.WriteLine(e.Message);
        foreach (var f in fragments) Assert.That(e.Message, Does.Contain(f));
    }

    private const string A4 = "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}";

    [Test]
    public void The_header_must_be_UTF8() =>
        Rejected(Raw("utf8", "", 0, [(byte)'{', 0xC3, 0x28, (byte)'}']), "not valid UTF-8");

    [TestCase("[2.5]", "2.5")]
    [TestCase("[-1]", "-1")]
    [TestCase("[\"2\"]", "\"2\"")]
    [TestCase("[3000000000]", "3000000000")]
    public void Dimensions_are_non_negative_integers(string shape, string shown) =>
        Rejected(Raw("dim", $"{{\"a\":{{\"dtype\":\"F32\",\"shape\":{shape},\"data_offsets\":[0,8]}}}}", 8), "tensor 'a'", shown);

    [TestCase("[0.5,8]")]
    [TestCase("[-8,0]")]
    [TestCase("[\"0\",8]")]
    public void Offsets_are_non_negative_integers(string offsets) =>
        Rejected(Raw("off", $"{{\"a\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":{offsets}}}}}", 8), "tensor 'a'", "non-negative integers");

    [Test]
    public void Tensors_must_tile_the_data()
    {
        Rejected(Raw("overlap", $"{{{A4},\"b\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}}}", 12), "'b'", "overlap");
        Rejected(Raw("gap", $"{{{A4},\"b\":{{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}}}", 16), "'b'", "unused");
        Rejected(Raw("start", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "'a'", "unused");
        Rejected(Raw("tail", $"{{{A4}}}", 12), "the file holds 12 data bytes");
        Rejected(Raw("same", $"{{{A4},\"b\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}}}", 8), "overlap");
    }

    [Test]
    public void Element_counts_that_overflow_or_disagree_with_the_offsets_are_refused()
    {
        Rejected(Raw("overflow", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2147483647,2147483647,2147483647,4],\"data_offsets\":[0,8]}}", 8), "tensor 'a'", "needs");
        Rejected(Raw("short", "{\"a\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "needs 6 bytes");
    }

    [Test]
    public void Names_and_metadata_keys_appear_once()
    {
        Rejected(Raw("twice", $"{{{A4},{A4}}}", 8), "names the tensor 'a' twice");
        Rejected(Raw("meta", $"{{\"__metadata__\":{{\"k\":\"1\",\"k\":\"2\"}},{A4}}}", 8), "'k' twice");
    }

    [Test]
    public void A_layer_index_that_does_not_fit_is_refused_with_its_tensor()
    {
        using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 2, HiddenSize = 3 });
        var w = new SafeTensorsWriter();
        RnnWeightsFile.Add(w, rnn);
        w.Add<float>("weight_ih_l99999999999", [9, 2], new float[18]);
        w.Save(Path("index.safetensors"));
        var e = Assert.Throws<InvalidDataException>(() => RnnWeightsFile.ReadOptions(Path("index.safetensors")))!;
        Assert.That(e.Message, Does.Contain("weight_ih_l99999999999"));
    }

    [Test]
    public void A_failed_save_leaves_no_partial_file_and_names_dtype()
    {
        using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 2, HiddenSize = 3 });
        Directory.CreateDirectory(Path("target"));
        Assert.That(() => rnn.SaveWeights(Path("target")), Throws.InstanceOf<IOException>().Or.InstanceOf<UnauthorizedAccessException>());
        Assert.That(Directory.GetFiles(_dir), Is.Empty, "no .partial left behind");
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => rnn.SaveWeights(Path("x.safetensors"), (TensorDType)77))!;
        Assert.That(e.ParamName, Is.EqualTo("dtype"));
    }

    [Test]
    public void Onnx_and_Keras_imports_write_nothing_when_a_tensor_is_missing()
    {
        using var lstm = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 2, HiddenSize = 3 });
        var before = lstm.Parameters.ToArray();
        var onnx = OnnxRnnWeights.Export(lstm);
        Assert.Throws<ArgumentException>(() => OnnxRnnWeights.Import(lstm, 0, onnx with { R = null! }));
        Assert.Throws<ArgumentException>(() => OnnxRnnWeights.Import(lstm, 0, onnx with { W = null! }));
        var keras = KerasRnnWeights.Export(lstm, 0, 0);
        Assert.Throws<ArgumentException>(() => KerasRnnWeights.Import(lstm, 0, 0, keras with { RecurrentKernel = null! }));
        Assert.Throws<ArgumentException>(() => KerasRnnWeights.Import(lstm, 0, 0, keras with { Kernel = null! }));
        Assert.That(lstm.Parameters.ToArray(), Is.EqualTo(before), "nothing written");
    }

    /// <summary>Thousands of mutations of valid files (bytes of the header flipped, numbers and keys rewritten,
    /// lengths cut or grown): opening and reading every tensor either works or throws InvalidDataException.</summary>
    [Test]
    public void Mutated_files_open_or_fail_with_InvalidDataException_only()
    {
        var r = TestData.NewRandom();
        using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 3, HiddenSize = 4, NumLayers = 2, Bidirectional = true });
        rnn.SaveWeights(Path("valid.safetensors"), TensorDType.BFloat16, prefix: "gru.");
        byte[] valid = File.ReadAllBytes(Path("valid.safetensors"));
        int headerLength = (int)BitConverter.ToInt64(valid, 0);
        string header = Encoding.UTF8.GetString(valid, 8, headerLength);
        int opened = 0, rejected = 0;
        for (int i = 0; i < 3000; i++)
        {
            byte[] bytes = Mutate(r, valid, header, headerLength);
            File.WriteAllBytes(Path("m.safetensors"), bytes);
            try
            {
                using var file = SafeTensorsFile.Open(Path("m.safetensors"));
                foreach (var t in file.Tensors) file.Read<float>(t.Name);
                try { using var layer = RnnWeightsFile.CreateLayer<float>(Path("m.safetensors"), prefix: "gru."); }
                catch (InvalidDataException) { }   // a readable file whose layer cannot be loaded
                opened++;
            }
            catch (InvalidDataException) { rejected++; }
            catch (Exception e) { Assert.Fail($"mutation {i}: {e.GetType().Name}: {e.Message}"); }
        }
        TestContext.Out.WriteLine($"{opened} mutated files opened, {rejected} rejected");
        Assert.That(rejected, Is.GreaterThan(0));
    }

    private static byte[] Mutate(Random r, byte[] valid, string header, int headerLength)
    {
        switch (r.Next(6))
        {
            case 0:   // flip bytes of the header
            {
                var b = (byte[])valid.Clone();
                for (int k = r.Next(1, 4); k > 0; k--) b[8 + r.Next(headerLength)] ^= (byte)(1 << r.Next(8));
                return b;
            }
            case 1:   // rewrite one number of the header
            {
                var numbers = System.Text.RegularExpressions.Regex.Matches(header, @"\d+");
                var m = numbers[r.Next(numbers.Count)];
                string[] replacements = ["-1", "0", "1.5", "99999999999999999999", "2147483648", $"{long.Parse(m.Value) + 2}", "\"7\"", "1e3"];
                return WithHeader(header[..m.Index] + replacements[r.Next(replacements.Length)] + header[(m.Index + m.Length)..], valid, headerLength);
            }
            case 2:   // cut or grow the file
            {
                int size = Math.Max(0, valid.Length + r.Next(-40, 40));
                var b = new byte[size];
                Array.Copy(valid, b, Math.Min(size, valid.Length));
                return b;
            }
            case 3:   // a wrong header length
            {
                var b = (byte[])valid.Clone();
                BitConverter.GetBytes(r.Next(3) switch { 0 => -1L, 1 => (long)r.Next(0, headerLength * 2), _ => long.MaxValue }).CopyTo(b, 0);
                return b;
            }
            case 4:   // rename a key, or swap a dtype
            {
                string[] from = ["\"dtype\"", "\"shape\"", "\"data_offsets\"", "\"BF16\"", "gru.weight_ih_l1", "__metadata__"];
                string[] to = ["\"dtyp\"", "\"shape\":[],\"x\"", "\"data_offsets\":[0,0],\"y\"", "\"F32\"", "gru.weight_ih_l1_reverse", "meta"];
                int k = r.Next(from.Length);
                int at = header.IndexOf(from[k], StringComparison.Ordinal);
                return at < 0 ? valid : WithHeader(header[..at] + to[k] + header[(at + from[k].Length)..], valid, headerLength);
            }
            default:   // data bytes are free; flip some anyway
            {
                var b = (byte[])valid.Clone();
                if (b.Length > 8 + headerLength) b[8 + headerLength + r.Next(b.Length - 8 - headerLength)] ^= 0xFF;
                return b;
            }
        }
    }

    private static byte[] WithHeader(string header, byte[] valid, int oldLength)
    {
        var h = Encoding.UTF8.GetBytes(header);
        var b = new byte[8 + h.Length + valid.Length - 8 - oldLength];
        BitConverter.GetBytes((long)h.Length).CopyTo(b, 0);
        h.CopyTo(b, 8);
        Array.Copy(valid, 8 + oldLength, b, 8 + h.Length, valid.Length - 8 - oldLength);
        return b;
    }
}
