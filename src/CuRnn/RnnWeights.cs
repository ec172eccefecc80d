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
}
