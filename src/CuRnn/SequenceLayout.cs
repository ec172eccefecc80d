namespace CuRnn;

/// <summary>How the steps of a sequence batch are laid out in memory (cuDNN's three layouts).</summary>
public enum SequenceLayout
{
    /// <summary>Padded, <c>[T, B, F]</c>: step-major (PyTorch's default, cuDNN's SEQ_MAJOR_UNPACKED).</summary>
    SequenceMajor,
    /// <summary>Padded, <c>[B, T, F]</c>: one sequence after another (PyTorch's <c>batch_first</c>, cuDNN's BATCH_MAJOR_UNPACKED).</summary>
    BatchMajor,
    /// <summary>
    /// Packed, <c>[N, F]</c> with N = Σ lengths: the rows of step t for the sequences still running, lengths
    /// non-increasing (PyTorch's <c>PackedSequence.data</c>, cuDNN's SEQ_MAJOR_PACKED).
    /// </summary>
    Packed,
}
