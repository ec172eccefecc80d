using System.Diagnostics;
using CuRnn.Distributed;
using CuRnn.Tests.Support;
using CuRnn.Weights;

namespace CuRnn.Tests;

/// <summary>
/// Data-parallel training across processes under Open MPI's mpirun: every collective on 1-3 ranks (CuRnn.MpiRanks
/// checks its own results), and N ranks each training on a share of every batch end with the parameters one process
/// gets with the whole batch. Ignored with the reason where mpirun is missing (.ci/run installs openmpi-bin).
/// </summary>
[TestFixture, Category("mpi")]
public sealed class MpiTests
{
    // The ranks sum partial means where one process sums the whole batch, so the gradients differ by float rounding
    // (~1e-7 relative). After one epoch (17 steps of 32, fresh seeds) the parameters measured at most 2.1e-7 apart with
    // SGD and 2.8e-5 with Adam, relative to each tensor's largest value: Adam divides by the root of its second moment,
    // which turns a rounding difference in a near-zero gradient element into up to a learning rate's worth of step.
    private const double SgdBound = 1e-6, AdamBound = 1e-4;
    private string _dir = null!;

    [SetUp]
    public void Fresh() => _dir = Directory.CreateTempSubdirectory("curnn-mpi-").FullName;

    [TearDown]
    public void Clean() => Directory.Delete(_dir, recursive: true);

    [TestCase(1), TestCase(2), TestCase(3)]
    public void Every_collective_gives_every_rank_the_right_result(int ranks)
    {
        var (code, output) = Mpirun(ranks, Path.Combine(AppContext.BaseDirectory, "CuRnn.MpiRanks.dll"));
        Assert.That(code, Is.Zero, output);
        for (int r = 0; r < ranks; r++) Assert.That(output, Does.Contain($"rank {r} of {ranks}: ok"), output);
    }

    [TestCase(2, "sgd", 1), TestCase(3, "sgd", 1), TestCase(2, "adam", 1), TestCase(3, "adam", 1), TestCase(2, "sgd", 3), TestCase(3, "adam", 2)]
    public void Ranks_sharing_each_batch_end_where_one_process_with_the_whole_batch_ends(int ranks, string optimizer, int layers)
    {
        string seed = Random.Shared.Next(1, 1_000_000).ToString();
        string[] train = ["train", "--count", "600", "--epochs", "1", "--batch", "32", "--backend", "managed", "--optimizer", optimizer,
            "--lr", "0.01", "--seed", seed, "--min-length", "10", "--max-length", "30", "--layers", layers.ToString(), "--hidden", "24"];
        string cli = Path.Combine(AppContext.BaseDirectory, "CuRnn.Cli.dll");
        string alone = Path.Combine(_dir, "alone.safetensors"), shared = Path.Combine(_dir, "shared.safetensors");
        var (code, output) = Run("dotnet", [cli, .. train, "--save", alone]);
        Assert.That(code, Is.Zero, output);
        (code, output) = Mpirun(ranks, cli, [.. train, "--save", shared]);
        Assert.That(code, Is.Zero, output);
        Assert.That(output, Does.Contain($"data-parallel on {ranks} ranks"));

        using var a = SafeTensorsFile.Open(alone);
        using var b = SafeTensorsFile.Open(shared);
        Assert.That(b.Tensors.Select(t => t.Name), Is.EquivalentTo(a.Tensors.Select(t => t.Name)));
        double worst = 0;
        foreach (var tensor in a.Tensors)
        {
            float[] x = a.Read<float>(tensor.Name), y = b.Read<float>(tensor.Name);
            double largest = x.Max(v => Math.Abs((double)v)), difference = x.Zip(y, (p, q) => Math.Abs((double)p - q)).Max();
            worst = Math.Max(worst, difference / largest);
        }
        TestContext.Out.WriteLine($"{ranks} ranks, {optimizer}, {layers} layer(s): largest difference {worst:E2} of a tensor's largest value");
        Assert.That(worst, Is.LessThan(optimizer == "sgd" ? SgdBound : AdamBound), $"{ranks} ranks against one process, {optimizer}, seed {seed}");
    }

    [Test]
    public void Shares_cover_a_batch_once_and_differ_by_at_most_one()
    {
        var random = TestData.NewRandom();
        for (int trial = 0; trial < 500; trial++)
        {
            int count = random.Next(0, 300), size = random.Next(1, 70);
            int next = 0;
            for (int rank = 0; rank < size; rank++)
            {
                var (start, length) = DataParallel.ShareOf(count, rank, size);
                Assert.That(start, Is.EqualTo(next), $"count {count}, {size} ranks: rank {rank} starts where rank {rank - 1} ended");
                Assert.That(length, Is.InRange(count / size, count / size + 1));
                next += length;
            }
            Assert.That(next, Is.EqualTo(count));
        }
        Assert.Throws<ArgumentOutOfRangeException>(() => DataParallel.ShareOf(5, 3, 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => DataParallel.ShareOf(5, 0, 0));
    }

    [Test]
    public void Nccl_without_its_library_or_a_gpu_says_what_is_missing()
    {
        try
        {
            using var nccl = CuRnn.Distributed.Nccl.NcclCommunicator.Create(new SingleProcess(), deviceOrdinal: 0);
            Assert.Ignore("NCCL and a GPU are present here; the GPU test covers them.");
        }
        catch (DllNotFoundException e)
        {
            Assert.That(e.Message, Does.Contain("could not be loaded").And.Contain("tried:"));
        }
        catch (CommunicatorException e)
        {
            Assert.That(e.Message, Does.StartWith(e.Library).And.Contain(e.Call));
        }
    }

    private static (int Code, string Output) Mpirun(int ranks, string dll, params string[] args)
    {
        string? mpirun = new[] { "/usr/bin/mpirun", "/usr/local/bin/mpirun" }.FirstOrDefault(File.Exists);
        if (mpirun is null) Assert.Ignore("mpirun not found: install Open MPI (apt-get install openmpi-bin libopenmpi-dev) to run the multi-process tests");
        List<string> command = ["--oversubscribe", "-np", ranks.ToString(), "dotnet", dll, .. args];
        if (Environment.UserName == "root") command.Insert(0, "--allow-run-as-root");
        return Run(mpirun!, command);
    }

    private static (int Code, string Output) Run(string file, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.Environment["CURNN_BACKEND"] = "managed";
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(180)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{file} {string.Join(' ', args)} did not finish in 180 s");
        }
        return (process.ExitCode, stdout.Result + stderr.Result);
    }
}
