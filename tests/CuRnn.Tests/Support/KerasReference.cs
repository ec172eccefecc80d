using System.Text.Json;

namespace CuRnn.Tests.Support;

/// <summary>
/// Keras' LSTM and SimpleRNN layers as TensorFlow.js Layers implements them (Node.js, CPU backend; the packages are
/// pinned in Reference/keras/package-lock.json and installed next to the test assembly on first use).
/// TensorFlow.js' GRU has no <c>reset_after=True</c>, so Keras' cuDNN-compatible GRU cannot be run here.
/// </summary>
internal static class KerasReference
{
    private static readonly string Folder = Path.Combine(AppContext.BaseDirectory, "Reference", "keras");

    private static readonly Lazy<string?> s_unavailable = new(() =>
    {
        try
        {
            var (code, output) = PythonTorchReference.Exec("node", "--version");
            if (code != 0) return $"Node.js does not run (apt-get install nodejs npm): {output.Trim()}";
            if (Directory.Exists(Path.Combine(Folder, "node_modules", "@tensorflow", "tfjs-layers"))) return null;
            (code, output) = PythonTorchReference.Exec("npm", "ci --no-audit --no-fund --loglevel=error", Folder);
            return code == 0 ? null : $"npm ci of TensorFlow.js failed ({code}): {output.Trim()}";
        }
        catch (System.ComponentModel.Win32Exception e) { return $"Node.js or npm is not installed (apt-get install nodejs npm): {e.Message}"; }
    });

    /// <summary>Null when the reference can run; otherwise why not.</summary>
    public static string? Unavailable => s_unavailable.Value;

    /// <summary>Runs one Keras layer (Bidirectional-wrapped when two directions are given) over x [B, T, I]; returns y [B, T, D*units].</summary>
    public static double[] Run(string layer, int units, int input, int steps, int batch, string activation, float[] x, IReadOnlyList<(float[] Kernel, float[] Recurrent, float[]? Bias)> directions)
    {
        string dir = Directory.CreateTempSubdirectory("curnn-keras-").FullName;
        try
        {
            var spec = new
            {
                layer, units, input, steps, batch, activation, bidirectional = directions.Count == 2, x,
                weights = directions.Select(d => new object?[] { d.Kernel, d.Recurrent, d.Bias }).ToArray(),
            };
            File.WriteAllText(Path.Combine(dir, "spec.json"), JsonSerializer.Serialize(spec));
            var (code, output) = PythonTorchReference.Exec("node", $"\"{Path.Combine(Folder, "keras_reference.cjs")}\" \"{dir}\"");
            if (code != 0) Assert.Fail($"the Keras reference failed ({code}):\n{output}");
            return JsonSerializer.Deserialize<double[]>(File.ReadAllText(Path.Combine(dir, "y.json")))!;
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
