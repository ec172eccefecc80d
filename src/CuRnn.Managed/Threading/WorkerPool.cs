using System.Runtime.CompilerServices;

namespace CuRnn.Managed.Threading;

/// <summary>
/// The managed engine's threads: one pool per process, shared by every layer and stream, grown on demand to the
/// largest thread budget asked for (at most <see cref="MaxWorkers"/>) and never beyond it. A call reserves the
/// workers that are idle at that moment (a compare-and-swap on each worker's state: no lock), runs its share on the
/// calling thread as well, and waits only for its own workers; a caller that finds none idle runs alone. Work is
/// handed over as a function pointer and a pointer to the caller's state on its stack, so a hand-off allocates
/// nothing; idle workers spin briefly, then block.
/// </summary>
internal static unsafe class WorkerPool
{
    /// <summary>The most workers the pool starts; larger budgets share them.</summary>
    public const int MaxWorkers = 255;

    private static Worker[] s_workers = [];
    private static readonly object s_growLock = new();
    private static int s_scanFrom;
    [ThreadStatic] private static CallerContext? t_caller;

    /// <summary>Workers started so far (each a background thread).</summary>
    public static int WorkerCount => Volatile.Read(ref s_workers).Length;

    /// <summary>
    /// Runs <paramref name="body"/>(state, part) for every part in [0, <paramref name="parts"/>), on the calling thread
    /// and on up to <paramref name="threads"/> - 1 workers, each taking the next part not yet taken. Returns when all
    /// have run; rethrows (wrapped) the first exception a part threw.
    /// </summary>
    public static void For(int parts, int threads, delegate*<void*, int, void> body, void* state)
    {
        if (parts <= 0) return;
        var job = new Job { Body = body, State = state, Parts = parts };
        int helpers = Math.Min(parts, threads) - 1;
        if (helpers <= 0 || (helpers = Start(&job, helpers)) == 0)
        {
            for (int i = 0; i < parts; i++) body(state, i);
            return;
        }
        Finish(&job);
    }

    /// <summary>
    /// Runs <paramref name="body"/> once on each member of a gang: the calling thread and as many idle workers (up to
    /// <paramref name="threads"/> - 1) as it can reserve now, all running at once, so that they may wait for each
    /// other at <see cref="GangMember.Barrier"/>. The body learns its index and the gang's size.
    /// </summary>
    public static void Gang(int threads, delegate*<void*, GangMember, void> body, void* state)
    {
        var job = new Job { GangBody = body, State = state, Parts = 0 };
        int helpers = threads - 1;
        if (helpers <= 0 || (helpers = Start(&job, helpers)) == 0)
        {
            job.Members = 1;
            body(state, new GangMember(&job, 0));
            return;
        }
        Finish(&job);
    }

    // Reserves up to `helpers` idle workers, sizes the job's gang, then wakes them; returns how many.
    private static int Start(Job* job, int helpers)
    {
        helpers = Math.Min(helpers, MaxWorkers);
        var workers = Grow(helpers);
        var caller = t_caller ??= new CallerContext();
        caller.Error = null;
        int found = 0, n = workers.Length, from = (int)((uint)Interlocked.Increment(ref s_scanFrom) % (uint)n);
        for (int k = 0; k < n && found < helpers; k++)
        {
            var w = workers[(from + k) % n];
            if (w.TryReserve()) caller.Reserved[found++] = w;
        }
        job->Members = found + 1;
        job->Pending = found;
        for (int i = 0; i < found; i++) caller.Reserved[i].Dispatch(job, i + 1, caller);
        return found;
    }

    // Runs the caller's share, waits for its workers (the last one to finish always signals), rethrows what a member
    // threw; a member the gang's failure stopped reports the failure, not its own stop.
    private static void Finish(Job* job)
    {
        var caller = t_caller!;
        Exception? mine = null;
        try
        {
            if (job->GangBody != null) job->GangBody(job->State, new GangMember(job, 0));
            else job->ClaimParts();
        }
        catch (Exception e) { mine = e; Volatile.Write(ref job->Broken, 1); }
        caller.Done.Wait();
        var error = (mine is BrokenGangException ? null : mine) ?? caller.Error ?? mine;
        caller.Error = null;
        if (error is not null) throw new InvalidOperationException("A share of the managed engine's parallel work failed.", error);
    }

