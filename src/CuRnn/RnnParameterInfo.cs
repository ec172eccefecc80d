namespace CuRnn;

/// <summary>What a parameter tensor is for.</summary>
public enum RnnParameterKind
{
    /// <summary><c>weight_ih</c> [G*H, in].</summary>
    InputWeight,
    /// <summary><c>weight_hh</c> [G*H, Hout].</summary>
    RecurrentWeight,
    /// <summary><c>bias_ih</c> [G*H].</summary>
    InputBias,
    /// <summary><c>bias_hh</c> [G*H].</summary>
    RecurrentBias,
    /// <summary><c>weight_hr</c> [P, H] (LSTM projection).</summary>
    ProjectionWeight,
}

/// <summary>One named tensor inside the flat parameter buffer, with PyTorch's name and shape.</summary>
/// <param name="Name">PyTorch's name, e.g. <c>weight_hh_l1_reverse</c>.</param>
/// <param name="Layer">Layer index k.</param>
/// <param name="Direction">0 forward, 1 reverse.</param>
/// <param name="Kind">What the tensor is for.</param>
/// <param name="Rows">First dimension.</param>
/// <param name="Columns">Second dimension (1 for bias vectors, whose shape is [Rows]).</param>
/// <param name="Offset">Element offset in the flat buffer.</param>
public sealed record RnnParameterInfo(string Name, int Layer, int Direction, RnnParameterKind Kind, int Rows, int Columns, int Offset)
{
    /// <summary>Elements in the tensor.</summary>
    public int Length => Rows * Columns;
    /// <summary>The shape as PyTorch prints it.</summary>
    public int[] Shape => Kind is RnnParameterKind.InputBias or RnnParameterKind.RecurrentBias ? [Rows] : [Rows, Columns];
}

/// <summary>
/// The flat parameter layout: for each layer, for each direction, <c>weight_ih</c>, <c>weight_hh</c>,
/// <c>bias_ih</c>, <c>bias_hh</c>, <c>weight_hr</c> (those that exist), PyTorch's <c>_flat_weights</c> order.
/// </summary>
internal sealed class ParameterLayout
{
    private readonly Dictionary<string, RnnParameterInfo> _byName;
    private readonly RnnParameterInfo?[,,] _byPosition;

    /// <exception cref="ArgumentOutOfRangeException">A tensor, or all of them, would pass what a .NET array holds.</exception>
    public ParameterLayout(RnnOptions o)
    {
        int g = Sizes.Elements(nameof(o.HiddenSize), $"the gate rows ({o.Cell.GateCount()} × HiddenSize = {o.HiddenSize})", o.Cell.GateCount(), o.HiddenSize);
        var list = new List<RnnParameterInfo>();
        _byPosition = new RnnParameterInfo?[o.NumLayers, o.Directions, 5];
        int offset = 0;
        for (int layer = 0; layer < o.NumLayers; layer++)
        {
            int inSize = layer == 0 ? o.InputSize : Sizes.Elements(nameof(o.HiddenSize), "the layer output (directions × output size)", o.Directions, o.OutputSize);
            string inName = layer == 0 ? nameof(o.InputSize) : nameof(o.HiddenSize);
            for (int d = 0; d < o.Directions; d++)
            {
                string suffix = $"_l{layer}" + (d == 1 ? "_reverse" : "");
                void Add(string name, RnnParameterKind kind, int rows, int cols, string option)
                {
                    int length = Sizes.Elements(option, $"{name}{suffix} [{rows}, {cols}]", rows, cols);
                    var info = new RnnParameterInfo(name + suffix, layer, d, kind, rows, cols, offset);
                    list.Add(info);
                    _byPosition[layer, d, (int)kind] = info;
                    offset = Sizes.Sum(o.NumLayers > 1 ? nameof(o.NumLayers) : option,
                        $"the layer's parameters (InputSize {o.InputSize}, HiddenSize {o.HiddenSize}, NumLayers {o.NumLayers})", offset, length);
                }
                Add("weight_ih", RnnParameterKind.InputWeight, g, inSize, inName);
                Add("weight_hh", RnnParameterKind.RecurrentWeight, g, o.OutputSize, nameof(o.HiddenSize));
                if (o.Bias)
                {
                    Add("bias_ih", RnnParameterKind.InputBias, g, 1, nameof(o.HiddenSize));
                    Add("bias_hh", RnnParameterKind.RecurrentBias, g, 1, nameof(o.HiddenSize));
                }
                if (o.ProjectionSize > 0) Add("weight_hr", RnnParameterKind.ProjectionWeight, o.ProjectionSize, o.HiddenSize, nameof(o.ProjectionSize));
            }
        }
        Parameters = list;
        TotalLength = offset;
        _byName = list.ToDictionary(p => p.Name);
    }

    public IReadOnlyList<RnnParameterInfo> Parameters { get; }
    public int TotalLength { get; }

    public RnnParameterInfo? Find(int layer, int direction, RnnParameterKind kind) => _byPosition[layer, direction, (int)kind];

    public RnnParameterInfo Get(string name)
    {
        if (_byName.TryGetValue(name, out var info)) return info;
        throw new KeyNotFoundException(
            $"No parameter named '{name}'; this layer has: {string.Join(", ", Parameters.Select(p => p.Name))}.");
    }

    /// <summary>The tensor's elements in <paramref name="flat"/>, or an empty span when it does not exist.</summary>
    public Span<T> Slice<T>(Span<T> flat, int layer, int direction, RnnParameterKind kind)
    {
        var info = Find(layer, direction, kind);
        return info is null || flat.IsEmpty ? Span<T>.Empty : flat.Slice(info.Offset, info.Length);
    }
}
