using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>One test per invalid-input rule: the exception names the argument with expected and actual values, outputs stay untouched, the layer stays usable.</summary>
[TestFixture, Category("unit")]
public sealed class ValidationTests
{
    private static readonly RnnOptions Lstm = new() { Cell = RnnCellKind.Lstm, InputSize = 3, HiddenSize = 4, NumLayers = 2, Backend = RnnBackend.Managed };
    private static readonly RnnOptions Gru = Lstm with { Cell = RnnCellKind.Gru };
    private SequenceBatch _batch = null!;
    private Random _r = null!;

    [SetUp]
    public void Fresh()
    {
        _r = TestData.NewRandom();
        _batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, 3, [3, 1]);
    }

    private float[] X(RnnOptions o) => TestData.Uniform<float>(_r, _batch.ElementCount(o.InputSize));
    private float[] Y(RnnOptions o) => TestData.Uniform<float>(_r, _batch.ElementCount(o.OutputFeatures));

    private static void AssertStillWorks(Rnn<float> rnn, SequenceBatch batch)
    {
        var y = TestData.Poisoned<float>(batch.ElementCount(rnn.Options.OutputFeatures));
        rnn.Forward(batch, TestData.Uniform<float>(new Random(3), batch.ElementCount(rnn.Options.InputSize)), y);
        Assert.That(TestData.AllFinite<float>(y), Is.True, "the layer still works after the rejected call");
    }

    private static void AssertMessage(Exception e, string param, params string[] parts)
    {
        Assert.That(e.Message, Does.Contain(param));
        foreach (var p in parts) Assert.That(e.Message, Does.Contain(p));
    }

    [Test]
    public void Options_out_of_range_are_named()
    {
        Assert.Multiple(() =>
        {
            AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => new Rnn<float>(Lstm with { InputSize = 0 }))!, "InputSize", ">= 1", "actual 0");
            AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => new Rnn<float>(Lstm with { HiddenSize = -2 }))!, "HiddenSize", "actual -2");
            AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => new Rnn<float>(Lstm with { NumLayers = 0 }))!, "NumLayers", "actual 0");
            AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => new Rnn<float>(Lstm with { ProjectionSize = 4 }))!, "ProjectionSize", "< HiddenSize (4)", "actual 4");
            AssertMessage(Assert.Throws<ArgumentException>(() => new Rnn<float>(Gru with { ProjectionSize = 2 }))!, "ProjectionSize", "only for LSTM");
            AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => new Rnn<float>(Lstm with { Dropout = 1.5 }))!, "Dropout", "[0, 1]", "1.5");
            Assert.Throws<ArgumentNullException>(() => new Rnn<float>(null!));
        });
    }

    [Test]
    public void Only_float_and_double_are_supported() =>
        AssertMessage(Assert.Throws<NotSupportedException>(() => new Rnn<Half>(Lstm))!, "T", "float or double", "Half");

    [Test]
    public void Lengths_outside_0_to_T_are_named() =>
        AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => SequenceBatch.Padded(SequenceLayout.SequenceMajor, 3, [2, 4]))!, "lengths[1]", "0..3", "actual 4");

    [Test]
    public void Negative_lengths_are_named() =>
        AssertMessage(Assert.Throws<ArgumentOutOfRangeException>(() => SequenceBatch.Padded(SequenceLayout.BatchMajor, 3, [-1]))!, "lengths[0]", "actual -1");

    [Test]
    public void Packed_lengths_may_come_in_any_order()
    {
        var batch = SequenceBatch.Packed([2, 3, 0, 3]);
        Assert.Multiple(() =>
        {
            Assert.That(batch.MaxLength, Is.EqualTo(3));
            Assert.That(batch.TotalSteps, Is.EqualTo(8));
            Assert.That(batch.PackedOrder.ToArray(), Is.EqualTo(new[] { 1, 3, 0, 2 }), "longest first, ties in the caller's order");
        });
    }

    [Test]
    public void Gradients_are_read_by_parameter_name()
    {
        using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 3, HiddenSize = 4, NumLayers = 2, Bidirectional = true });
        var grads = new float[rnn.ParameterCount];
        for (int i = 0; i < grads.Length; i++) grads[i] = i;
        Assert.Multiple(() =>
        {
            foreach (var info in rnn.ParameterInfos)
            {
                var g = rnn.Gradient(grads, info.Name);
                Assert.That(g.Length, Is.EqualTo(info.Length), info.Name);
                Assert.That(g[0], Is.EqualTo((float)info.Offset), info.Name);
            }
            AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Gradient(new float[3], "weight_hh_l0"))!, "gradients", $"{rnn.ParameterCount}", "actual 3");
            Assert.Throws<KeyNotFoundException>(() => rnn.Gradient(grads, "weight_hh_l7"));
        });
    }

    [Test]
    public void Empty_batch_is_refused() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => SequenceBatch.Padded(SequenceLayout.SequenceMajor, 3, []))!, "lengths", "at least one");

    [Test]
    public void Packed_layout_needs_the_packed_factory() =>
        AssertMessage(Assert.Throws<ArgumentException>(() => SequenceBatch.Padded(SequenceLayout.Packed, 3, [1]))!, "layout", "SequenceBatch.Packed");

    [Test]
    public void Wrong_input_length_is_named_and_outputs_untouched()
    {
        using var rnn = new Rnn<float>(Lstm);
        var y = Y(Lstm);
        var before = (float[])y.Clone();
        var e = Assert.Throws<ArgumentException>(() => rnn.Forward(_batch, new float[5], y))!;
        AssertMessage(e, "x", "18", "actual 5", "T=3, B=2, I=3");
        Assert.That(y, Is.EqualTo(before));
        AssertStillWorks(rnn, _batch);
    }

    [Test]
    public void Wrong_output_length_is_named()
    {
        using var rnn = new Rnn<float>(Lstm);
        AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Forward(_batch, X(Lstm), new float[7]))!, "y", "24", "actual 7");
        AssertStillWorks(rnn, _batch);
    }

    [Test]
    public void Wrong_state_lengths_are_named()
    {
        using var rnn = new Rnn<float>(Lstm);
        var y = Y(Lstm);
        var before = (float[])y.Clone();
        Assert.Multiple(() =>
        {
            AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Forward(_batch, new(X(Lstm)) { H0 = new float[3] }, new(y)))!, "h0", "16", "actual 3");
            AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Forward(_batch, new(X(Lstm)) { C0 = new float[3] }, new(y)))!, "c0", "16", "actual 3");
            AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Forward(_batch, new(X(Lstm)), new(y) { HN = new float[3] }))!, "hN", "16", "actual 3");
            AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Forward(_batch, new(X(Lstm)), new(y) { CN = new float[3] }))!, "cN", "16", "actual 3");
        });
        Assert.That(y, Is.EqualTo(before));
        AssertStillWorks(rnn, _batch);
    }

    [Test]
    public void Cell_state_on_a_non_lstm_layer_is_refused()
    {
        using var rnn = new Rnn<float>(Gru);
        AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Forward(_batch, new(X(Gru)) { C0 = new float[16] }, new(Y(Gru))))!, "c0", "only for LSTM", "Gru");
        AssertStillWorks(rnn, _batch);
    }

    [Test]
    public void Output_overlapping_an_input_is_refused()
    {
        using var rnn = new Rnn<float>(Lstm);
        var shared = TestData.Uniform<float>(_r, 100);
        AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Forward(_batch, shared.AsSpan(0, 18), shared.AsSpan(10, 24)))!, "y", "overlaps x");
        AssertStillWorks(rnn, _batch);
    }

    [Test]
    public void Wrong_gradient_buffer_length_is_named()
    {
        using var rnn = new Rnn<float>(Lstm);
        var tape = rnn.ForwardTraining(_batch, X(Lstm), Y(Lstm));
        AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Backward(tape, Y(Lstm), default, new float[10]))!, "gradients", rnn.ParameterCount.ToString(), "actual 10");
        Assert.That(tape.IsUsed, Is.False, "a rejected backward leaves the tape usable");
        rnn.Backward(tape, Y(Lstm), default, new float[rnn.ParameterCount]);
    }

    [Test]
    public void Wrong_output_gradient_length_is_named()
    {
        using var rnn = new Rnn<float>(Lstm);
        using var tape = rnn.ForwardTraining(_batch, X(Lstm), Y(Lstm));
        AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Backward(tape, new float[2], default, default))!, "dy", "24", "actual 2");
    }

    [Test]
    public void A_tape_serves_one_backward()
    {
        using var rnn = new Rnn<float>(Lstm);
        var tape = rnn.ForwardTraining(_batch, X(Lstm), Y(Lstm));
        rnn.Backward(tape, Y(Lstm), default, default);
        AssertMessage(Assert.Throws<InvalidOperationException>(() => rnn.Backward(tape, Y(Lstm), default, default))!, "tape", "already used");
    }

    [Test]
    public void Backward_needs_a_tape_from_this_layer()
    {
        using var rnn = new Rnn<float>(Lstm);
        using var other = new Rnn<float>(Lstm);
        using var tape = other.ForwardTraining(_batch, X(Lstm), Y(Lstm));
        AssertMessage(Assert.Throws<ArgumentException>(() => rnn.Backward(tape, Y(Lstm), default, default))!, "tape", "another layer");
        Assert.Throws<ArgumentNullException>(() => rnn.Backward(null!, Y(Lstm), default, default));
    }

    [Test]
    public void A_disposed_tape_is_refused()
    {
        using var rnn = new Rnn<float>(Lstm);
        var tape = rnn.ForwardTraining(_batch, X(Lstm), Y(Lstm));
        tape.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rnn.Backward(tape, Y(Lstm), default, default));
    }

    [Test]
    public void A_disposed_layer_is_refused()
    {
        var rnn = new Rnn<float>(Lstm);
        rnn.Dispose();
        Assert.Throws<ObjectDisposedException>(() => rnn.Forward(_batch, X(Lstm), Y(Lstm)));
        Assert.Throws<ObjectDisposedException>(() => _ = rnn.Parameters);
    }

    [Test]
    public void Two_threads_in_one_layer_get_a_plain_words_exception()
    {
        using var rnn = new Rnn<float>(Lstm with { HiddenSize = 256, InputSize = 256 });
        var batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 200, 8);
        var x = TestData.Uniform<float>(_r, batch.ElementCount(256));
        using var start = new Barrier(2);
        Exception? caught = null;
        void Work()
        {
            var y = new float[batch.ElementCount(256)];
            start.SignalAndWait();
            for (int i = 0; i < 20 && caught is null; i++)
            {
                try { rnn.Forward(batch, x, y); }
                catch (InvalidOperationException e) { caught = e; }
            }
        }
        var t1 = new Thread(Work); var t2 = new Thread(Work);
        t1.Start(); t2.Start(); t1.Join(); t2.Join();
        Assert.That(caught, Is.Not.Null, "two threads calling one layer at once were not detected");
        Assert.That(caught!.Message, Does.Contain("another thread"));
        AssertStillWorks(rnn, _batch);
    }

    [Test]
    public void Unknown_parameter_names_list_the_known_ones()
    {
        using var rnn = new Rnn<float>(Lstm);
        AssertMessage(Assert.Throws<KeyNotFoundException>(() => rnn.Parameter("weight_ih_l5"))!, "weight_ih_l5", "weight_hh_l1");
    }

    [Test]
    public void Bidirectional_layers_cannot_stream()
    {
        using var rnn = new Rnn<float>(Lstm with { Bidirectional = true });
        AssertMessage(Assert.Throws<InvalidOperationException>(() => rnn.CreateStream(2))!, "bidirectional", "reverse");
    }

    [Test]
    public void Stream_step_lengths_are_named()
    {
        using var rnn = new Rnn<float>(Lstm);
        using var stream = rnn.CreateStream(2);
        AssertMessage(Assert.Throws<ArgumentException>(() => stream.Step(new float[5], new float[8]))!, "x", "6", "actual 5");
    }
}
