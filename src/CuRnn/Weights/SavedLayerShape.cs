using System.Globalization;
using System.Text.RegularExpressions;

namespace CuRnn.Weights;

/// <summary>
/// The options a set of PyTorch-named RNN tensors implies (from their names and shapes, and from CuRnn's metadata
/// when the file has it), each with the evidence, so a mismatch can say which option differs and why we think so.
/// </summary>
internal sealed partial record SavedLayerShape(
    RnnCellKind? Cell, int GateCount, int InputSize, int HiddenSize, int NumLayers, bool Bidirectional, bool Bias, int ProjectionSize,
    IReadOnlyDictionary<string, string> Evidence)
{
    /// <summary>Metadata key (after the prefix) of the options a CuRnn layer was saved with.</summary>
    public const string MetadataKey = "curnn.layer";

    [GeneratedRegex(@"^(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\d+)(_reverse)?$")]
    private static partial Regex ParameterName();

    public static bool IsParameterName(string name) => ParameterName().IsMatch(name);

    /// <summary>Reads the shape of the layer whose tensors are <paramref name="file"/>'s names under <paramref name="prefix"/>.</summary>
    /// <exception cref="InvalidDataException">The tensors do not form an RNN layer; the message says what is missing.</exception>
    public static SavedLayerShape Infer(SafeTensorsFile file, string prefix)
    {
        var own = file.Tensors.Where(t => t.Name.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(t => t.Name[prefix.Length..], StringComparer.Ordinal);
        SafeTensorInfo Need(string name) => own.GetValueOrDefault(name)
            ?? throw new InvalidDataException($"'{file.Path}' has no tensor '{prefix}{name}', which every RNN layer has. {DescribePrefixes(file, prefix)}");
        var ih = Need("weight_ih_l0");
        var hh = Need("weight_hh_l0");
        var hr = own.GetValueOrDefault("weight_hr_l0");
        if (ih.Shape.Length != 2 || hh.Shape.Length != 2)
            throw new InvalidDataException($"'{file.Path}': '{prefix}weight_ih_l0' {ih.ShapeText} and '{prefix}weight_hh_l0' {hh.ShapeText} must be matrices.");
        var evidence = new Dictionary<string, string>();
        int hidden, projection = 0;
        if (hr is not null && hr.Shape.Length == 2)
        {
            (projection, hidden) = (hr.Shape[0], hr.Shape[1]);
            evidence["HiddenSize"] = evidence["ProjectionSize"] = $"{prefix}weight_hr_l0 is {hr.ShapeText}";
        }
        else
        {
            hidden = hh.Shape[1];
            evidence["HiddenSize"] = $"{prefix}weight_hh_l0 is {hh.ShapeText}";
            evidence["ProjectionSize"] = $"the file has no {prefix}weight_hr_l0";
        }
        int gates = hidden > 0 && hh.Shape[0] % hidden == 0 ? hh.Shape[0] / hidden : 0;
        if (gates is not (1 or 3 or 4))
            throw new InvalidDataException($"'{file.Path}': '{prefix}weight_hh_l0' {hh.ShapeText} is not [G*H, H] with G = 1, 3 or 4 for H = {hidden}.");
        evidence["Cell"] = $"{prefix}weight_hh_l0 is {hh.ShapeText}: {gates} gate block{(gates == 1 ? "" : "s")} of {hidden}";
        evidence["InputSize"] = $"{prefix}weight_ih_l0 is {ih.ShapeText}";

        int layers = 0;
        bool reverse = false, bias = false;
        foreach (var name in own.Keys)
        {
            var m = ParameterName().Match(name);
            if (!m.Success) continue;
            if (!int.TryParse(m.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out int index) || index >= RnnOptions.MaxLayers)
                throw new InvalidDataException($"'{file.Path}': tensor '{prefix}{name}' names layer {m.Groups[2].Value}; a layer index is an integer below {RnnOptions.MaxLayers}.");
            layers = Math.Max(layers, index + 1);
            reverse |= m.Groups[3].Success;
            bias |= m.Groups[1].Value.StartsWith("bias", StringComparison.Ordinal);
        }
        evidence["NumLayers"] = $"the highest layer index in its names is {layers - 1}";
        evidence["Bidirectional"] = reverse ? "it has _reverse tensors" : "it has no _reverse tensors";
        evidence["Bias"] = bias ? "it has bias tensors" : "it has no bias tensors";

        RnnCellKind? cell = gates switch { 4 => RnnCellKind.Lstm, 3 => RnnCellKind.Gru, _ => null };
        if (file.Metadata.TryGetValue(prefix + MetadataKey, out var saved) && ParseMetadata(saved).TryGetValue("cell", out var cellText)
            && Enum.TryParse<RnnCellKind>(cellText, out var savedCell) && savedCell.GateCount() == gates)
        {
            cell = savedCell;
            evidence["Cell"] = $"the file's metadata says cell={cellText}";
        }
        return new SavedLayerShape(cell, gates, ih.Shape[1], hidden, layers, reverse, bias, projection, evidence);
    }

    /// <summary>The options this shape means; a plain RNN's nonlinearity must come from metadata or the caller.</summary>
    public RnnOptions ToOptions(RnnCellKind? plainRnnCell, string path, string prefix)
    {
        var cell = Cell ?? plainRnnCell
            ?? throw new InvalidDataException(
                $"'{path}' holds a plain RNN layer{(prefix.Length > 0 ? $" at '{prefix}'" : "")}, and PyTorch's tensors do not say whether its nonlinearity is tanh or ReLU; " +
                "pass the cell (RnnCellKind.RnnTanh or RnnCellKind.RnnRelu).");
        if (cell.GateCount() != GateCount)
            throw new ArgumentException($"The file's layer has {GateCount} gate blocks ({Evidence["Cell"]}); {cell} has {cell.GateCount()}.");
        return new RnnOptions
        {
            Cell = cell, InputSize = InputSize, HiddenSize = HiddenSize, NumLayers = NumLayers, Bidirectional = Bidirectional,
            Bias = Bias, ProjectionSize = ProjectionSize,
        };
    }

    /// <summary>Each option where <paramref name="layer"/> differs from this shape, as "Name is X in the file (why), Y in this layer".</summary>
    public List<string> Differences(RnnOptions layer)
    {
        var list = new List<string>();
        void Compare<TValue>(string name, TValue file, TValue mine)
        {
            if (!EqualityComparer<TValue>.Default.Equals(file, mine))
                list.Add($"{name} is {file} in the file ({Evidence[name]}), {mine} in this layer");
        }
        if (Cell is { } cell) Compare("Cell", cell, layer.Cell);
        else if (layer.Cell.GateCount() != 1) Compare("Cell", "RnnTanh or RnnRelu", layer.Cell.ToString());
        Compare("InputSize", InputSize, layer.InputSize);
        Compare("HiddenSize", HiddenSize, layer.HiddenSize);
        Compare("NumLayers", NumLayers, layer.NumLayers);
        Compare("Bidirectional", Bidirectional, layer.Bidirectional);
        Compare("Bias", Bias, layer.Bias);
        Compare("ProjectionSize", ProjectionSize, layer.ProjectionSize);
        return list;
    }

    public static string FormatMetadata(RnnOptions o) => string.Join(';',
        $"cell={o.Cell}", $"input_size={o.InputSize}", $"hidden_size={o.HiddenSize}", $"num_layers={o.NumLayers}",
        $"bidirectional={(o.Bidirectional ? "true" : "false")}", $"bias={(o.Bias ? "true" : "false")}", $"proj_size={o.ProjectionSize}");

    public static Dictionary<string, string> ParseMetadata(string text) => text.Split(';', StringSplitOptions.RemoveEmptyEntries)
        .Select(p => p.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0].Trim(), p => p[1].Trim());

    /// <summary>Where the file's RNN tensors are, to suggest the prefix the caller probably meant.</summary>
    public static string DescribePrefixes(SafeTensorsFile file, string prefix)
    {
        var found = file.Tensors.Select(t => t.Name).Where(n => n.EndsWith("weight_ih_l0", StringComparison.Ordinal))
            .Select(n => n[..^"weight_ih_l0".Length]).Distinct().ToList();
        if (found.Count == 0) return $"It has no RNN tensors at all (its tensors: {Sample(file)}).";
        if (found.Contains(prefix)) return "";
        return $"Its RNN layers are under the prefix{(found.Count > 1 ? "es" : "")} {string.Join(", ", found.Select(p => $"'{p}'"))}; pass that as prefix (this call used '{prefix}').";
    }

    private static string Sample(SafeTensorsFile file)
    {
        var names = file.Tensors.Select(t => t.Name).ToList();
        return names.Count == 0 ? "none" : string.Join(", ", names.Take(8)) + (names.Count > 8 ? $", … ({names.Count} in all)" : "");
    }
}
