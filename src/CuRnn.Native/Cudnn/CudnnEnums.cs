namespace CuRnn.Native.Cudnn;

// Values from cuDNN 9's headers (cudnn_graph.h, cudnn_ops.h, cudnn_adv.h); all C enums are 4-byte ints.

internal enum CudnnDataType : int { Float = 0, Double = 1, Half = 2, BFloat16 = 9 }

internal enum CudnnMathType : int { Default = 0, TensorOp = 1, TensorOpAllowConversion = 2, Fma = 3 }

internal enum CudnnRnnAlgo : int { Standard = 0, PersistStatic = 1, PersistDynamic = 2, PersistStaticSmallH = 3 }

internal enum CudnnForwardMode : int { Inference = 0, Training = 1 }

internal enum CudnnRnnMode : int { Relu = 0, Tanh = 1, Lstm = 2, Gru = 3 }

internal enum CudnnRnnBiasMode : int { NoBias = 0, SingleInput = 1, Double = 2, SingleRecurrent = 3 }

internal enum CudnnDirectionMode : int { Unidirectional = 0, Bidirectional = 1 }

internal enum CudnnRnnInputMode : int { Linear = 0, Skip = 1 }

internal enum CudnnRnnDataLayout : int { SequenceMajorUnpacked = 0, SequenceMajorPacked = 1, BatchMajorUnpacked = 2 }

internal enum CudnnWgradMode : int { Add = 0, Set = 1 }

internal static class CudnnAuxFlags
{
    public const uint PaddedIoDisabled = 0;
    public const uint PaddedIoEnabled = 1;
}
