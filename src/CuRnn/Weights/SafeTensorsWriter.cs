using System.Numerics;
using System.Text.Json;

namespace CuRnn.Weights;

/// <summary>
/// Collects named tensors and metadata and writes them as one safetensors file (header padded to 8 bytes, data in
/// the order added, written to a temporary file first and then moved over the target).
/// </summary>
public sealed class SafeTensorsWriter
{
    private readonly List<(string Name, TensorDType DType, int[] Shape, byte[] Data)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>The header's <c>__metadata__</c> strings.</summary>
    public Dictionary<string, string> Metadata { get; } = new(StringComparer.Ordinal);

    /// <summary>Adds a tensor, converting its elements to <paramref name="dtype"/> now.</summary>
    /// <exception cref="ArgumentException">The name is taken or empty, or the values do not fill the shape.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A dimension is negative, or <paramref name="dtype"/> is not a defined type.</exception>
    public void Add<T>(string name, ReadOnlySpan<int> shape, ReadOnlySpan<T> values, TensorDType dtype = TensorDType.Float32)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        TensorDTypes.CheckDefined(dtype, nameof(dtype));
        if (name == "__metadata__") throw new ArgumentException("'__metadata__' is reserved for the header's metadata.", nameof(name));
        long count = 1;
        foreach (int d in shape) count *= d >= 0 ? d : throw new ArgumentOutOfRangeException(nameof(shape), d, "Dimensions must be >= 0.");
        if (count != values.Length)
            throw new ArgumentException($"Tensor '{name}' {SafeTensorInfo.FormatShape(shape.ToArray())} needs {count} values; actual {values.Length}.", nameof(values));
        if (!_names.Add(name)) throw new ArgumentException($"A tensor named '{name}' was already added.", nameof(name));
        var data = new byte[count * dtype.Size()];
        TensorDTypes.Encode(dtype, values, data);
        _tensors.Add((name, dtype, shape.ToArray(), data));
    }

    /// <summary>Writes the file.</summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        byte[] header = Header();
        string full = System.IO.Path.GetFullPath(path);
        string? folder = System.IO.Path.GetDirectoryName(full);
        if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
        string temporary = full + ".partial";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                Span<byte> length = stackalloc byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var t in _tensors) stream.Write(t.Data);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch
        {
            // A save that fails leaves no half-written file behind (the target, if it existed, is untouched).
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private byte[] Header()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (Metadata.Count > 0)
            {
                json.WriteStartObject("__metadata__");
                foreach (var (k, v) in Metadata) json.WriteString(k, v);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var t in _tensors)
            {
                json.WriteStartObject(t.Name);
                json.WriteString("dtype", t.DType.SafeTensorsName());
                json.WriteStartArray("shape");
                foreach (int d in t.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + t.Data.Length);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += t.Data.Length;
            }
            json.WriteEndObject();
        }
        // The data section starts 8-byte aligned: pad the header with spaces, as the reference writer does.
        int padded = (int)((buffer.Length + 7) / 8 * 8);
        while (buffer.Length < padded) buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}
