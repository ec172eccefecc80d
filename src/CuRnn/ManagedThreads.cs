using CuRnn.Managed.Threading;

namespace CuRnn;

/// <summary>The managed engine's threads: what <see cref="RnnOptions.MaxThreads"/> = 0 means, and the shared pool.</summary>
public static class ManagedThreads
{
    /// <summary>The cores this process may run on: the least of the processor count, the CPU affinity mask and a
    /// container's CPU quota (rounded up). A layer with <see cref="RnnOptions.MaxThreads"/> = 0 uses this many threads.</summary>
    public static int Available => CoreBudget.Available;

    /// <summary>Worker threads the process-wide pool has started (it grows to the largest budget asked for, less the
    /// calling thread, and never shrinks; idle workers block and cost no CPU).</summary>
    public static int PoolWorkers => WorkerPool.WorkerCount;
}