    private static Worker[] Grow(int count)
    {
        var workers = Volatile.Read(ref s_workers);
        if (workers.Length >= count) return workers;
        lock (s_growLock)
        {
            workers = s_workers;
            if (workers.Length >= count) return workers;
            var grown = new Worker[count];
            workers.CopyTo(grown, 0);
            for (int i = workers.Length; i < count; i++) grown[i] = new Worker(i);
            Volatile.Write(ref s_workers, grown);
            return grown;
        }
    }

    /// <summary>One parallel call, on the caller's stack while it runs.</summary>
    internal struct Job
    {
        public delegate*<void*, int, void> Body;
        public delegate*<void*, GangMember, void> GangBody;
        public void* State;
        public int Parts, NextPart, Members, Pending, Broken;
        public int BarrierArrived, BarrierGeneration;

        public void ClaimParts()
        {
            int part;
            while ((part = Interlocked.Increment(ref NextPart) - 1) < Parts)
            {
                if (Volatile.Read(ref Broken) != 0) return;
                Body(State, part);
            }
        }
    }

    /// <summary>The caller's reusable hand-off state: where its workers report completion and failure.</summary>
    private sealed class CallerContext
    {
        public readonly SpinThenBlockSignal Done = new();
        public readonly Worker[] Reserved = new Worker[MaxWorkers];
        public Exception? Error;
    }

    private sealed class Worker
    {
        private const int Idle = 0, Busy = 1;
        private readonly SpinThenBlockSignal _wake = new();
        private int _state;
        private Job* _job;
        private int _member;
        private CallerContext? _caller;

        public Worker(int index)
        {
            new Thread(Loop) { IsBackground = true, Name = $"CuRnn worker {index}" }.Start();
        }

        public bool TryReserve() => Volatile.Read(ref _state) == Idle && Interlocked.CompareExchange(ref _state, Busy, Idle) == Idle;

        public void Dispatch(Job* job, int member, CallerContext caller)
        {
            _job = job; _member = member; _caller = caller;
            _wake.Set();
        }

        private void Loop()
        {
            while (true)
            {
                _wake.Wait();
                Job* job = _job;
                var caller = _caller!;
                try
                {
                    if (job->GangBody != null) job->GangBody(job->State, new GangMember(job, _member));
                    else job->ClaimParts();
                }
                catch (Exception e)
                {
                    Volatile.Write(ref job->Broken, 1);
                    if (e is not BrokenGangException) Interlocked.CompareExchange(ref caller.Error, e, null);
                }
                _job = null; _caller = null;
                // The job lives on the caller's stack: nothing touches it after this decrement.
                if (Interlocked.Decrement(ref job->Pending) == 0) caller.Done.Set();
                Volatile.Write(ref _state, Idle);
            }
        }
    }
}

/// <summary>A member of a <see cref="WorkerPool.Gang"/>: its index (0 is the caller), the gang's size, and the barrier.</summary>
internal readonly unsafe struct GangMember
{
    private readonly WorkerPool.Job* _job;

    internal GangMember(WorkerPool.Job* job, int index) { _job = job; Index = index; }

    public int Index { get; }
    public int Count => _job->Members;

    /// <summary>Waits until every member has arrived here. Throws when another member failed (the gang is broken).</summary>
    public void Barrier()
    {
        ref var job = ref *_job;
        if (job.Members == 1) return;
        int generation = Volatile.Read(ref job.BarrierGeneration);
        if (Interlocked.Increment(ref job.BarrierArrived) == job.Members)
        {
            Volatile.Write(ref job.BarrierArrived, 0);
            Interlocked.Increment(ref job.BarrierGeneration);
            return;
        }
        var spin = new SpinWait();
        while (Volatile.Read(ref job.BarrierGeneration) == generation)
        {
            if (Volatile.Read(ref job.Broken) != 0) throw new BrokenGangException();
            spin.SpinOnce(sleep1Threshold: -1);
        }
    }
}

/// <summary>Thrown in the members of a gang that another member's failure stopped.</summary>
internal sealed class BrokenGangException() : Exception("Another member of the gang failed.");
