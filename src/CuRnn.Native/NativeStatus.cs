namespace CuRnn.Native;

/// <summary>Names of CUDA driver and cuDNN 9 status codes, so every failure can say what happened in the vendor's words.</summary>
public static class NativeStatus
{
    /// <summary>The CUDA driver's name of a <c>CUresult</c> (the common ones; others as a number).</summary>
    public static string CudaName(int status) => status switch
    {
        0 => "CUDA_SUCCESS",
        1 => "CUDA_ERROR_INVALID_VALUE",
        2 => "CUDA_ERROR_OUT_OF_MEMORY",
        3 => "CUDA_ERROR_NOT_INITIALIZED",
        4 => "CUDA_ERROR_DEINITIALIZED",
        34 => "CUDA_ERROR_STUB_LIBRARY",
        35 => "CUDA_ERROR_INSUFFICIENT_DRIVER",
        100 => "CUDA_ERROR_NO_DEVICE",
        101 => "CUDA_ERROR_INVALID_DEVICE",
        201 => "CUDA_ERROR_INVALID_CONTEXT",
        400 => "CUDA_ERROR_INVALID_HANDLE",
        500 => "CUDA_ERROR_NOT_FOUND",
        600 => "CUDA_ERROR_NOT_READY",
        700 => "CUDA_ERROR_ILLEGAL_ADDRESS",
        719 => "CUDA_ERROR_LAUNCH_FAILED",
        801 => "CUDA_ERROR_NOT_SUPPORTED",
        999 => "CUDA_ERROR_UNKNOWN",
        _ => $"CUresult {status}",
    };

    /// <summary>cuDNN 9's name of a <c>cudnnStatus_t</c> (codes renumbered in 9.0; a small non-zero code means cuDNN 7 or 8 got loaded).</summary>
    public static string CudnnName(int status) => status switch
    {
        0 => "CUDNN_STATUS_SUCCESS",
        1001 => "CUDNN_STATUS_NOT_INITIALIZED",
        1002 => "CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH",
        1003 => "CUDNN_STATUS_SERIALIZATION_VERSION_MISMATCH",
        1004 => "CUDNN_STATUS_DEPRECATED",
        1005 => "CUDNN_STATUS_LICENSE_ERROR",
        1006 => "CUDNN_STATUS_RUNTIME_IN_PROGRESS",
        1007 => "CUDNN_STATUS_RUNTIME_FP_OVERFLOW",
        1008 => "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED",
        2000 => "CUDNN_STATUS_BAD_PARAM",
        2001 => "CUDNN_STATUS_INVALID_VALUE",
        2002 => "CUDNN_STATUS_BAD_PARAM_NULL_POINTER",
        2003 => "CUDNN_STATUS_BAD_PARAM_MISALIGNED_POINTER",
        2004 => "CUDNN_STATUS_BAD_PARAM_NOT_FINALIZED",
        2005 => "CUDNN_STATUS_BAD_PARAM_OUT_OF_BOUND",
        2006 => "CUDNN_STATUS_BAD_PARAM_SIZE_INSUFFICIENT",
        2007 => "CUDNN_STATUS_BAD_PARAM_STREAM_MISMATCH",
        2008 => "CUDNN_STATUS_BAD_PARAM_SHAPE_MISMATCH",
        2009 => "CUDNN_STATUS_BAD_PARAM_DUPLICATED_ENTRIES",
        2010 => "CUDNN_STATUS_BAD_PARAM_ATTRIBUTE_TYPE",
        2011 => "CUDNN_STATUS_BAD_PARAM_CUDA_GRAPH_MISMATCH",
        2012 => "CUDNN_STATUS_BAD_PARAM_DESCRIPTOR_TYPE",
        3000 => "CUDNN_STATUS_NOT_SUPPORTED",
        3001 => "CUDNN_STATUS_NOT_SUPPORTED_GRAPH_PATTERN",
        3002 => "CUDNN_STATUS_NOT_SUPPORTED_SHAPE",
        3003 => "CUDNN_STATUS_NOT_SUPPORTED_DATA_TYPE",
        3004 => "CUDNN_STATUS_NOT_SUPPORTED_LAYOUT",
        3005 => "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDA_DRIVER",
        3006 => "CUDNN_STATUS_NOT_SUPPORTED_INCOMPATIBLE_CUDART",
        3007 => "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH",
        3008 => "CUDNN_STATUS_NOT_SUPPORTED_RUNTIME_PREREQUISITE_MISSING",
        3009 => "CUDNN_STATUS_NOT_SUPPORTED_SUBLIBRARY_UNAVAILABLE",
        3010 => "CUDNN_STATUS_NOT_SUPPORTED_SHARED_MEMORY_INSUFFICIENT",
        3011 => "CUDNN_STATUS_NOT_SUPPORTED_PADDING",
        3012 => "CUDNN_STATUS_NOT_SUPPORTED_BAD_LAUNCH_PARAM",
        3013 => "CUDNN_STATUS_NOT_SUPPORTED_CUDA_GRAPH_NATIVE_API",
        4000 => "CUDNN_STATUS_INTERNAL_ERROR",
        4001 => "CUDNN_STATUS_INTERNAL_ERROR_COMPILATION_FAILED",
        4002 => "CUDNN_STATUS_INTERNAL_ERROR_UNEXPECTED_VALUE",
        4003 => "CUDNN_STATUS_INTERNAL_ERROR_HOST_ALLOCATION_FAILED",
        4004 => "CUDNN_STATUS_INTERNAL_ERROR_DEVICE_ALLOCATION_FAILED",
        4005 => "CUDNN_STATUS_INTERNAL_ERROR_BAD_LAUNCH_PARAM",
        4006 => "CUDNN_STATUS_INTERNAL_ERROR_TEXTURE_CREATION_FAILED",
        5000 => "CUDNN_STATUS_EXECUTION_FAILED",
        5001 => "CUDNN_STATUS_EXECUTION_FAILED_CUDA_DRIVER",
        5002 => "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS",
        5003 => "CUDNN_STATUS_EXECUTION_FAILED_CUDART",
        5004 => "CUDNN_STATUS_EXECUTION_FAILED_CURAND",
        > 0 and < 100 => $"cudnnStatus_t {status} (a cuDNN 7/8 code: an older cuDNN than 9 was loaded)",
        _ => $"cudnnStatus_t {status} ({(status / 1000) switch { 1 => "NOT_INITIALIZED", 2 => "BAD_PARAM", 3 => "NOT_SUPPORTED", 4 => "INTERNAL_ERROR", 5 => "EXECUTION_FAILED", _ => "unknown" }} category)",
    };
}

