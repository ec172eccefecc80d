using CuRnn.Tests.Support;
using CuRnn.Weights;

namespace CuRnn.Tests;

/// <summary>
/// ONNX and Keras converters: round trips bit-exact, gate blocks where each framework documents them, and every
/// convention without a CuRnn equivalent refused with its reason. (That the converted weights compute the same
/// function is proven against ONNX Runtime in <see cref="OnnxRuntimeReferenceTests"/> and against Keras' layers in
/// <see cref="KerasReferenceTests"/>.)
/// </summary>
[TestFixture, Category("unit")]
public sealed class WeightConverterTests
{
    private Random _r = null!;

    [SetUp]
    public void Fresh() => _r = TestData.NewRandom();

    private Rnn<float> Layer(RnnCellKind cell, bool bi = true, int layers = 2, bool bias = true)
    {
        var rnn = new Rnn<float>(new RnnOptions
        {
            Cell = cell, InputSize = 3, HiddenSize = 4, NumLayers = layers, Bidirectional = bi, Bias = bias, Backend = RnnBackend.Managed,
        });
        rnn.ResetParameters((ulong)_r.NextInt64());
        return rnn;
    }

    /// <summary>The call throws a NotSupported or Argument exception with the fragment, and <paramref name="untouched"/> keeps its parameters.</summary>
    private static void AssertRefused(Action call, string fragment, Rnn<float> untouched)
    {
        var before = untouched.Parameters.ToArray();
        var e = Assert.Catch(() => call())!;
        TestContext.Out.WriteLine(e.Message);
        Assert.That(e, Is.InstanceOf<NotSupportedException>().Or.InstanceOf<ArgumentException>());
        Assert.That(e.Message, Does.Contain(fragment));
        Assert.That(untouched.Parameters.ToArray(), Is.EqualTo(before));
    }

    private static IEnumerable<RnnCellKind> Cells => Enum.GetValues<RnnCellKind>();

    [TestCaseSource(nameof(Cells))]
    public void Onnx_round_trip_is_bit_exact(RnnCellKind cell)
    {
        using var a = Layer(cell);
        using var b = Layer(cell);
        for (int layer = 0; layer < 2; layer++) OnnxRnnWeights.Import(b, layer, OnnxRnnWeights.Export(a, layer));
        Assert.That(b.Parameters.ToArray(), Is.EqualTo(a.Parameters.ToArray()));
    }

    [Test]
    public void Onnx_lstm_gate_blocks_are_i_o_f_c()
    {
        using var a = Layer(RnnCellKind.Lstm, bi: false, layers: 1);
        var node = OnnxRnnWeights.Export(a);
        int h = 4, n = h * 3;
        var w = a.Parameter("weight_ih_l0");   // PyTorch i, f, g, o
        Assert.That(node.W.AsSpan(1 * n, n).ToArray(), Is.EqualTo(w.Slice(3 * n, n).ToArray()), "ONNX o = PyTorch o");
        Assert.That(node.W.AsSpan(2 * n, n).ToArray(), Is.EqualTo(w.Slice(1 * n, n).ToArray()), "ONNX f = PyTorch f");
        Assert.That(node.W.AsSpan(3 * n, n).ToArray(), Is.EqualTo(w.Slice(2 * n, n).ToArray()), "ONNX c = PyTorch g");
        Assert.That(node.B!.AsSpan(16, 16).ToArray(), Is.EqualTo(OnnxOrder(a.Parameter("bias_hh_l0").ToArray())), "Rb after Wb");
        Assert.That(node.WShape, Is.EqualTo(new[] { 1, 16, 3 }));
    }

    private static float[] OnnxOrder(float[] pytorch) => [.. pytorch[0..4], .. pytorch[12..16], .. pytorch[4..8], .. pytorch[8..12]];

