/// <summary>What each sample prints for a result it checks ("ok" or "FAIL"), and its exit code: 0 when all held.</summary>
internal static class Verdict
{
    private static bool _failed;

    public static void Check(bool condition, string what)
    {
        Console.WriteLine($"{(condition ? "ok  " : "FAIL")} {what}");
        _failed |= !condition;
    }

    public static int ExitCode => _failed ? 1 : 0;
}
