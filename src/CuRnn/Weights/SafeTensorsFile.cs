using System.Numerics;
using System.IO.MemoryMappedFiles;
using System.Text.Json;

namespace CuRnn.Weights;

/// <summary>
/// A safetensors file opened for reading: the header parsed once, the data memory-mapped, each tensor converted
/// straight from the mapping into the caller's span (nothing is read twice or copied whole).
/// </summary>
/// <remarks>The format: an 8-byte little-endian header length N, N bytes of UTF-8 JSON mapping each tensor name to
/// <c>{"dtype", "shape", "data_offsets": [begin, end]}</c> (offsets into the data that follows the header) and an
/// optional <c>"__metadata__"</c> object of strings; then the data. F32, F16, BF16 and F64 tensors can be read.</remarks>
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

    private void Decode<T>(SafeTensorInfo info, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
        => TensorDTypes.Decode(info.DType, new ReadOnlySpan<byte>(_data + info.DataOffset, checked((int)info.ByteLength)), destination);

    /// <summary>Tensor <paramref name="name"/> as a new array.</summary>
    /// <exception cref="KeyNotFoundException">The file has no such tensor.</exception>
    public T[] Read<T>(string name) where T : unmanaged, IFloatingPointIeee754<T>
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var info = Find(name) ?? throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}'.");
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

    private static (Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ParseHeader(string path, ReadOnlySpan<byte> header, long dataLength)
    {
        var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(header.ToArray()); }
        catch (JsonException e) { throw Bad(path, $"its header is not valid JSON ({e.Message})"); }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw Bad(path, "its header is not a JSON object");
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                {
                    if (entry.Value.ValueKind != JsonValueKind.Object) throw Bad(path, "__metadata__ is not an object of strings");
                    foreach (var m in entry.Value.EnumerateObject())
                        metadata[m.Name] = m.Value.ValueKind == JsonValueKind.String ? m.Value.GetString()! : throw Bad(path, $"__metadata__ entry '{m.Name}' is not a string");
                    continue;
                }
                tensors[entry.Name] = ParseTensor(path, entry, dataLength);
            }
        }
        return (tensors, metadata);
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
            shape[i++] = d.TryGetInt32(out int n) && n >= 0 ? n : throw Bad(path, $"tensor '{name}' has a bad dimension {d}");
        long begin = offsetsElement[0].TryGetInt64(out long b) ? b : -1, end = offsetsElement[1].TryGetInt64(out long e) ? e : -1;
        if (begin < 0 || end < begin || end > dataLength)
            throw Bad(path, $"tensor '{name}' has data_offsets [{offsetsElement[0]}, {offsetsElement[1]}] outside the {dataLength} data bytes");
        var info = new SafeTensorInfo(name, dtype, shape, begin, end - begin);
        if (info.ElementCount * dtype.Size() != info.ByteLength)
            throw Bad(path, $"tensor '{name}' {info.ShapeText} {dtypeName} needs {info.ElementCount * dtype.Size()} bytes; its data_offsets span {info.ByteLength}");
        return info;
    }

    private static InvalidDataException Bad(string path, string why) => new($"'{path}' is not a valid safetensors file: {why}.");
}
