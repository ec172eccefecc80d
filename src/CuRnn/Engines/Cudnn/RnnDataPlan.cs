using CuRnn.Native.Cudnn;

namespace CuRnn.Engines.Cudnn;

/// <summary>
/// The cuDNN data descriptors of one call shape: x, y, h and c for a batch whose rows are packed (sorted, longest
/// first) and whose zero-length sequences are left out (cuDNN does not take length 0), with the temp-space sizes.
/// </summary>
internal sealed class RnnDataPlan : IDisposable
{
    public RnnDataPlan(CudnnDataType type, nint handle, RnnDescriptorHandle rnn, CudnnRnnDataLayout layout, int maxLength,
        ReadOnlySpan<int> lengths, int inputSize, int outputFeatures, int stateSlabs, int outputSize, int hiddenSize, bool lstm)
    {
        Batch = lengths.Length;
        X.Set(type, layout, maxLength, lengths, inputSize);
        Y.Set(type, layout, maxLength, lengths, outputFeatures);
        H.Set3D(type, stateSlabs, Batch, outputSize);
        if (lstm) { C = new TensorDescriptorHandle(); C.Set3D(type, stateSlabs, Batch, hiddenSize); }
        CudnnApi.Check(CudnnApi.cudnnGetRNNTempSpaceSizes(handle, rnn.Value, CudnnForwardMode.Inference, X.Value, out nuint ws, out _),
            "cudnnGetRNNTempSpaceSizes(INFERENCE)");
        CudnnApi.Check(CudnnApi.cudnnGetRNNTempSpaceSizes(handle, rnn.Value, CudnnForwardMode.Training, X.Value, out nuint wsTrain, out nuint reserve),
            "cudnnGetRNNTempSpaceSizes(TRAINING)");
        InferenceWorkspaceBytes = (long)ws;
        TrainingWorkspaceBytes = (long)wsTrain;
        ReserveBytes = (long)reserve;
    }

    public int Batch { get; }
    public RnnDataDescriptorHandle X { get; } = new();
    public RnnDataDescriptorHandle Y { get; } = new();
    public TensorDescriptorHandle H { get; } = new();
    public TensorDescriptorHandle? C { get; }
    public nint CValue => C?.Value ?? 0;
    public long InferenceWorkspaceBytes { get; }
    public long TrainingWorkspaceBytes { get; }
    public long ReserveBytes { get; }

    public void Dispose()
    {
        X.Dispose(); Y.Dispose(); H.Dispose(); C?.Dispose();
    }
}
