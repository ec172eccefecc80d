using System.Runtime.InteropServices;

namespace CuRnn.Native.Cudnn;

/// <summary>
/// cuDNN 9's functions CuRnn uses, bound through the dispatcher library (signatures as in cuDNN 9's headers; every
/// buffer argument is "size, then pointer"). <see cref="Check"/> turns a failure into a <see cref="CudnnException"/>
/// carrying the status name, cuDNN's error string, its last error message and the call.
/// </summary>
internal static unsafe partial class CudnnApi
{
    private const string Lib = NativeLibraries.CudnnName;

    static CudnnApi() => NativeLibraries.Register();

    // Version and handle (cudnn_graph.h)
    [LibraryImport(Lib)] internal static partial nuint cudnnGetVersion();
    [LibraryImport(Lib)] internal static partial nint cudnnGetErrorString(int status);
    [LibraryImport(Lib)] internal static partial void cudnnGetLastErrorString(byte* message, nuint maxSize);
    [LibraryImport(Lib)] internal static partial int cudnnGraphVersionCheck();
    [LibraryImport(Lib)] internal static partial int cudnnOpsVersionCheck();
    [LibraryImport(Lib)] internal static partial int cudnnAdvVersionCheck();
    [LibraryImport(Lib)] internal static partial int cudnnCreate(out nint handle);
    [LibraryImport(Lib)] internal static partial int cudnnDestroy(nint handle);
    [LibraryImport(Lib)] internal static partial int cudnnSetStream(nint handle, nint stream);

    // Tensor and dropout descriptors (cudnn_ops.h)
    [LibraryImport(Lib)] internal static partial int cudnnCreateTensorDescriptor(out nint descriptor);
    [LibraryImport(Lib)] internal static partial int cudnnSetTensorNdDescriptor(nint descriptor, CudnnDataType dataType, int nbDims, int* dims, int* strides);
    [LibraryImport(Lib)] internal static partial int cudnnGetTensorNdDescriptor(nint descriptor, int nbDimsRequested, out CudnnDataType dataType, out int nbDims, int* dims, int* strides);
    [LibraryImport(Lib)] internal static partial int cudnnDestroyTensorDescriptor(nint descriptor);
    [LibraryImport(Lib)] internal static partial int cudnnAddTensor(nint handle, void* alpha, nint aDesc, nint a, void* beta, nint cDesc, nint c);
    [LibraryImport(Lib)] internal static partial int cudnnCreateDropoutDescriptor(out nint descriptor);
    [LibraryImport(Lib)] internal static partial int cudnnDestroyDropoutDescriptor(nint descriptor);
    [LibraryImport(Lib)] internal static partial int cudnnDropoutGetStatesSize(nint handle, out nuint bytes);
    [LibraryImport(Lib)] internal static partial int cudnnDropoutGetReserveSpaceSize(nint xDesc, out nuint bytes);
    [LibraryImport(Lib)] internal static partial int cudnnSetDropoutDescriptor(nint descriptor, nint handle, float dropout, nint states, nuint stateBytes, ulong seed);
    [LibraryImport(Lib)] internal static partial int cudnnDropoutForward(nint handle, nint dropoutDesc, nint xDesc, nint x, nint yDesc, nint y, nint reserve, nuint reserveBytes);
    [LibraryImport(Lib)] internal static partial int cudnnDropoutBackward(nint handle, nint dropoutDesc, nint dyDesc, nint dy, nint dxDesc, nint dx, nint reserve, nuint reserveBytes);

    // RNN (cudnn_adv.h)
    [LibraryImport(Lib)] internal static partial int cudnnCreateRNNDescriptor(out nint descriptor);
    [LibraryImport(Lib)] internal static partial int cudnnDestroyRNNDescriptor(nint descriptor);
    [LibraryImport(Lib)]
    internal static partial int cudnnSetRNNDescriptor_v8(nint descriptor, CudnnRnnAlgo algo, CudnnRnnMode cellMode,
        CudnnRnnBiasMode biasMode, CudnnDirectionMode dirMode, CudnnRnnInputMode inputMode, CudnnDataType dataType,
        CudnnDataType mathPrec, CudnnMathType mathType, int inputSize, int hiddenSize, int projSize, int numLayers,
        nint dropoutDesc, uint auxFlags);
    [LibraryImport(Lib)] internal static partial int cudnnGetRNNWeightSpaceSize(nint handle, nint rnnDesc, out nuint bytes);
    [LibraryImport(Lib)]
    internal static partial int cudnnGetRNNWeightParams(nint handle, nint rnnDesc, int pseudoLayer, nuint weightSpaceBytes,
        nint weightSpace, int linLayerId, nint mDesc, out nint mAddr, nint bDesc, out nint bAddr);
    [LibraryImport(Lib)] internal static partial int cudnnCreateRNNDataDescriptor(out nint descriptor);
    [LibraryImport(Lib)] internal static partial int cudnnDestroyRNNDataDescriptor(nint descriptor);
    [LibraryImport(Lib)]
    internal static partial int cudnnSetRNNDataDescriptor(nint descriptor, CudnnDataType dataType, CudnnRnnDataLayout layout,
        int maxSeqLength, int batchSize, int vectorSize, int* seqLengths, void* paddingFill);
    [LibraryImport(Lib)]
    internal static partial int cudnnGetRNNTempSpaceSizes(nint handle, nint rnnDesc, CudnnForwardMode mode, nint xDesc,
        out nuint workspaceBytes, out nuint reserveBytes);
    [LibraryImport(Lib)]
    internal static partial int cudnnRNNForward(nint handle, nint rnnDesc, CudnnForwardMode mode, nint devSeqLengths,
        nint xDesc, nint x, nint yDesc, nint y, nint hDesc, nint hx, nint hy, nint cDesc, nint cx, nint cy,
        nuint weightSpaceBytes, nint weightSpace, nuint workspaceBytes, nint workspace, nuint reserveBytes, nint reserve);
    [LibraryImport(Lib)]
    internal static partial int cudnnRNNBackwardData_v8(nint handle, nint rnnDesc, nint devSeqLengths,
        nint yDesc, nint y, nint dy, nint xDesc, nint dx, nint hDesc, nint hx, nint dhy, nint dhx,
        nint cDesc, nint cx, nint dcy, nint dcx, nuint weightSpaceBytes, nint weightSpace,
        nuint workspaceBytes, nint workspace, nuint reserveBytes, nint reserve);
    [LibraryImport(Lib)]
    internal static partial int cudnnRNNBackwardWeights_v8(nint handle, nint rnnDesc, CudnnWgradMode addGrad, nint devSeqLengths,
        nint xDesc, nint x, nint hDesc, nint hx, nint yDesc, nint y, nuint weightSpaceBytes, nint dweightSpace,
        nuint workspaceBytes, nint workspace, nuint reserveBytes, nint reserve);

    /// <summary>Throws a <see cref="CudnnException"/> naming <paramref name="call"/> unless <paramref name="status"/> is success.</summary>
    public static void Check(int status, string call)
    {
        if (status == 0) return;
        string text = "", last = "";
        try
        {
            nint p = cudnnGetErrorString(status);
            if (p != 0) text = Marshal.PtrToStringUTF8(p) ?? "";
            byte* buffer = stackalloc byte[1024];
            buffer[0] = 0;
            cudnnGetLastErrorString(buffer, 1024);
            last = Marshal.PtrToStringUTF8((nint)buffer) ?? "";
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { }
        throw new CudnnException(status, call, text, last);
    }
}
