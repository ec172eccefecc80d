using CuRnn.Managed;
using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// The managed engine's two threads share a pass's rows (each runs every step for its own sequences). Sharing must
/// not change a bit: every result of a wide mixed-length batch with two threads equals the one-thread result.
/// </summary>
[TestFixture, Category("unit")]
public sealed class ThreadSharingTests
{
    private const int Steps = 9, Batch = 37, Input = 7, Hidden = 8;

    public static IEnumerable<TestCaseData> AllCases() => LayerCase.Cases(LayerCase.All());

    [TestCaseSource(nameof(AllCases))]
    public void Two_threads_compute_the_bits_one_thread_computes(LayerCase c)
    {
        Assume.That(HelperThreadAvailable, "needs a second core for the helper thread");
        var r = TestData.NewRandom();
        // Mixed lengths (dynamic mode projects all steps at once) and equal lengths (it projects per step).
        var mixed = SequenceBatch.Padded(SequenceLayout.BatchMajor, Steps, TestData.MixedLengths(r, Batch, Steps));
        var equal = SequenceBatch.Uniform(SequenceLayout.BatchMajor, Steps, Batch);
        ulong seed = (ulong)r.NextInt64();
        foreach (var (batch, lengths) in new[] { (mixed, "mixed"), (equal, "equal") })
        {
            Assert.That(HelperRowStart(batch), Is.GreaterThan(0), "the batch is wide enough for the rows to be shared");
            foreach (var mode in Enum.GetValues<ExecutionMode>())
            {
                var shared = Run(c.Options(Input, Hidden) with { MaxThreads = 0 }, seed, batch, mode, new Random(7));
                var alone = Run(c.Options(Input, Hidden) with { MaxThreads = 1 }, seed, batch, mode, new Random(7));
                Assert.Multiple(() =>
                {
                    for (int i = 0; i < alone.Length; i++)
                    {
                        Assert.That(TestData.AllFinite<float>(shared[i]), Is.True, $"{c} {mode} {lengths}: result {i} fully written");
                        Assert.That(shared[i], Is.EqualTo(alone[i]).AsCollection, $"{c} {mode} {lengths}: result {i}");
                    }
                });
            }
        }
    }

