// Every collective of MpiCommunicator and DataParallel on every rank, on fresh random data: each rank regenerates
// every other rank's data from seeds rank 0 broadcast, so it knows the right sum without trusting MPI. Every rank
// makes every call whatever its checks say (a rank that left early would hang the others), then reports.
// Prints "rank R of N: ok" or the failures; exit code 0 or 1.
using CuRnn.Distributed;
using CuRnn.Distributed.Mpi;

using var world = MpiCommunicator.Start();
int rank = world.Rank, size = world.Size;
var failures = new List<string>();
void Check(bool condition, string what) { if (!condition) failures.Add(what); }

// A seed from rank 0's clock, the same on every rank.
var seedBytes = BitConverter.GetBytes(rank == 0 ? Environment.TickCount64 : 0L);
world.Broadcast(seedBytes, root: 0);
long seed = BitConverter.ToInt64(seedBytes);
// The same numbers on every rank (HashCode.Combine would differ: it is seeded per process).
int Mix(int r, int n, int salt) => (int)((seed ^ (r * 1_000_003L) ^ (n * 7_919L) ^ (salt * 104_729L)) % int.MaxValue);
double[] Data(int r, int n, int salt)
{
    var random = new Random(Mix(r, n, salt));
    return [.. Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2 - 1)];
}

foreach (int n in new[] { 1, 7, 1000, 100_003 })
{
    foreach (var op in new[] { ReduceOperation.Sum, ReduceOperation.Average })
    {
        double[] expected = new double[n];
        for (int r = 0; r < size; r++)
        {
            var d = Data(r, n, (int)op);
            for (int i = 0; i < n; i++) expected[i] += op == ReduceOperation.Average ? d[i] / size : d[i];
        }
        float[] f = [.. Data(rank, n, (int)op).Select(v => (float)v)];
        world.AllReduce(f, op);
        double[] g = Data(rank, n, (int)op);
        world.AllReduce(g, op);
        double worstFloat = 0, worstDouble = 0;
        for (int i = 0; i < n; i++)
        {
            worstFloat = Math.Max(worstFloat, Math.Abs(f[i] - expected[i]) / (1 + Math.Abs(expected[i])));
            worstDouble = Math.Max(worstDouble, Math.Abs(g[i] - expected[i]) / (1 + Math.Abs(expected[i])));
        }
        Check(worstFloat < 1e-6 * size, $"AllReduce(float, {op}) of {n}: error {worstFloat:G3}");
        Check(worstDouble < 1e-14 * size, $"AllReduce(double, {op}) of {n}: error {worstDouble:G3}");
    }
    // Broadcast from the last rank: every rank ends with its bytes.
    byte[] bytes = new byte[n];
    new Random(Mix(rank, n, 9)).NextBytes(bytes);
    world.Broadcast(bytes, root: size - 1);
    byte[] root = new byte[n];
    new Random(Mix(size - 1, n, 9)).NextBytes(root);
    Check(bytes.AsSpan().SequenceEqual(root), $"Broadcast of {n} bytes from rank {size - 1}");
}

// DataParallel: shares of a global batch, gradients averaged with weights, equal to the mean over the whole batch.
var parallel = new DataParallel(world);
foreach (int members in new[] { 1, size, 5 * size + 1, 32 })
{
    const int Width = 50;
    int[] batch = [.. Enumerable.Range(100, members)];
    var share = parallel.Share(batch).ToArray();
    double[] mean = new double[Width];
    foreach (int m in batch) { var g = Data(m, Width, 3); for (int i = 0; i < Width; i++) mean[i] += g[i] / members; }
    float[] local = new float[Width];
    foreach (int m in share) { var g = Data(m, Width, 3); for (int i = 0; i < Width; i++) local[i] += (float)(g[i] / share.Length); }
    parallel.AverageGradients(local, share.Length, members);
    double worst = 0;
    for (int i = 0; i < Width; i++) worst = Math.Max(worst, Math.Abs(local[i] - mean[i]));
    Check(worst < 1e-6, $"AverageGradients over a batch of {members} in shares: error {worst:G3}");
    Span<double> counted = [share.Length];
    parallel.Sum(counted);
    Check(counted[0] == members, $"the shares of {members} members add up to {counted[0]}");
}
// Buckets: uneven ranges started in order while "backward" goes on, against one all-reduce of the whole buffer.
foreach (int members in new[] { 1, 3 * size + 2 })
{
    const int Width = 101;
    (int, int)[] ranges = [(90, 11), (40, 50), (0, 40)];
    float[] gradients = new float[Width];
    var buckets = parallel.Buckets(gradients, ranges);
    int[] batch = [.. Enumerable.Range(500, members)];
    var share = parallel.Share(batch).ToArray();
    double[] mean = new double[Width];
    foreach (int m in batch) { var g = Data(m, Width, 4); for (int i = 0; i < Width; i++) mean[i] += g[i] / members; }
    buckets.Begin(share.Length, members);
    if (share.Length > 0)
    {
        foreach (int m in share) { var g = Data(m, Width, 4); for (int i = 0; i < Width; i++) gradients[i] += (float)(g[i] / share.Length); }
        buckets.Ready(0);
        buckets.Ready(1);
    }
    buckets.Finish();
    double worst = 0;
    for (int i = 0; i < Width; i++) worst = Math.Max(worst, Math.Abs(gradients[i] - mean[i]));
    Check(worst < 1e-6, $"GradientBuckets over a batch of {members}: error {worst:G3}");
    bool refused = false;
    buckets.Begin(1, 1);
    try { buckets.Ready(1); } catch (InvalidOperationException) { refused = true; }
    buckets.Finish();
    Check(refused, "a bucket out of order is refused");
}
Check(parallel.AnyRank(rank == size - 1), "AnyRank sees the last rank's wish on every rank");
Check(!parallel.AnyRank(false), "AnyRank is false when no rank wishes");
world.Barrier();

Console.WriteLine(failures.Count == 0 ? $"rank {rank} of {size}: ok" : $"rank {rank} of {size}: FAILED: {string.Join("; ", failures)}");
return failures.Count == 0 ? 0 : 1;
