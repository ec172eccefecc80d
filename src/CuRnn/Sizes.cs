namespace CuRnn;

/// <summary>
/// The one place where products of sizes become element counts: formed in 128 bits, and refused with
/// <see cref="ArgumentOutOfRangeException"/> (naming the option or argument and the number) when they pass what a
/// .NET array or span can hold.
/// </summary>
internal static class Sizes
{
    /// <summary>The most elements a .NET array holds (<see cref="Array.MaxLength"/>).</summary>
    public static long MaxElements => Array.MaxLength;

    /// <summary>a·b·c as an element count, or the exception: "<paramref name="what"/> needs N elements; …".</summary>
    /// <exception cref="ArgumentOutOfRangeException">The product passes <see cref="MaxElements"/>.</exception>
    public static int Elements(string paramName, string what, long a, long b = 1, long c = 1)
    {
        Int128 product = (Int128)a * b * c;
        if (product > Array.MaxLength) throw TooLarge(paramName, what, product);
        return (int)product;
    }

    /// <summary>A sum of element counts, or the exception.</summary>
    public static int Sum(string paramName, string what, long a, long b)
    {
        Int128 sum = (Int128)a + b;
        if (sum > Array.MaxLength) throw TooLarge(paramName, what, sum);
        return (int)sum;
    }

    public static ArgumentOutOfRangeException TooLarge(string paramName, string what, Int128 elements) =>
        new(paramName, $"{what} needs {elements:N0} elements; a .NET array or span holds at most {Array.MaxLength:N0}.");
}
