using System.Diagnostics;

namespace CuRnn.Distributed;

/// <summary>
/// DDP's buckets for one flat gradient buffer: ranges of it (a head's gradients, then each layer's, top layer first:
/// the order backward produces them) whose all-reduce starts as soon as each is final, while backward goes on below,
/// and <see cref="Finish"/> waits for all. Each range is scaled by this rank's share of the batch before it goes, so
/// the sum over the ranks is the gradient of the mean over the whole batch (as <see cref="DataParallel.AverageGradients"/>).
/// Every rank must start the buckets in the same order: <see cref="Ready"/> takes them in the declared order only,
/// and <see cref="Finish"/> starts those not yet started, in order (a rank with an empty share starts them all there).
/// </summary>
public sealed class GradientBuckets
{
    private readonly DataParallel _parallel;
    private readonly Memory<float> _gradients;
    private readonly (int Offset, int Length)[] _ranges;
    private readonly List<PendingReduction> _pending = [];
    private int _next = -1;
    private float _scale;

    internal GradientBuckets(DataParallel parallel, Memory<float> gradients, IReadOnlyList<(int Offset, int Length)> ranges)
    {
        _parallel = parallel;
        _gradients = gradients;
        _ranges = [.. ranges];
        long covered = 0;
        foreach (var (offset, length) in _ranges)
        {
            if (offset < 0 || length < 0 || (long)offset + length > gradients.Length)
                throw new ArgumentOutOfRangeException(nameof(ranges), $"the range [{offset}, {offset + (long)length}) is not inside the {gradients.Length} gradients");
            covered += length;
        }
        if (covered != gradients.Length)
            throw new ArgumentException($"the ranges cover {covered} of the {gradients.Length} gradients; every gradient belongs to one bucket", nameof(ranges));
    }

    /// <summary>How many buckets there are.</summary>
    public int Count => _ranges.Length;

    /// <summary>Starts a step: this rank's share and the batch (a rank with an empty share passes zeros).</summary>
    public void Begin(int localCount, int globalCount)
    {
        float weight = DataParallel.ShareWeight(localCount, globalCount);
        if (_next >= 0) throw new InvalidOperationException("GradientBuckets.Begin: the previous step was not finished (call Finish).");
        _next = 0;
        _scale = weight;
        if (weight == 0) _gradients.Span.Clear();
    }

    /// <summary>Bucket <paramref name="bucket"/>'s gradients are final: scale them and start their all-reduce.</summary>
    /// <exception cref="InvalidOperationException">Not the next bucket in the declared order, or no step begun.</exception>
    public void Ready(int bucket)
    {
        if (_next < 0) throw new InvalidOperationException("GradientBuckets.Ready: call Begin first.");
        if (bucket != _next) throw new InvalidOperationException($"bucket {bucket} is ready before bucket {_next}; every rank starts the buckets in the declared order.");
        var (offset, length) = _ranges[bucket];
        var slice = _gradients.Slice(offset, length);
        if (_parallel.Size > 1)
        {
            if (_scale != 0) DataParallel.Weigh(slice.Span, _scale);   // an empty share was cleared in Begin
            long start = Stopwatch.GetTimestamp();
            _pending.Add(_parallel.Communicator.StartAllReduce(slice));
            _parallel.AddReduceTime(Stopwatch.GetElapsedTime(start));
        }
        _next++;
    }

    /// <summary>Starts the buckets not yet started, in order, then waits for every all-reduce of this step.</summary>
    public void Finish()
    {
        if (_next < 0) throw new InvalidOperationException("GradientBuckets.Finish: call Begin first.");
        while (_next < _ranges.Length) Ready(_next);
        long start = Stopwatch.GetTimestamp();
        foreach (var pending in _pending) pending.Wait();
        _parallel.AddReduceTime(Stopwatch.GetElapsedTime(start), step: _parallel.Size > 1);
        _pending.Clear();
        _next = -1;
    }
}
