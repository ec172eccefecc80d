namespace CuRnn.Native;

/// <summary>Every native library name CuRnn may load, per OS, newest first. The one place these names live.</summary>
public static class NativeLibraryNames
{
    /// <summary>The CUDA driver API.</summary>
    public static IReadOnlyList<string> CudaDriver =>
        OperatingSystem.IsWindows() ? ["nvcuda.dll"] : ["libcuda.so.1", "libcuda.so"];

    /// <summary>The cuDNN 9 dispatcher library (it loads its sub-libraries itself).</summary>
    public static IReadOnlyList<string> Cudnn =>
        OperatingSystem.IsWindows() ? ["cudnn64_9.dll"] : ["libcudnn.so.9", "libcudnn.so"];

    /// <summary>
    /// Libraries loaded by full path before cuDNN's own by-name loads (Linux), in dependency order: cuBLASLt, cuBLAS
    /// and NVRTC of CUDA 13 then 12, then cuDNN's sub-libraries. Each entry lists alternatives, newest first.
    /// </summary>
    public static IReadOnlyList<string[]> CudnnCompanions =>
    [
        ["libcublasLt.so.13", "libcublasLt.so.12"],
        ["libcublas.so.13", "libcublas.so.12"],
        ["libnvrtc.so.13", "libnvrtc.so.12"],
        ["libcudnn_graph.so.9"],
        ["libcudnn_engines_precompiled.so.9"],
        ["libcudnn_engines_runtime_compiled.so.9"],
        ["libcudnn_engines_tensor_ir.so.9"],
        ["libcudnn_heuristic.so.9"],
        ["libcudnn_ops.so.9"],
        ["libcudnn_cnn.so.9"],
        ["libcudnn_adv.so.9"],
    ];

    /// <summary>Environment variable naming an extra folder to search first for the CUDA and cuDNN libraries.</summary>
    public const string SearchPathVariable = "CURNN_NATIVE_PATH";
}