/// <summary>A CUDA driver call failed.</summary>
public sealed class CudaException : Exception
{
    /// <summary>Creates the exception for <paramref name="status"/> returned by <paramref name="call"/>.</summary>
    public CudaException(int status, string call, string? detail = null)
        : base($"{call} failed: {NativeStatus.CudaName(status)} ({status}){(detail is null ? "" : ": " + detail)}.")
    {
        Status = status;
        StatusName = NativeStatus.CudaName(status);
        Call = call;
    }

    /// <summary>The <c>CUresult</c>.</summary>
    public int Status { get; }
    /// <summary>Its name, e.g. <c>CUDA_ERROR_OUT_OF_MEMORY</c>.</summary>
    public string StatusName { get; }
    /// <summary>The driver function that failed.</summary>
    public string Call { get; }
    /// <summary>Whether the device ran out of memory (the layer stays usable).</summary>
    public bool IsOutOfMemory => Status == 2;
}

/// <summary>A cuDNN call failed.</summary>
public sealed class CudnnException : Exception
{
    /// <summary>Creates the exception for <paramref name="status"/> returned by <paramref name="call"/>, with cuDNN's own text.</summary>
    public CudnnException(int status, string call, string errorString, string lastError)
        : base($"{call} failed: {NativeStatus.CudnnName(status)} ({status}): {errorString}" +
               (string.IsNullOrWhiteSpace(lastError) ? "." : $". cuDNN says: {lastError.Trim()}"))
    {
        Status = status;
        StatusName = NativeStatus.CudnnName(status);
        Call = call;
        ErrorString = errorString;
    }

    /// <summary>The <c>cudnnStatus_t</c>.</summary>
    public int Status { get; }
    /// <summary>Its name, e.g. <c>CUDNN_STATUS_BAD_PARAM</c>.</summary>
    public string StatusName { get; }
    /// <summary>The cuDNN function that failed.</summary>
    public string Call { get; }
    /// <summary>cuDNN's <c>cudnnGetErrorString</c> for the status.</summary>
    public string ErrorString { get; }
}
