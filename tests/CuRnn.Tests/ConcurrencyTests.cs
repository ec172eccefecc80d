using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// Every public member safe across threads or refused: a stream's Reset and GetState while another thread steps it
/// are refused ("another thread") or run whole; Dispose racing calls on a layer, a stream or a tape never lets the call
/// run on released state (the engine checks that it is not used after release, and says so if it is).
/// </summary>
[TestFixture, Category("unit")]
[NonParallelizable]
public sealed class ConcurrencyTests
{
    private static readonly RnnOptions Lstm = new() { Cell = RnnCellKind.Lstm, InputSize = 32, HiddenSize = 64, NumLayers = 2, Backend = RnnBackend.Managed };

    [Test]
    public void Stream_state_calls_during_a_step_are_refused_or_whole()
    {
        var r = TestData.NewRandom();
        using var rnn = new Rnn<float>(Lstm);
        using var stream = rnn.CreateStream(16);
        var x = TestData.Uniform<float>(r, 16 * 32);
        var unexpected = new List<Exception>();
        int refused = 0;
        var stepper = new Thread(() =>
        {
            var y = new float[16 * 64];
            for (int i = 0; i < 400; i++)
            {
                try { stream.Step(x, y); }
                catch (InvalidOperationException) { Interlocked.Increment(ref refused); }
                catch (Exception e) { lock (unexpected) unexpected.Add(e); }
            }
        });
        stepper.Start();
        var h = new float[2 * 16 * 64];
        var c = new float[2 * 16 * 64];
        while (stepper.IsAlive)
        {
            try
            {
                stream.GetState(h, c);
                Assert.That(TestData.AllFinite<float>(h) && TestData.AllFinite<float>(c), Is.True, "a state copied whole");
                if (r.Next(4) == 0) stream.Reset(h, c);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("another thread")) { Interlocked.Increment(ref refused); }
        }
        stepper.Join();
        Assert.That(unexpected, Is.Empty);
        TestContext.Out.WriteLine($"{refused} calls refused while another thread was inside");
    }

    [Test]
    public void Dispose_racing_calls_never_lets_a_call_run_on_a_released_engine([Values("forward", "stream", "backward")] string call)
    {
        var r = TestData.NewRandom();
        var batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 5, 8);
        var x = TestData.Uniform<float>(r, batch.ElementCount(32));
        var dy = TestData.Uniform<float>(r, batch.ElementCount(64));
        var failures = new List<Exception>();
        for (int round = 0; round < 150; round++)
        {
            var rnn = new Rnn<float>(Lstm);
            var stream = rnn.CreateStream(8);
            using var go = new ManualResetEventSlim();
            var caller = new Thread(() =>
            {
                var y = new float[batch.ElementCount(64)];
                var yStep = new float[8 * 64];
                go.Wait();
                for (int i = 0; i < 50; i++)
                {
                    try
                    {
                        switch (call)
                        {
                            case "forward": rnn.Forward(batch, x, y); break;
                            case "stream": stream.Step(x.AsSpan(0, 8 * 32), yStep); break;
                            default:
                                using (var tape = rnn.ForwardTraining(batch, x, y)) rnn.Backward(tape, dy, default, default);
                                break;
                        }
                    }
                    catch (ObjectDisposedException) { return; }
                    catch (InvalidOperationException e) when (e.Message.Contains("another thread")) { }
                    catch (Exception e) { lock (failures) failures.Add(e); return; }
                }
            });
            caller.Start();
            go.Set();
            Thread.SpinWait(r.Next(1, 200_000));
            if (call == "stream" && r.Next(2) == 0) stream.Dispose();
            rnn.Dispose();
            caller.Join();
            stream.Dispose();
        }
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Select(f => f.Message)));
    }

    [Test]
    public void A_tape_disposed_during_its_backward_is_released_after_it()
    {
        var r = TestData.NewRandom();
        var batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 20, 16);
        var x = TestData.Uniform<float>(r, batch.ElementCount(32));
        var dy = TestData.Uniform<float>(r, batch.ElementCount(64));
        using var rnn = new Rnn<float>(Lstm);
        var y = new float[batch.ElementCount(64)];
        var grads = new float[rnn.ParameterCount];
        using var reference = new Rnn<float>(Lstm);
        var expected = new float[rnn.ParameterCount];
        using (var t = reference.ForwardTraining(batch, x, y)) reference.Backward(t, dy, default, expected, gradientMode: GradientMode.Overwrite);
        for (int round = 0; round < 40; round++)
        {
            var tape = rnn.ForwardTraining(batch, x, y);
            var disposer = new Thread(() => { Thread.SpinWait(r.Next(1, 100_000)); tape.Dispose(); });
            disposer.Start();
            try
            {
                rnn.Backward(tape, dy, default, grads, gradientMode: GradientMode.Overwrite);
                Assert.That(grads, Is.EqualTo(expected).AsCollection, "a backward that ran used the whole tape");
            }
            catch (ObjectDisposedException) { }   // disposed before the backward took it
            disposer.Join();
        }
    }
}
