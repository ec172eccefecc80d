namespace CuRnn;

/// <summary>How an engine learns that <see cref="Rnn{T}.Parameters"/> changed, so it re-prepares its copy of them
/// (the managed engine's packed weights, the cuDNN engine's device weight space).</summary>
public enum ParameterSync
{
    /// <summary>
    /// Every call compares the parameters bit for bit with the copy the engine last prepared and re-prepares when they
    /// differ: a write through any span, however it was obtained, is seen. Costs one read of the parameters (and of a
    /// host snapshot) per call: about 1 ms for 8 M parameters on one core.
    /// </summary>
    Compare,

    /// <summary>
    /// The engine re-prepares only after <see cref="Rnn{T}.ParametersChanged"/> or a method of CuRnn that writes the
    /// parameters (<see cref="Rnn{T}.ResetParameters"/>, loading weights, the ONNX and Keras importers). Writes made
    /// through a span without that call may go unseen: the engine keeps using what it prepared. Saves the per-call compare, which matters on the cuDNN engine
    /// where the call itself may take less time than reading the parameters; keeps no host snapshot.
    /// </summary>
    Announced,
}
