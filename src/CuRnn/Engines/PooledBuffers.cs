using System.Buffers;

namespace CuRnn.Engines;

/// <summary>
/// Arrays rented from the shared pool for one call or one tape and returned together, so a steady
/// stream of calls of one shape allocates nothing new.
/// </summary>
internal sealed class PooledBuffers<T> : IDisposable
{
    private readonly List<T[]> _rented = new(32);

    /// <summary>Elements handed out since the last <see cref="Dispose"/> (what a memory plan must account for).</summary>
    public long Elements { get; private set; }

    /// <summary><paramref name="length"/> elements with undefined contents, valid until <see cref="Dispose"/>.</summary>
    public PooledArray<T> Rent(long length)
    {
        if (length == 0) return default;
        if (length > Array.MaxLength)
            throw new OutOfMemoryException($"A buffer of {length} elements exceeds the largest array .NET allows ({Array.MaxLength}).");
        var array = ArrayPool<T>.Shared.Rent((int)length);
        _rented.Add(array);
        Elements += length;
        return new PooledArray<T>(array, (int)length);
    }

    /// <summary><paramref name="length"/> zeros, valid until <see cref="Dispose"/>.</summary>
    public PooledArray<T> RentZeroed(long length)
    {
        var buffer = Rent(length);
        buffer.Span.Clear();
        return buffer;
    }

    public void Dispose()
    {
        foreach (var array in _rented) ArrayPool<T>.Shared.Return(array);
        _rented.Clear();
        Elements = 0;
    }
}

/// <summary>The first <c>Length</c> elements of a pooled array; the default value is empty.</summary>
internal readonly struct PooledArray<T>(T[] array, int length)
{
    private readonly T[]? _array = array;
    public int Length { get; } = length;
    public bool IsEmpty => _array is null;
    public Span<T> Span => _array is null ? default : _array.AsSpan(0, Length);
    public static implicit operator Span<T>(PooledArray<T> a) => a.Span;
    public static implicit operator ReadOnlySpan<T>(PooledArray<T> a) => a.Span;
}
