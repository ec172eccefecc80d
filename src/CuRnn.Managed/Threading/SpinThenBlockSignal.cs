using System.Diagnostics;

namespace CuRnn.Managed.Threading;

/// <summary>
/// A one-waiter signal for the worker pool's hand-offs: the waiter spins for a short while (a step product of a
/// small batch finishes in tens of microseconds, less than a sleeping thread takes to wake) and only then blocks on a
/// semaphore. <see cref="Set"/> releases the semaphore only when the waiter may be asleep; the flags are exchanged
/// with full fences on both sides, so a wake-up is never lost (at worst one is spare, and the waiter re-checks).
/// </summary>
internal sealed class SpinThenBlockSignal
{
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000;   // 50 µs
    private readonly SemaphoreSlim _wake = new(0);
    private int _set, _sleeping;

    public void Set()
    {
        Interlocked.Exchange(ref _set, 1);
        if (Interlocked.CompareExchange(ref _sleeping, 0, 0) == 1) _wake.Release();
    }

    /// <summary>Returns once <see cref="Set"/> has been called, consuming the signal.</summary>
    public void Wait()
    {
        long start = Stopwatch.GetTimestamp();
        while (Interlocked.Exchange(ref _set, 0) == 0)
        {
            if (Stopwatch.GetTimestamp() - start < SpinTicks) { Thread.SpinWait(16); continue; }
            Interlocked.Exchange(ref _sleeping, 1);
            if (Interlocked.Exchange(ref _set, 0) == 1) { Interlocked.Exchange(ref _sleeping, 0); break; }
            _wake.Wait();
            Interlocked.Exchange(ref _sleeping, 0);
        }
    }
}