    [TestCaseSource(nameof(AllCases))]
    public void Projecting_alongside_a_narrow_step_loop_computes_the_bits_one_thread_computes(LayerCase c)
    {
        Assume.That(HelperThreadAvailable, "needs a second core for the helper thread");
        var r = TestData.NewRandom();
        // Six sequences (too few to share rows), one of length 0, over enough steps for several projected chunks.
        const int steps = 70;
        var lengths = Enumerable.Range(0, 5).Select(_ => r.Next(1, steps + 1)).Append(0).ToArray();
        lengths[0] = steps;
        r.Shuffle(lengths);
        var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengths);
        Assert.That(RecurrentPass.PipelineChunkSteps(Schedule(batch)), Is.InRange(1, steps / 2), "the helper projects in two or more chunks");
        ulong seed = (ulong)r.NextInt64();
        var shared = Run(c.Options(Input, Hidden) with { MaxThreads = 0 }, seed, batch, ExecutionMode.Dynamic, new Random(7));
        var alone = Run(c.Options(Input, Hidden) with { MaxThreads = 1 }, seed, batch, ExecutionMode.Dynamic, new Random(7));
        Assert.Multiple(() =>
        {
            for (int i = 0; i < alone.Length; i++)
            {
                Assert.That(TestData.AllFinite<float>(shared[i]), Is.True, $"{c}: result {i} fully written");
                Assert.That(shared[i], Is.EqualTo(alone[i]).AsCollection, $"{c}: result {i}");
            }
        });
    }

    [Test]
    public void Rows_are_cut_at_a_register_tile_where_the_work_halves()
    {
        Assume.That(HelperThreadAvailable, "needs a second core for the helper thread");
        int tile = Gemm.RowTile;
        Assert.Multiple(() =>
        {
            Assert.That(HelperRowStart(SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 50, 32)), Is.EqualTo(16));
            Assert.That(HelperRowStart(SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 50, 2 * tile - 1)), Is.Zero, "too few rows");
            // Lengths 40 for 8 sequences, 10 for 24: half of the 560 row-steps lie in the first 8 rows.
            var lengths = Enumerable.Repeat(40, 8).Concat(Enumerable.Repeat(10, 24)).ToArray();
            Assert.That(HelperRowStart(SequenceBatch.Padded(SequenceLayout.SequenceMajor, 40, lengths)), Is.EqualTo(8));
            int old = Gemm.SetThreadLimit(1);
            try { Assert.That(HelperRowStart(SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 50, 32)), Is.Zero, "one thread"); }
            finally { Gemm.SetThreadLimit(old); }
        });
    }

    [Test]
    public void Dynamic_mode_projects_per_step_where_that_measured_faster()
    {
        Assume.That(HelperThreadAvailable, "needs a second core for the helper thread");
        static bool PerStep(SequenceBatch batch, int input, int hidden, int threadLimit = 2)
        {
            int old = Gemm.SetThreadLimit(threadLimit);
            try { return RecurrentPass.PerStepInputProjectionPays<float>(Schedule(batch), input, hidden, 4 * hidden); }
            finally { Gemm.SetThreadLimit(old); }
        }
        var wide = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 50, 32);
        var narrow = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 1000, Gemm.RowTile);   // under two register tiles
        var mixed = SequenceBatch.Padded(SequenceLayout.SequenceMajor, 50, Enumerable.Range(1, 32).Reverse().ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(PerStep(wide, 512, 512), Is.True, "rows shared, 8 MB of weights");
            Assert.That(PerStep(wide, 1024, 1024), Is.False, "32 MB of weights");
            Assert.That(PerStep(narrow, 128, 128), Is.False, "rows not shared: the all-steps product is what both threads share");
            Assert.That(PerStep(narrow, 128, 128, threadLimit: 1), Is.True, "one thread");
            Assert.That(PerStep(mixed, 512, 512), Is.False, "mixed lengths");
        });
    }

    private static bool HelperThreadAvailable => Environment.ProcessorCount >= 2;

    private static StepSchedule Schedule(SequenceBatch batch) => new(batch.StepBatchSizes, batch.StepOffsets);

    private static int HelperRowStart(SequenceBatch batch) => RecurrentPass.HelperRowStart(Schedule(batch));

    // y, hN, cN of an inference forward and of a training forward, then dx, dh0, dc0 and the weight gradients.
    private static float[][] Run(RnnOptions o, ulong seed, SequenceBatch batch, ExecutionMode mode, Random r)
    {
        using var rnn = new Rnn<float>(o);
        rnn.ResetParameters(seed);
        bool lstm = o.Cell == RnnCellKind.Lstm;
        int ld = o.NumLayers * o.Directions, b = batch.BatchSize;
        var x = TestData.Uniform<float>(r, batch.ElementCount(o.InputSize));
        var h0 = TestData.Uniform<float>(r, ld * b * o.OutputSize);
        var c0 = lstm ? TestData.Uniform<float>(r, ld * b * o.HiddenSize) : [];
        var dy = TestData.Uniform<float>(r, batch.ElementCount(o.OutputFeatures));
        var dhN = TestData.Uniform<float>(r, h0.Length);
        var dcN = TestData.Uniform<float>(r, c0.Length);

        var yInfer = TestData.Poisoned<float>(batch.ElementCount(o.OutputFeatures));
        var hInfer = TestData.Poisoned<float>(h0.Length);
        var cInfer = TestData.Poisoned<float>(c0.Length);
        rnn.Forward(batch, x, yInfer, h0, c0, hInfer, cInfer, mode);

        var y = TestData.Poisoned<float>(batch.ElementCount(o.OutputFeatures));
        var hN = TestData.Poisoned<float>(h0.Length);
        var cN = TestData.Poisoned<float>(c0.Length);
        using var tape = rnn.ForwardTraining(batch, x, y, h0, c0, hN, cN, mode);
        var dx = TestData.Poisoned<float>(batch.ElementCount(o.InputSize));
        var dh0 = TestData.Poisoned<float>(h0.Length);
        var dc0 = TestData.Poisoned<float>(c0.Length);
        var grads = TestData.Poisoned<float>(rnn.ParameterCount);
        rnn.Backward(tape, dy, dx, grads, dhN, dcN, dh0, dc0, GradientMode.Overwrite);
        return [yInfer, hInfer, cInfer, y, hN, cN, dx, dh0, dc0, grads];
    }
}
