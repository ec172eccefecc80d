using System.Numerics;
namespace CuRnn.Weights;

/// <summary>Element types a weights file may hold (safetensors' names in brackets).</summary>
public enum TensorDType
{
    /// <summary>IEEE binary32 (<c>F32</c>).</summary>
    Float32,
    /// <summary>IEEE binary16 (<c>F16</c>).</summary>
    Float16,
    /// <summary>bfloat16: the upper half of a binary32 (<c>BF16</c>).</summary>
    BFloat16,
    /// <summary>IEEE binary64 (<c>F64</c>).</summary>
    Float64,
}

/// <summary>Names, sizes and element conversions of <see cref="TensorDType"/>.</summary>
internal static class TensorDTypes
{
    /// <summary>Refuses a value outside the enum, naming the caller's parameter.</summary>
    public static void CheckDefined(TensorDType dtype, string paramName)
    {
        if (!Enum.IsDefined(dtype))
            throw new ArgumentOutOfRangeException(paramName, dtype, $"{paramName} must be Float32, Float16, BFloat16 or Float64; actual {dtype}.");
    }

    public static string SafeTensorsName(this TensorDType t) => t switch
    {
        TensorDType.Float32 => "F32",
        TensorDType.Float16 => "F16",
        TensorDType.BFloat16 => "BF16",
        TensorDType.Float64 => "F64",
        _ => throw new ArgumentOutOfRangeException("dtype", t, $"dtype must be Float32, Float16, BFloat16 or Float64; actual {t}."),
    };

    public static TensorDType? FromSafeTensorsName(string name) => name switch
    {
        "F32" => TensorDType.Float32,
        "F16" => TensorDType.Float16,
        "BF16" => TensorDType.BFloat16,
        "F64" => TensorDType.Float64,
        _ => null,
    };

    public static int Size(this TensorDType t) => t switch
    {
        TensorDType.Float32 => 4,
        TensorDType.Float64 => 8,
        _ => 2,
    };

    /// <summary>Decodes little-endian elements of type <paramref name="type"/> into <paramref name="destination"/>.</summary>
    public static void Decode<T>(TensorDType type, ReadOnlySpan<byte> source, Span<T> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Files are little-endian; so is every platform .NET 10 runs this library on.
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Weights files are little-endian; this platform is not.");
        switch (type)
        {
            case TensorDType.Float32:
                var f = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(source);
                if (typeof(T) == typeof(float)) f.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<T, float>(destination));
                else for (int i = 0; i < f.Length; i++) destination[i] = T.CreateChecked(f[i]);
                break;
            case TensorDType.Float64:
                var d = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(source);
                if (typeof(T) == typeof(double)) d.CopyTo(System.Runtime.InteropServices.MemoryMarshal.Cast<T, double>(destination));
                else for (int i = 0; i < d.Length; i++) destination[i] = T.CreateChecked(d[i]);
                break;
            case TensorDType.Float16:
                var h = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(source);
                for (int i = 0; i < h.Length; i++) destination[i] = T.CreateChecked((float)h[i]);
                break;
            case TensorDType.BFloat16:
                var b = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(source);
                for (int i = 0; i < b.Length; i++) destination[i] = T.CreateChecked(BitConverter.Int32BitsToSingle(b[i] << 16));
                break;
        }
    }

    /// <summary>Encodes <paramref name="source"/> as little-endian elements of <paramref name="type"/> (round to nearest even).</summary>
    public static void Encode<T>(TensorDType type, ReadOnlySpan<T> source, Span<byte> destination) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Weights files are little-endian; this platform is not.");
        switch (type)
        {
            case TensorDType.Float32:
                var f = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(destination);
                for (int i = 0; i < source.Length; i++) f[i] = float.CreateChecked(source[i]);
                break;
            case TensorDType.Float64:
                var d = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(destination);
                for (int i = 0; i < source.Length; i++) d[i] = double.CreateChecked(source[i]);
                break;
            case TensorDType.Float16:
                var h = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, Half>(destination);
                for (int i = 0; i < source.Length; i++) h[i] = Half.CreateChecked(source[i]);
                break;
            case TensorDType.BFloat16:
                var b = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(destination);
                for (int i = 0; i < source.Length; i++) b[i] = ToBFloat16(float.CreateChecked(source[i]));
                break;
        }
    }

    /// <summary>Rounds a binary32 to bfloat16, to nearest even; NaN stays a (quiet) NaN.</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        uint rounding = 0x7FFFu + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
