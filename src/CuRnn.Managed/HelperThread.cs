namespace CuRnn.Managed;

/// <summary>
/// The one persistent background thread that takes the second half of parallel work: the right columns of a large
/// GEMM, or the second row range of a recurrent pass. Work is handed over as a function pointer and a pointer to the
/// caller's state on its stack, so a hand-off allocates nothing; the caller always waits for the helper before its
/// frame ends. A caller that finds the helper busy (another thread's work, or work nested inside a half) does all
/// of its work itself.
/// </summary>
internal static unsafe class HelperThread
{
    private static readonly SpinThenBlockSignal s_start = new(), s_done = new();
    private static int s_busy;
    private static delegate*<void*, void> s_work;
    private static void* s_state;
    private static Exception? s_error;

    /// <summary>Whether there is a second core to run the helper on (started on first use).</summary>
    public static bool Available { get; } = Environment.ProcessorCount >= 2 && Start();

    private static bool Start()
    {
        var thread = new Thread(Loop) { IsBackground = true, Name = "CuRnn helper" };
        thread.Start();
        return true;
    }

    /// <summary>
    /// Starts <paramref name="work"/>(<paramref name="state"/>) on the helper, or returns false when it is busy.
    /// After a true return the caller must call <see cref="Wait"/> before <paramref name="state"/> goes out of scope.
    /// </summary>
    public static bool TryStart(delegate*<void*, void> work, void* state)
    {
        if (!Available || Interlocked.CompareExchange(ref s_busy, 1, 0) != 0) return false;
        s_work = work; s_state = state;
        s_error = null;
        s_start.Set();
        return true;
    }

    /// <summary>Waits for the work started by <see cref="TryStart"/>; rethrows (wrapped) what it threw.</summary>
    /// <exception cref="InvalidOperationException">The helper's work threw.</exception>
    public static void Wait()
    {
        s_done.Wait();
        var error = s_error;
        Volatile.Write(ref s_busy, 0);
        if (error is not null) throw new InvalidOperationException("The CuRnn helper thread's share of the work failed.", error);
    }

    private static void Loop()
    {
        // The helper's own products never hand work on (the helper is busy while it runs them).
        Gemm.SetThreadLimit(1);
        while (true)
        {
            s_start.Wait();
            try { s_work(s_state); }
            catch (Exception e) { s_error = e; }
            s_done.Set();
        }
    }
}
