using System.Buffers;

namespace CuRnn.Engines;

/// <summary>
/// Arrays rented from the shared pool for one call or one tape and returned together, so a steady
/// stream of calls of one shape allocates nothing new. Arrays beyond the pool's largest size class are allocated
/// for the call and left to the collector.
/// </summary>
internal sealed class PooledBuffers<T> : IDisposable
{
    // The shared pool rounds a request up to a power of two; past this it would pass the largest array.
    private const int LargestPooled = 1 << 30;
    private readonly List<T[]> _rented = new(32);

    /// <summary>Elements handed out since the last <see cref="Dispose"/> (what a memory plan must account for).</summary>
    public long Elements { get; private set; }

    /// <summary><paramref name="length"/> elements with undefined contents, valid until <see cref="Dispose"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The buffer would pass what a .NET array holds (named as the call's
    /// batch, whose shape asked for it).</exception>
    public PooledArray<T> Rent(long length)
    {
        if (length == 0) return default;
        int count = Sizes.Elements("batch", "a working buffer of the call (shorten or split the batch)", length);
        var array = count > LargestPooled ? GC.AllocateUninitializedArray<T>(count) : ArrayPool<T>.Shared.Rent(count);
        if (count <= LargestPooled) _rented.Add(array);
        Elements += length;
        return new PooledArray<T>(array, count);
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
