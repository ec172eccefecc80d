using System.Diagnostics;
using System.Text.Json;

namespace CuRnn.Tests.Support;

/// <summary>
/// PyTorch's own RNNs through Debian's python3-torch (PyTorch 1.13), driven from the tests: used where
/// TorchSharp falls short (LSTM projection). Data moves through raw float64 files in a temporary folder.
/// </summary>
internal static class PythonTorchReference
{
    /// <summary>The Python that has Debian's torch (the system one, not a user's pyenv).</summary>
    public const string Python = "/usr/bin/python3";

    private static readonly Lazy<string?> s_unavailable = new(() =>
    {
        if (!File.Exists(Python)) return $"{Python} not found (apt-get install python3-torch)";
        var (code, output) = Exec(Python, "-c \"import torch; print(torch.__version__)\"");
        return code == 0 ? null : $"{Python} has no torch module (apt-get install python3-torch): {output.Trim()}";
    });

    /// <summary>Null when the reference can run; otherwise why not.</summary>
    public static string? Unavailable => s_unavailable.Value;

    public static ReferenceContract.Result Run(ReferenceContract.Request q) => Run(q, "float64");

    /// <summary>The same computation in PyTorch's float32: how close PyTorch itself comes on a given draw.</summary>
    public static ReferenceContract.Result RunSingle(ReferenceContract.Request q) => Run(q, "float32");

    private static ReferenceContract.Result Run(ReferenceContract.Request q, string dtype)
    {
        var o = q.Options;
        string dir = Directory.CreateTempSubdirectory("curnn-ref-").FullName;
        try
        {
            var spec = new
            {
                cell = o.Cell.ToString(), input = o.InputSize, hidden = o.HiddenSize, layers = o.NumLayers,
                bidirectional = o.Bidirectional, bias = o.Bias, projection = o.ProjectionSize, steps = q.Steps, lengths = q.Lengths, dtype,
            };
            File.WriteAllText(Path.Combine(dir, "spec.json"), JsonSerializer.Serialize(spec));
            void Write(string name, double[] data) => File.WriteAllBytes(Path.Combine(dir, name + ".f64"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(data.AsSpan()).ToArray());
            double[] Read(string name) => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(Path.Combine(dir, name + ".f64"))).ToArray();
            foreach (var (name, values) in q.Parameters) Write(name, values);
            Write("x", q.X); Write("h0", q.H0); Write("c0", q.C0); Write("wy", q.Wy); Write("whN", q.WhN); Write("wcN", q.WcN);

            string script = Path.Combine(AppContext.BaseDirectory, "Reference", "pytorch_rnn_reference.py");
            var (code, output) = Exec(Python, $"\"{script}\" \"{dir}\"");
            if (code != 0) Assert.Fail($"the PyTorch reference script failed ({code}):\n{output}");
            bool lstm = o.Cell == RnnCellKind.Lstm;
            return new ReferenceContract.Result
            {
                Y = Read("y"), HN = Read("hN"), CN = lstm ? Read("cN") : [], DX = Read("dx"), DH0 = Read("dh0"), DC0 = lstm ? Read("dc0") : [],
                Grads = q.Parameters.Keys.ToDictionary(k => k, k => Read("grad_" + k)),
            };
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    internal static (int Code, string Output) Exec(string file, string arguments, string? workingDirectory = null)
    {
        var psi = new ProcessStartInfo(file, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        psi.Environment["OMP_NUM_THREADS"] = "1";
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, stdout + stderr.Result);
    }
}
