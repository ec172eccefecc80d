namespace CuRnn.Cli;

/// <summary>Products of the options' sizes, checked before any work: a .NET array holds at most
/// <see cref="Array.MaxLength"/> elements.</summary>
internal static class CliSizes
{
    /// <exception cref="CliUsageException">The product of <paramref name="factors"/> passes the limit.</exception>
    public static void Check(string what, params long[] factors)
    {
        Int128 product = 1;
        foreach (long f in factors) product *= f;
        if (product > Array.MaxLength)
            throw new CliUsageException($"{what} is {product:N0} values; a .NET array holds at most {Array.MaxLength:N0}: use smaller sizes");
    }
}
