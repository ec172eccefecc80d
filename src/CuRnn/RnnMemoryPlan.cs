namespace CuRnn;

/// <summary>Memory a call needs, known before it runs.</summary>
/// <param name="Backend">The engine that would run the call.</param>
/// <param name="WorkspaceBytes">Scratch used during the call and released after it.</param>
/// <param name="SavedActivationBytes">Activations a training forward keeps for backward (0 for inference).</param>
/// <param name="DeviceBytes">Of the two above, the bytes that live in GPU memory.</param>
/// <param name="HostBytes">Of the two above, the bytes that live in host memory.</param>
/// <param name="Remarks">Where the memory lives and why, in plain words.</param>
public sealed record RnnMemoryPlan(RnnBackend Backend, long WorkspaceBytes, long SavedActivationBytes, long DeviceBytes, long HostBytes, string Remarks);
