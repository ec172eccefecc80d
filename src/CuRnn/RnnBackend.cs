namespace CuRnn;

/// <summary>Which engine runs a layer.</summary>
public enum RnnBackend
{
    /// <summary>cuDNN where the CUDA driver, a device and cuDNN 9 all load; the managed engine otherwise.</summary>
    Auto,
    /// <summary>The pure-managed SIMD engine (any machine).</summary>
    Managed,
    /// <summary>cuDNN 9 on an NVIDIA GPU; an exception carrying the probe report where it cannot run.</summary>
    Cudnn,
}

/// <summary>How a forward pass is launched.</summary>
public enum ExecutionMode
{
    /// <summary>One fused call over the whole sequence batch (input projection of all steps at once).</summary>
    Dynamic,
    /// <summary>The sequence unrolled at the API level: one launch (projection and cell) per time step.</summary>
    Static,
}

/// <summary>What backward does with the flat gradient buffer.</summary>
public enum GradientMode
{
    /// <summary>Add the weight gradients into the buffer (PyTorch's <c>.grad</c> accumulation).</summary>
    Accumulate,
    /// <summary>Overwrite the buffer with this call's weight gradients.</summary>
    Overwrite,
}
