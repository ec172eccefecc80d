using System.Numerics;
namespace CuRnn.Weights;

/// <summary>
/// A layer's parameters in safetensors files under PyTorch's <c>state_dict</c> names and shapes (<c>weight_ih_l0</c>,
/// <c>bias_hh_l1_reverse</c>, <c>weight_hr_l0</c>, optionally behind a prefix such as <c>lstm.</c>), so weights saved
/// from PyTorch load with no code and CuRnn's files load into PyTorch with <c>load_state_dict</c>.
/// </summary>
/// <remarks>Reading is strict: a missing, extra or misshapen tensor under the prefix is an exception naming it and
/// what was expected, and a file from a layer with other options says which option differs. Tensors outside the prefix
/// (a model's other modules) are left alone. F32, F16, BF16 and F64 files load into float or double layers.</remarks>
public static class RnnWeightsFile
{
    /// <summary>Writes <paramref name="rnn"/>'s parameters to a new safetensors file.</summary>
    /// <param name="rnn">The layer.</param>
    /// <param name="path">The file to write (replaced if it exists).</param>
    /// <param name="dtype">Element type on disk; Float16 and BFloat16 round to nearest even.</param>
    /// <param name="prefix">Put before every name, e.g. <c>lstm.</c> for a module attribute called <c>lstm</c>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="dtype"/> is not a defined type.</exception>
    public static void Save<T>(Rnn<T> rnn, string path, TensorDType dtype = TensorDType.Float32, string prefix = "")
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rnn);
        ArgumentException.ThrowIfNullOrEmpty(path);
        TensorDTypes.CheckDefined(dtype, nameof(dtype));
        var writer = new SafeTensorsWriter();
        writer.Metadata["format"] = "pt";
        Add(writer, rnn, prefix, dtype);
        writer.Save(path);
    }

    /// <summary>Adds <paramref name="rnn"/>'s parameters (and its options as metadata) to a file being assembled.</summary>
    public static void Add<T>(SafeTensorsWriter writer, Rnn<T> rnn, string prefix = "", TensorDType dtype = TensorDType.Float32)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(rnn);
        ArgumentNullException.ThrowIfNull(prefix);
        TensorDTypes.CheckDefined(dtype, nameof(dtype));
        foreach (var p in rnn.ParameterInfos) writer.Add<T>(prefix + p.Name, p.Shape, rnn.Parameters.Slice(p.Offset, p.Length), dtype);
        writer.Metadata[prefix + SavedLayerShape.MetadataKey] = SavedLayerShape.FormatMetadata(rnn.Options);
    }

    /// <summary>Loads every parameter of <paramref name="rnn"/> from a safetensors file; nothing is written unless all checks pass.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">The file is not safetensors, its layer has other options, or a tensor is missing, extra or misshapen.</exception>
    public static void Load<T>(Rnn<T> rnn, string path, string prefix = "") where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var file = SafeTensorsFile.Open(path);
        Load(rnn, file, prefix);
    }

    /// <summary>Loads every parameter of <paramref name="rnn"/> from an open file (one of several layers in it, say).</summary>
    /// <exception cref="InvalidDataException">The file's layer has other options, or a tensor is missing, extra or misshapen.</exception>
    public static void Load<T>(Rnn<T> rnn, SafeTensorsFile file, string prefix = "") where T : unmanaged, IFloatingPointIeee754<T>
    {
        ArgumentNullException.ThrowIfNull(rnn);
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);
        var shape = SavedLayerShape.Infer(file, prefix);
        var differences = shape.Differences(rnn.Options);
        if (differences.Count > 0)
            throw new InvalidDataException($"'{file.Path}' holds a layer{At(prefix)} with other options than this one: {string.Join("; ", differences)}.");

        var problems = new List<string>();
        var expected = rnn.ParameterInfos.ToDictionary(p => prefix + p.Name);
        foreach (var (name, p) in expected)
        {
            var t = file.Find(name);
            if (t is null) problems.Add($"'{name}' is missing (expected {SafeTensorInfo.FormatShape(p.Shape)})");
            else if (!t.Shape.SequenceEqual(p.Shape)) problems.Add($"'{name}' is {t.ShapeText}; expected {SafeTensorInfo.FormatShape(p.Shape)}");
        }
        foreach (var t in file.Tensors)
            if (t.Name.StartsWith(prefix, StringComparison.Ordinal) && !expected.ContainsKey(t.Name)
                && (prefix.Length > 0 || SavedLayerShape.IsParameterName(t.Name) || !t.Name.Contains('.')))
                problems.Add($"'{t.Name}' {t.ShapeText} is not a parameter of this layer{At(prefix)}");
        if (problems.Count > 0)
            throw new InvalidDataException($"'{file.Path}' does not match this layer{At(prefix)}: {string.Join("; ", problems)}. " +
                $"The layer's parameters: {string.Join(", ", rnn.ParameterInfos.Select(p => $"{prefix}{p.Name} {SafeTensorInfo.FormatShape(p.Shape)}"))}.");

        var parameters = rnn.Parameters;
        foreach (var p in rnn.ParameterInfos) file.Read(prefix + p.Name, parameters.Slice(p.Offset, p.Length));
        rnn.ParametersChanged();
    }

    /// <summary>The options of the layer stored in a file: from the tensors' names and shapes (and CuRnn's metadata).</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="prefix">The layer's name prefix in the file.</param>
    /// <param name="plainRnnCell">For a plain RNN saved by PyTorch (whose tensors do not say tanh or ReLU): which one.</param>
    /// <exception cref="InvalidDataException">The tensors under the prefix do not form an RNN layer, or a plain RNN's nonlinearity is unknown.</exception>
    public static RnnOptions ReadOptions(string path, string prefix = "", RnnCellKind? plainRnnCell = null)
    {
        using var file = SafeTensorsFile.Open(path);
        return ReadOptions(file, prefix, plainRnnCell);
    }

    /// <inheritdoc cref="ReadOptions(string, string, RnnCellKind?)"/>
    public static RnnOptions ReadOptions(SafeTensorsFile file, string prefix = "", RnnCellKind? plainRnnCell = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(prefix);
        var options = SavedLayerShape.Infer(file, prefix).ToOptions(plainRnnCell, file.Path, prefix);
        // Sizes the file implies but no layer can have (a zero dimension, more parameters than an array holds).
        try { options.Validate(); _ = new ParameterLayout(options); }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException($"'{file.Path}'{At(prefix)} describes a layer that cannot be made: {e.Message}", e);
        }
        return options;
    }

    /// <summary>Creates a layer shaped like the one in the file and loads its parameters.</summary>
    /// <param name="path">The safetensors file (from PyTorch's <c>save_file(model.state_dict(), …)</c> or from CuRnn).</param>
    /// <param name="prefix">The layer's name prefix in the file, e.g. <c>lstm.</c>.</param>
    /// <param name="plainRnnCell">For a plain RNN saved by PyTorch: RnnTanh or RnnRelu.</param>
    /// <param name="configure">Adjusts the options before the layer is made (backend, mode, threads, …).</param>
    public static Rnn<T> CreateLayer<T>(string path, string prefix = "", RnnCellKind? plainRnnCell = null, Func<RnnOptions, RnnOptions>? configure = null)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        using var file = SafeTensorsFile.Open(path);
        var options = ReadOptions(file, prefix, plainRnnCell);
        if (configure is not null) options = configure(options);
        var rnn = new Rnn<T>(options);
        try { Load(rnn, file, prefix); }
        catch { rnn.Dispose(); throw; }
        return rnn;
    }

    private static string At(string prefix) => prefix.Length > 0 ? $" at '{prefix}'" : "";
}
