using System.Numerics;
using System.IO.MemoryMappedFiles;
using System.Text.Json;
using System.Text.Unicode;

namespace CuRnn.Weights;

/// <summary>
/// A safetensors file opened for reading: the header parsed once, the data memory-mapped, each tensor converted
/// straight from the mapping into the caller's span (nothing is read twice or copied whole).
/// </summary>
/// <remarks>The format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets into the data that follows the header) and an
/// optional <c>"__metadata__"</c> object of strings; then the data. F32, F16, BF16 and F64 tensors can be read.
/// Reading is as strict as the format's reference reader: a header of at most 100,000,000 bytes of valid UTF-8 JSON,
/// each name once, dimensions and offsets non-negative integers, element count × element size equal to the bytes
/// the offsets span, and the tensors tiling the data exactly (sorted by offset: the first at 0, each starting where
/// the one before ends, the last ending at the end of the file).</remarks>
public sealed unsafe class SafeTensorsFile : IDisposable
{
    private readonly MemoryMappedFile? _map;
    private readonly MemoryMappedViewAccessor? _view;
    private readonly byte* _data;
    private readonly long _dataLength;
    private readonly Dictionary<string, SafeTensorInfo> _tensors;
    private bool _disposed;

    private SafeTensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, byte* data, long dataLength,
        Dictionary<string, SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path; _map = map; _view = view; _data = data; _dataLength = dataLength; _tensors = tensors; Metadata = metadata;
    }

    /// <summary>The file's path.</summary>
    public string Path { get; }

    /// <summary>The header's <c>__metadata__</c> strings (empty when it has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Every tensor's entry, in the order of their data.</summary>
    public IEnumerable<SafeTensorInfo> Tensors => _tensors.Values.OrderBy(t => t.DataOffset);

    /// <summary>The entry of <paramref name="name"/>, or null when the file has no such tensor.</summary>
    public SafeTensorInfo? Find(string name) => _tensors.GetValueOrDefault(name);

    /// <summary>Opens and validates a safetensors file.</summary>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    /// <exception cref="InvalidDataException">The file is not valid safetensors; the message says where and why.</exception>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var file = new FileInfo(path);
        if (!file.Exists) throw new FileNotFoundException($"No weights file at '{path}'.", path);
        long size = file.Length;
        if (size < 8) throw Bad(path, $"it is {size} bytes long; a safetensors file starts with an 8-byte header length");
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* start = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref start);
            acquired = true;
            start += view.PointerOffset;
            ulong headerLength = *(ulong*)start;
            if (headerLength > MaxHeaderBytes)
                throw Bad(path, $"its header length says {headerLength} bytes; the format allows at most {MaxHeaderBytes}");
            if (headerLength > (ulong)(size - 8))
                throw Bad(path, $"its header length says {headerLength} bytes but only {size - 8} follow");
            var header = new ReadOnlySpan<byte>(start + 8, (int)headerLength);
            long dataLength = size - 8 - (long)headerLength;
            var (tensors, metadata) = ParseHeader(path, header, dataLength);
            return new SafeTensorsFile(path, map, view, start + 8 + (long)headerLength, dataLength, tensors, metadata);
        }
        catch
        {
            if (acquired) view!.SafeMemoryMappedViewHandle.ReleasePointer();
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>Converts tensor <paramref name="name"/> into <paramref name="destination"/> (row-major).</summary>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    /// <exception cref="ArgumentException"><paramref name="destination"/>'s length is not the tensor's element count.</exception>
    public void Read<T>(string name, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = Find(name) ?? throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}'.");
        if (info.ElementCount != destination.Length)
            throw new ArgumentException($"Tensor '{name}' {info.ShapeText} has {info.ElementCount} elements; the destination holds {destination.Length}.", nameof(destination));
        Decode(info, destination);
    }

    // In pieces of at most 2^28 elements, so that no byte span passes what a span can hold (an F64 tensor of
    // 2^30 elements is 8 GiB).
    private void Decode<T>(SafeTensorInfo info, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        const int Piece = 1 << 28;
        int size = info.DType.Size();
        for (int done = 0; done < destination.Length; done += Piece)
        {
            int n = Math.Min(Piece, destination.Length - done);
            TensorDTypes.Decode(info.DType, new ReadOnlySpan<byte>(_data + info.DataOffset + (long)done * size, n * size), destination.Slice(done, n));
        }
    }

    /// <summary>Tensor <paramref name="name"/> as a new array.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    public T[] Read<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = Find(name) ?? throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}'.");
        if (info.ElementCount > Array.MaxLength)
            throw new InvalidDataException($"'{Path}': tensor '{name}' {info.ShapeText} has {info.ElementCount:N0} elements; a .NET array holds at most {Array.MaxLength:N0}.");
        var values = new T[info.ElementCount];
        Decode(info, values);
        return values;
    }

    /// <summary>Unmaps the file.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _view?.SafeMemoryMappedViewHandle.ReleasePointer();
        _view?.Dispose();
        _map?.Dispose();
    }

    // The reference reader's limit on the header.
    private const ulong MaxHeaderBytes = 100_000_000;

    private static (Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ParseHeader(string path, ReadOnlySpan<byte> header, long dataLength)
    {
        if (!Utf8.IsValid(header)) throw Bad(path, "its header is not valid UTF-8");
        var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header.ToArray()); }
        catch (JsonException e) { throw Bad(path, $"its header is not valid JSON ({e.Message})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "its header is not a JSON object");
            bool sawMetadata = false;
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    if (sawMetadata) throw Bad(path, "its header has __metadata__ twice");
                    sawMetadata = true;
                    if (entry.Value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ is not an object of strings");
                    foreach (var m in entry.Value.EnumerateObject())
                    {
                        if (m.Value.ValueKind != JsonValueKind.String) throw Bad(path, $"__metadata__ entry '{m.Name}' is not a string");
                        if (!metadata.TryAdd(m.Name, m.Value.GetString()!)) throw Bad(path, $"__metadata__ has the key '{m.Name}' twice");
                    }
                    continue;
                }
                if (!tensors.TryAdd(entry.Name, ParseTensor(path, entry, dataLength)))
                    throw Bad(path, $"its header names the tensor '{entry.Name}' twice");
            }
        }
        CheckTiling(path, tensors.Values, dataLength);
        return (tensors, metadata);
    }

    // The tensors, sorted by offset, must cover the data exactly: no gap, no overlap, nothing after the last.
    private static void CheckTiling(string path, IEnumerable<SafeTensorInfo> tensors, long dataLength)
    {
        long end = 0;
        string? previous = null;
        foreach (var t in tensors.OrderBy(t => t.DataOffset).ThenBy(t => t.ByteLength))
        {
            if (t.DataOffset != end)
                throw Bad(path, t.DataOffset < end
                    ? $"tensor '{t.Name}' starts at data byte {t.DataOffset}, inside '{previous}' (which ends at {end}): tensors must not overlap"
                    : $"tensor '{t.Name}' starts at data byte {t.DataOffset}, leaving bytes {end}..{t.DataOffset} unused{(previous is null ? "" : $" after '{previous}'")}: the tensors must tile the data");
            end = t.DataOffset + t.ByteLength;
            previous = t.Name;
        }
        if (end != dataLength)
            throw Bad(path, $"the tensors end at data byte {end} but the file holds {dataLength} data bytes: the tensors must tile the data exactly");
    }

    private static SafeTensorInfo ParseTensor(string path, JsonProperty entry, long dataLength)
    {
        string name = entry.Name;
        var v = entry.Value;
        if (v.ValueKind != JsonValueKind.Object
            || !v.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String
            || !v.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array
            || !v.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array || offsetsElement.GetArrayLength() != 2)
            throw Bad(path, $"tensor '{name}' needs \"dtype\", \"shape\" and two \"data_offsets\"");
        string dtypeName = dtypeElement.GetString()!;
        var dtype = TensorDTypes.FromSafeTensorsName(dtypeName)
            ?? throw Bad(path, $"tensor '{name}' has dtype {dtypeName}; weights must be F32, F16, BF16 or F64");
        var shape = new int[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var d in shapeElement.EnumerateArray())
            shape[i++] = d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out int n) && n >= 0
                ? n : throw Bad(path, $"tensor '{name}' has the dimension {d.GetRawText()}; dimensions are non-negative integers up to {int.MaxValue}");
        long begin = Offset(offsetsElement[0]), end = Offset(offsetsElement[1]);
        if (begin < 0 || end < 0)
            throw Bad(path, $"tensor '{name}' has data_offsets [{offsetsElement[0].GetRawText()}, {offsetsElement[1].GetRawText()}]; offsets are non-negative integers");
        if (end < begin || end > dataLength)
            throw Bad(path, $"tensor '{name}' has data_offsets [{begin}, {end}] outside the {dataLength} data bytes");
        Int128 elements = 1;
        foreach (int d in shape) elements *= d;   // at most 2^31 per factor: checked against the bytes below
        Int128 bytes = elements * dtype.Size();
        if (bytes != end - begin)
            throw Bad(path, $"tensor '{name}' {SafeTensorInfo.FormatShape(shape)} {dtypeName} needs {bytes} bytes; its data_offsets span {end - begin}");
        return new SafeTensorInfo(name, dtype, shape, begin, end - begin);
    }

    // A non-negative integer offset, else -1.
    private static long Offset(JsonElement e) => e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out long v) && v >= 0 ? v : -1;

    private static InvalidDataException Bad(string path, string why) => new($"'{path}' is not a valid safetensors file: {why}.");
}