    [Test]
    public void Onnx_conventions_without_an_equivalent_are_refused_with_the_reason()
    {
        using var lstm = Layer(RnnCellKind.Lstm, bi: false, layers: 1);
        using var gru = Layer(RnnCellKind.Gru, bi: false, layers: 1);
        using var relu = Layer(RnnCellKind.RnnRelu, bi: false, layers: 1);
        var l = OnnxRnnWeights.Export(lstm);
        var g = OnnxRnnWeights.Export(gru);
        void Refused(Action call, string fragment) => AssertRefused(call, fragment, lstm);
        Refused(() => OnnxRnnWeights.Import(lstm, 0, l with { P = TestData.Uniform<float>(_r, 12) }), "peephole");
        Assert.DoesNotThrow(() => OnnxRnnWeights.Import(lstm, 0, l with { P = new float[12] }), "zero peepholes change nothing");
        Refused(() => OnnxRnnWeights.Import(gru, 0, g with { LinearBeforeReset = 0 }), "linear_before_reset=0");
        Refused(() => OnnxRnnWeights.Import(lstm, 0, l with { Clip = 3f }), "clips");
        Refused(() => OnnxRnnWeights.Import(lstm, 0, l with { InputForget = 1 }), "input_forget=1");
        Refused(() => OnnxRnnWeights.Import(lstm, 0, l with { Direction = "reverse" }), "direction=reverse");
        Refused(() => OnnxRnnWeights.Import(lstm, 0, l with { Activations = ["HardSigmoid", "Tanh", "Tanh"] }), "[HardSigmoid, Tanh, Tanh]");
        Refused(() => OnnxRnnWeights.Import(relu, 0, OnnxRnnWeights.Export(relu) with { Activations = null }), "default activation (Tanh); this layer is RnnRelu");
        Refused(() => OnnxRnnWeights.Import(lstm, 0, g), "takes an ONNX LSTM node; actual GRU");
        Refused(() => OnnxRnnWeights.Import(lstm, 0, l with { HiddenSize = 5 }), "hidden_size 5");
        Refused(() => OnnxRnnWeights.Import(lstm, 0, l with { W = new float[7] }), "W must be [1, 16, 3]");
        using var projected = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 3, HiddenSize = 4, ProjectionSize = 2, Backend = RnnBackend.Managed });
        Assert.That(Assert.Throws<NotSupportedException>(() => OnnxRnnWeights.Export(projected))!.Message, Does.Contain("no projection"));
    }

    [TestCase(RnnCellKind.Lstm)]
    [TestCase(RnnCellKind.Gru)]
    [TestCase(RnnCellKind.RnnTanh)]
    [TestCase(RnnCellKind.RnnRelu)]
    public void Keras_round_trip_from_keras_weights_is_bit_exact(RnnCellKind cell)
    {
        using var rnn = Layer(cell);
        int g = cell.GateCount(), h = 4;
        for (int layer = 0; layer < 2; layer++)
            for (int dir = 0; dir < 2; dir++)
            {
                int input = layer == 0 ? 3 : 8;
                var keras = new KerasRnnTensors<float>
                {
                    Layer = cell switch { RnnCellKind.Lstm => "LSTM", RnnCellKind.Gru => "GRU", _ => "SimpleRNN" },
                    Units = h, Kernel = TestData.Uniform<float>(_r, input * g * h), RecurrentKernel = TestData.Uniform<float>(_r, h * g * h),
                    Bias = TestData.Uniform<float>(_r, (cell == RnnCellKind.Gru ? 2 : 1) * g * h),
                    Activation = cell == RnnCellKind.RnnRelu ? "relu" : "tanh",
                };
                KerasRnnWeights.Import(rnn, layer, dir, keras);
                var back = KerasRnnWeights.Export(rnn, layer, dir);
                Assert.That(back.Kernel, Is.EqualTo(keras.Kernel), "kernel");
                Assert.That(back.RecurrentKernel, Is.EqualTo(keras.RecurrentKernel), "recurrent_kernel");
                Assert.That(back.Bias, Is.EqualTo(keras.Bias), "bias");
                Assert.That(back.Activation, Is.EqualTo(keras.Activation));
            }
    }

    [Test]
    public void Keras_gru_round_trip_from_curnn_is_bit_exact_and_lstm_keeps_the_bias_sum()
    {
        using var gru = Layer(RnnCellKind.Gru);
        using var gru2 = Layer(RnnCellKind.Gru);
        for (int layer = 0; layer < 2; layer++)
            for (int dir = 0; dir < 2; dir++) KerasRnnWeights.Import(gru2, layer, dir, KerasRnnWeights.Export(gru, layer, dir));
        Assert.That(gru2.Parameters.ToArray(), Is.EqualTo(gru.Parameters.ToArray()));

        using var lstm = Layer(RnnCellKind.Lstm, bi: false, layers: 1);
        using var lstm2 = Layer(RnnCellKind.Lstm, bi: false, layers: 1);
        KerasRnnWeights.Import(lstm2, 0, 0, KerasRnnWeights.Export(lstm));
        Assert.That(lstm2.Parameter("weight_hh_l0").ToArray(), Is.EqualTo(lstm.Parameter("weight_hh_l0").ToArray()));
        var sum = lstm.Parameter("bias_ih_l0").ToArray().Zip(lstm.Parameter("bias_hh_l0").ToArray(), (a, b) => a + b);
        Assert.That(lstm2.Parameter("bias_ih_l0").ToArray(), Is.EqualTo(sum));
        Assert.That(lstm2.Parameter("bias_hh_l0").ToArray(), Is.All.Zero);
    }

    [Test]
    public void Keras_gru_kernel_columns_are_z_r_h_transposed()
    {
        using var gru = Layer(RnnCellKind.Gru, bi: false, layers: 1);
        var k = KerasRnnWeights.Export(gru);
        var w = gru.Parameter("weight_ih_l0");   // [12, 3], PyTorch r, z, n
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
            {
                Assert.That(k.Kernel[i * 12 + 0 + j], Is.EqualTo(w[(4 + j) * 3 + i]), "z");
                Assert.That(k.Kernel[i * 12 + 4 + j], Is.EqualTo(w[(0 + j) * 3 + i]), "r");
                Assert.That(k.Kernel[i * 12 + 8 + j], Is.EqualTo(w[(8 + j) * 3 + i]), "h");
            }
    }

    [Test]
    public void Keras_conventions_without_an_equivalent_are_refused_with_the_reason()
    {
        using var gru = Layer(RnnCellKind.Gru, bi: false, layers: 1);
        using var lstm = Layer(RnnCellKind.Lstm, bi: false, layers: 1);
        using var tanh = Layer(RnnCellKind.RnnTanh, bi: false, layers: 1);
        var g = KerasRnnWeights.Export(gru);
        var l = KerasRnnWeights.Export(lstm);
        void Refused(Action call, string fragment) => AssertRefused(call, fragment, lstm);
        Refused(() => KerasRnnWeights.Import(gru, 0, 0, g with { ResetAfter = false, Bias = new float[12] }), "reset_after=False");
        Refused(() => KerasRnnWeights.Import(lstm, 0, 0, l with { RecurrentActivation = "hard_sigmoid" }), "hard_sigmoid");
        Refused(() => KerasRnnWeights.Import(lstm, 0, 0, l with { Activation = "relu" }), "activation='relu'");
        Refused(() => KerasRnnWeights.Import(tanh, 0, 0, KerasRnnWeights.Export(tanh) with { Activation = "relu" }), "make the layer with Cell = RnnRelu");
        Refused(() => KerasRnnWeights.Import(lstm, 0, 0, g), "takes Keras LSTM weights; actual GRU");
        Refused(() => KerasRnnWeights.Import(lstm, 0, 1, l), "direction");
        Refused(() => KerasRnnWeights.Import(gru, 0, 0, g with { Bias = new float[12] }), "bias must be [2, 12]");
    }
}
