namespace CuRnn;

/// <summary>Arithmetic of the cuDNN engine (the managed engine always computes in <c>T</c>).</summary>
public enum RnnPrecision
{
    /// <summary>
    /// IEEE FP32 (or FP64 for <c>Rnn&lt;double&gt;</c>) with no TF32 tensor-core rounding: agrees with the managed engine
    /// within 1e-5 (relative); within 3e-5 where cuDNN runs its persistent small-hidden kernel (equal-length batches,
    /// small H, no projection; PyTorch picks it in the same cases).
    /// </summary>
    Strict,
    /// <summary>FP32 data, TF32 tensor-core products (10-bit mantissa inputs): relative error up to about 1e-2 against strict FP32.</summary>
    TensorFloat32,
    /// <summary>FP16 data on the device with FP32 accumulation (host spans stay float; converted on the way): relative error up to about 1e-2.</summary>
    Half,
}
