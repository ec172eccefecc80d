using System.Diagnostics.CodeAnalysis;

namespace CuRnn;

/// <summary>Throw helpers whose messages name the argument, the expected and the actual value.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void OutOfRange(string paramName, string expected, object? actual)
        => throw new ArgumentOutOfRangeException(paramName, actual, $"{paramName} must be {expected}; actual {actual}.");

    [DoesNotReturn]
    public static void WrongLength(string paramName, long expected, long actual, string meaning)
    {
        if (expected > Sizes.MaxElements) throw Sizes.TooLarge(paramName, $"{paramName} ({meaning})", expected);
        throw new ArgumentException($"{paramName} must hold {expected} elements ({meaning}); actual {actual}.", paramName);
    }

    [DoesNotReturn]
    public static void Overlap(string paramName, string other)
        => throw new ArgumentException($"{paramName} overlaps {other}; outputs must not share memory with other arguments.", paramName);

    [DoesNotReturn]
    public static void NotForCell(string paramName, RnnCellKind cell)
        => throw new ArgumentException($"{paramName} is only for LSTM layers; expected an empty span for {cell}, actual a non-empty one.", paramName);
}
