using CuRnn.Weights;

namespace CuRnn;

public sealed partial class Rnn<T>
{
    /// <summary>Writes the parameters to a safetensors file under PyTorch's <c>state_dict</c> names (see <see cref="RnnWeightsFile"/>).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="dtype">Element type on disk.</param>
    /// <param name="prefix">Put before every name, e.g. <c>lstm.</c>.</param>
    public void SaveWeights(string path, TensorDType dtype = TensorDType.Float32, string prefix = "") => RnnWeightsFile.Save(this, path, dtype, prefix);

    /// <summary>Loads the parameters from a safetensors file with PyTorch's names, strictly (see <see cref="RnnWeightsFile"/>).</summary>
    /// <param name="path">The file (from PyTorch or from <see cref="SaveWeights"/>).</param>
    /// <param name="prefix">The layer's name prefix in the file, e.g. <c>lstm.</c>.</param>
    /// <exception cref="InvalidDataException">The file's layer has other options, or a tensor is missing, extra or misshapen.</exception>
    public void LoadWeights(string path, string prefix = "") => RnnWeightsFile.Load(this, path, prefix);

    /// <summary>One layer's, direction's tensor of a kind (empty when the layer has none), for the weight converters.</summary>
    /// <exception cref="ArgumentOutOfRangeException">No such layer or direction.</exception>
    internal Span<T> Parameter(int layer, int direction, RnnParameterKind kind)
    {
        CheckIndices(Options, layer, direction);
        return _layout.Slice<T>(Parameters, layer, direction, kind);
    }

    /// <summary>Throws unless <paramref name="layer"/> and <paramref name="direction"/> exist in a layer with options <paramref name="o"/>.</summary>
    internal static void CheckIndices(RnnOptions o, int layer, int direction)
    {
        if (layer < 0 || layer >= o.NumLayers) ThrowHelper.OutOfRange(nameof(layer), $"in [0, {o.NumLayers - 1}]", layer);
        if (direction < 0 || direction >= o.Directions) ThrowHelper.OutOfRange(nameof(direction), o.Bidirectional ? "0 or 1" : "0 (the layer is unidirectional)", direction);
    }
}
