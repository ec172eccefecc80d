using CuRnn.Managed;
using CuRnn.Managed.Threading;
using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// The managed engine on N threads computes the bits it computes on one: every cell, mixed and equal lengths, both
/// modes, inference and training (y, hN, cN, dx, dh0, dc0, every weight gradient), for N = 2, 3, 4, 8 (more threads
/// than this machine has cores is fine for correctness), with each way of splitting a forward pass forced in turn;
/// callers on several threads at once; the row cuts; the core budget's readers.
/// </summary>
[TestFixture, Category("unit")]
[NonParallelizable]
public sealed class ThreadCountTests
{
    private const int Steps = 9, Batch = 37, Input = 7;
    private static readonly int[] ThreadCounts = [2, 3, 4, 8];

    // Three panels of packed weights, so that units split between up to three threads.
    private static int Hidden => 3 * Gemm.PanelWidth<float>();

    public static IEnumerable<TestCaseData> AllCases() => LayerCase.Cases(LayerCase.All());

    [TearDown]
    public void ChooseFreely() => RecurrentPass.SplitOverride = null;

    [TestCaseSource(nameof(AllCases))]
    public void Every_thread_count_computes_the_bits_of_one_thread(LayerCase c)
    {
        var r = TestData.NewRandom();
        // Mixed lengths (dynamic mode projects all steps at once) and equal lengths (it may project per step).
        var mixed = SequenceBatch.Padded(SequenceLayout.BatchMajor, Steps, TestData.MixedLengths(r, Batch, Steps));
        var equal = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, Steps, Batch);
        ulong seed = (ulong)r.NextInt64();
        foreach (var (batch, lengths) in new[] { (mixed, "mixed"), (equal, "equal") })
        foreach (var mode in Enum.GetValues<ExecutionMode>())
        {
            RecurrentPass.SplitOverride = null;
            var alone = Run(c.Options(Input, Hidden) with { MaxThreads = 1 }, seed, batch, mode, new Random(7));
            foreach (ForwardSplit? split in new ForwardSplit?[] { null, ForwardSplit.Rows, ForwardSplit.Units, ForwardSplit.Pipeline })
            foreach (int threads in ThreadCounts)
            {
                RecurrentPass.SplitOverride = split;
                var shared = Run(c.Options(Input, Hidden) with { MaxThreads = threads }, seed, batch, mode, new Random(7));
                AssertSame(shared, alone, $"{c} {mode} {lengths} split={split?.ToString() ?? "chosen"} threads={threads}");
            }
        }
    }

    [TestCaseSource(nameof(AllCases))]
    public void A_narrow_batch_computes_the_bits_of_one_thread(LayerCase c)
    {
        var r = TestData.NewRandom();
        // Six sequences (too few rows to split), one of length 0, over enough steps for several projected chunks.
        const int steps = 70;
        var lengths = Enumerable.Range(0, 5).Select(_ => r.Next(1, steps + 1)).Append(0).ToArray();
        lengths[0] = steps;
        r.Shuffle(lengths);
        var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, steps, lengths);
        Assert.That(RecurrentPass.PipelineChunkSteps(Schedule(batch)), Is.InRange(1, steps / 2), "the inputs are projected in two or more chunks");
        ulong seed = (ulong)r.NextInt64();
        var alone = Run(c.Options(Input, Hidden) with { MaxThreads = 1 }, seed, batch, ExecutionMode.Dynamic, new Random(7));
        foreach (int threads in ThreadCounts)
        {
            var shared = Run(c.Options(Input, Hidden) with { MaxThreads = threads }, seed, batch, ExecutionMode.Dynamic, new Random(7));
            AssertSame(shared, alone, $"{c} threads={threads}");
        }
    }

    [Test]
    public void Callers_on_several_threads_share_the_pool_and_keep_their_bits()
    {
        var r = TestData.NewRandom();
        var o = new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = Input, HiddenSize = Hidden, NumLayers = 2 };
        var batch = SequenceBatch.Padded(SequenceLayout.SequenceMajor, Steps, TestData.MixedLengths(r, Batch, Steps));
        ulong seed = (ulong)r.NextInt64();
        var alone = Run(o with { MaxThreads = 1 }, seed, batch, ExecutionMode.Dynamic, new Random(7));
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var callers = Enumerable.Range(0, 4).Select(i => new Thread(() =>
        {
            for (int round = 0; round < 8; round++)
            {
                var shared = Run(o with { MaxThreads = 2 + i }, seed, batch, ExecutionMode.Dynamic, new Random(7));
                for (int k = 0; k < alone.Length; k++)
                    if (!shared[k].AsSpan().SequenceEqual(alone[k])) failures.Add($"caller {i} round {round}: result {k} differs");
            }
        })).ToList();
        callers.ForEach(t => t.Start());
        callers.ForEach(t => t.Join());
        Assert.Multiple(() =>
        {
            Assert.That(failures, Is.Empty);
            Assert.That(WorkerPool.WorkerCount, Is.LessThanOrEqualTo(Math.Max(ThreadCounts.Max(), CoreBudget.Available) - 1),
                "the pool grows to the largest budget asked for, less the caller");
        });
    }

    [Test]
    public void A_forward_allocates_nothing_on_any_thread_count([Values(1, 2, 4)] int threads)
    {
        var r = TestData.NewRandom();
        using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 64, HiddenSize = 64, MaxThreads = threads });
        var batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 20, 32);
        var x = TestData.Uniform<float>(r, batch.ElementCount(64));
        var y = new float[batch.ElementCount(64)];
        for (int i = 0; i < 5; i++) rnn.Forward(batch, x, y);
        // The calling thread allocates nothing in any round. A worker that joins a call for the first time sets up its
        // own scratch once, and the test host's threads allocate now and then, so all threads together must reach a
        // round of 20 forwards with nothing allocated (a steady allocation per forward would show in every round).
        var rounds = new List<(long Mine, long All)>();
        for (int round = 0; round < 5 && (rounds.Count == 0 || rounds[^1].All >= 20 * 64 || rounds.Any(r => r.Mine != 0)); round++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread(), total = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 20; i++) rnn.Forward(batch, x, y);
            rounds.Add((GC.GetAllocatedBytesForCurrentThread() - before, GC.GetTotalAllocatedBytes(precise: true) - total));
        }
        string seen = string.Join("; ", rounds.Select(r => $"calling thread {r.Mine} B, all threads {r.All} B"));
        Assert.Multiple(() =>
        {
            Assert.That(rounds.Select(r => r.Mine), Has.All.Zero, $"bytes the calling thread allocated per round of 20 forwards: {seen}");
            Assert.That(rounds.Min(r => r.All), Is.LessThan(20 * 64), $"bytes all threads allocated per round of 20 forwards: {seen}");
        });
    }

    [Test]
    public void Rows_are_cut_at_register_tiles_where_the_work_divides()
    {
        int tile = Gemm.RowTile;
        int Nearest(int rows) => (rows + tile / 2) / tile * tile;   // the multiple of the tile nearest to rows
        Assert.Multiple(() =>
        {
            Assert.That(Cuts(SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 50, 32), 2), Is.EqualTo(new[] { 0, Nearest(16), 32 }));
            Assert.That(Cuts(SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 50, 8 * tile), 4), Is.EqualTo(new[] { 0, 2 * tile, 4 * tile, 6 * tile, 8 * tile }));
            Assert.That(RecurrentPass.RowParts(Schedule(SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 50, 2 * tile - 1)), 8), Is.EqualTo(1), "too few rows");
            Assert.That(RecurrentPass.RowParts(Schedule(SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 50, 32)), 1), Is.EqualTo(1), "one thread");
            // Lengths 40 for 8 sequences, 10 for 24: half of the 560 row-steps lie in the first 8 rows.
            var lengths = Enumerable.Repeat(40, 8).Concat(Enumerable.Repeat(10, 24)).ToArray();
            Assert.That(Cuts(SequenceBatch.Padded(SequenceLayout.SequenceMajor, 40, lengths), 2)[1], Is.EqualTo(Nearest(8)));
        });
    }

    [Test]
    public void Dynamic_mode_projects_per_step_where_that_measured_faster()
    {
        static bool PerStep(SequenceBatch batch, int input, int hidden, int threads) =>
            RecurrentPass.PerStepInputProjectionPays<float>(Schedule(batch), input, hidden, 4 * hidden, threads);
        var wide = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 50, 32);
        var narrow = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 1000, Gemm.RowTile);   // rows for one thread only
        var mixed = SequenceBatch.Padded(SequenceLayout.SequenceMajor, 50, Enumerable.Range(1, 32).Reverse().ToArray());
        Assert.Multiple(() =>
        {
            Assert.That(PerStep(wide, 512, 512, 2), Is.True, "rows shared, 8 MB of weights");
            Assert.That(PerStep(wide, 1024, 1024, 2), Is.False, "32 MB of weights");
            Assert.That(PerStep(narrow, 128, 128, 2), Is.False, "rows not shared: the all-steps product is what the threads share");
            Assert.That(PerStep(narrow, 128, 128, 1), Is.True, "one thread");
            Assert.That(PerStep(mixed, 512, 512, 2), Is.False, "mixed lengths");
        });
    }

    [Test]
    public void Cpu_quotas_are_read_and_rounded_up()
    {
        var r = TestData.NewRandom();
        Assert.Multiple(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                long period = r.Next(1000, 1_000_000), quota = r.NextInt64(1, 64L * period);
                int expected = (int)((quota + period - 1) / period);
                Assert.That(CoreBudget.ParseCpuMax($"{quota} {period}\n"), Is.EqualTo(expected), $"cpu.max {quota} {period}");
                Assert.That(CoreBudget.ParseCfs($"{quota}\n", $"{period}\n"), Is.EqualTo(expected), $"cfs {quota} / {period}");
            }
            Assert.That(CoreBudget.ParseCpuMax("max 100000"), Is.Null, "no limit");
            Assert.That(CoreBudget.ParseCfs("-1", "100000"), Is.Null, "no limit (v1)");
            Assert.That(CoreBudget.ParseCpuMax("garbage"), Is.Null);
            Assert.That(CoreBudget.ParseCgroupLine("0::/user.slice/app"), Is.EqualTo(((string?)"", "/user.slice/app")));
            Assert.That(CoreBudget.ParseCgroupLine("4:cpu,cpuacct:/docker/abc"), Is.EqualTo(((string?)"cpu,cpuacct", "/docker/abc")));
            Assert.That(CoreBudget.ParseCgroupLine("nonsense").Controllers, Is.Null);
            Assert.That(CoreBudget.Available, Is.InRange(1, Environment.ProcessorCount));
        });
    }

    private static int[] Cuts(SequenceBatch batch, int parts)
    {
        var cuts = new int[parts + 1];
        int n = RecurrentPass.RowCuts(Schedule(batch), cuts);
        return cuts[..(n + 1)];
    }

    private static StepSchedule Schedule(SequenceBatch batch) => new(batch.StepBatchSizes, batch.StepOffsets);

    private static void AssertSame(float[][] shared, float[][] alone, string what)
    {
        Assert.Multiple(() =>
        {
            for (int i = 0; i < alone.Length; i++)
            {
                Assert.That(TestData.AllFinite<float>(shared[i]), Is.True, $"{what}: result {i} fully written");
                Assert.That(shared[i], Is.EqualTo(alone[i]).AsCollection, $"{what}: result {i}");
            }
        });
    }

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
        rnn.Forward(batch, new(x) { H0 = h0, C0 = c0 }, new(yInfer) { HN = hInfer, CN = cInfer }, mode);

        var y = TestData.Poisoned<float>(batch.ElementCount(o.OutputFeatures));
        var hN = TestData.Poisoned<float>(h0.Length);
        var cN = TestData.Poisoned<float>(c0.Length);
        using var tape = rnn.ForwardTraining(batch, new(x) { H0 = h0, C0 = c0 }, new(y) { HN = hN, CN = cN }, mode);
        var dx = TestData.Poisoned<float>(batch.ElementCount(o.InputSize));
        var dh0 = TestData.Poisoned<float>(h0.Length);
        var dc0 = TestData.Poisoned<float>(c0.Length);
        var grads = TestData.Poisoned<float>(rnn.ParameterCount);
        rnn.Backward(tape, new(dy) { DHN = dhN, DCN = dcN }, new(dx, grads) { DH0 = dh0, DC0 = dc0 }, GradientMode.Overwrite);
        return [yInfer, hInfer, cInfer, y, hN, cN, dx, dh0, dc0, grads];
    }
}
