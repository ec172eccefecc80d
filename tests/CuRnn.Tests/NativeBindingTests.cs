using System.Runtime.InteropServices;
using CuRnn.Engines.Cudnn;
using CuRnn.Native;
using CuRnn.Native.Cuda;

namespace CuRnn.Tests;

/// <summary>What the cuDNN engine's bindings and arithmetic promise without a device: names, messages, layouts, shapes.</summary>
[TestFixture, Category("unit")]
public sealed class NativeBindingTests
{
    [TestCase(0, "CUDNN_STATUS_SUCCESS")]
    [TestCase(2000, "CUDNN_STATUS_BAD_PARAM")]
    [TestCase(3007, "CUDNN_STATUS_NOT_SUPPORTED_ARCH_MISMATCH")]
    [TestCase(1008, "CUDNN_STATUS_SUBLIBRARY_LOADING_FAILED")]
    [TestCase(5002, "CUDNN_STATUS_EXECUTION_FAILED_CUBLAS")]
    public void Cudnn_status_names_follow_cudnn_9(int status, string name) => Assert.That(NativeStatus.CudnnName(status), Is.EqualTo(name));

    [Test]
    public void Unknown_cudnn_codes_say_their_category_and_old_codes_say_an_old_cudnn_loaded()
    {
        Assert.That(NativeStatus.CudnnName(3999), Does.Contain("NOT_SUPPORTED category"));
        Assert.That(NativeStatus.CudnnName(3), Does.Contain("older cuDNN than 9"));
    }

    [TestCase(2, "CUDA_ERROR_OUT_OF_MEMORY")]
    [TestCase(100, "CUDA_ERROR_NO_DEVICE")]
    [TestCase(700, "CUDA_ERROR_ILLEGAL_ADDRESS")]
    [TestCase(12345, "CUresult 12345")]
    public void Cuda_status_names(int status, string name) => Assert.That(NativeStatus.CudaName(status), Is.EqualTo(name));

    [Test]
    public void Exceptions_carry_the_status_name_the_call_and_cudnns_words()
    {
        var e = new CudnnException(2000, "cudnnRNNForward", "CUDNN_STATUS_BAD_PARAM", "xDesc has 0 rows");
        Assert.That(e.Message, Does.Contain("cudnnRNNForward").And.Contain("CUDNN_STATUS_BAD_PARAM (2000)").And.Contain("xDesc has 0 rows"));
        Assert.That(e.StatusName, Is.EqualTo("CUDNN_STATUS_BAD_PARAM"));
        var c = new CudaException(2, "cuMemAlloc_v2(1024 bytes)", "out of memory");
        Assert.That(c.Message, Does.Contain("cuMemAlloc_v2(1024 bytes)").And.Contain("CUDA_ERROR_OUT_OF_MEMORY"));
        Assert.That(c.IsOutOfMemory);
    }

    [Test]
    public void Memcpy2D_matches_the_drivers_64_bit_layout()
    {
        // CUDA_MEMCPY2D (v2): 16 fields, size_t sizes, 128 bytes on 64-bit; destination block starts at byte 56.
        Assert.That(Marshal.SizeOf<CudaApi.Memcpy2D>(), Is.EqualTo(128));
        Assert.That((int)Marshal.OffsetOf<CudaApi.Memcpy2D>(nameof(CudaApi.Memcpy2D.DstXInBytes)), Is.EqualTo(56));
        Assert.That((int)Marshal.OffsetOf<CudaApi.Memcpy2D>(nameof(CudaApi.Memcpy2D.WidthInBytes)), Is.EqualTo(112));
    }

    [Test, NonParallelizable]
    public void Search_path_variable_comes_first_and_cublas_loads_before_cudnns_sub_libraries()
    {
        string? old = Environment.GetEnvironmentVariable(NativeLibraryNames.SearchPathVariable);
        try
        {
            Environment.SetEnvironmentVariable(NativeLibraryNames.SearchPathVariable, "/opt/my-cudnn/lib");
            Assert.That(NativeLibraryProbe.CandidateFolders()[0], Is.EqualTo("/opt/my-cudnn/lib"));
            // Searched before the default loader path, so a system copy cannot shadow the one the user named.
            var trace = new List<string>();
            NativeLibraryProbe.TryLoad(["libcurnn-does-not-exist.so.7"], trace, out _, out _);
            Assert.That(trace[0], Is.EqualTo("not found: /opt/my-cudnn/lib/libcurnn-does-not-exist.so.7"));
            Assert.That(trace[1], Does.EndWith("(default loader path)"));
            Assert.That(trace.Count(t => t.Contains("/opt/my-cudnn/lib/")), Is.EqualTo(1), "the named folder is searched once");
        }
        finally { Environment.SetEnvironmentVariable(NativeLibraryNames.SearchPathVariable, old); }
        var order = NativeLibraryNames.CudnnCompanions.Select(n => n[0]).ToList();
        Assert.That(order.IndexOf("libcublas.so.13"), Is.LessThan(order.IndexOf("libcudnn_adv.so.9")));
        Assert.That(order.IndexOf("libcudnn_ops.so.9"), Is.LessThan(order.IndexOf("libcudnn_adv.so.9")));
    }

    [Test]
    public void Packed_shape_leaves_out_zero_length_sequences_longest_first()
    {
        var batch = SequenceBatch.Padded(SequenceLayout.BatchMajor, 5, [3, 0, 5, 0, 2]);
        var shape = new PackedShape(batch);
        Assert.That(shape.Batch, Is.EqualTo(3));
        Assert.That(shape.Lengths, Is.EqualTo(new[] { 5, 3, 2 }));
        Assert.That(shape.Rows, Is.EqualTo(10));
        Assert.That(shape.Steps, Is.EqualTo(5));
        Assert.That(new PackedShape(SequenceBatch.Packed([0, 0])).Batch, Is.Zero);
    }

    [Test]
    public void Device_pointer_calls_on_the_managed_engine_say_why_they_cannot_run()
    {
        using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = 2, HiddenSize = 3, Backend = RnnBackend.Managed });
        var batch = SequenceBatch.Uniform(SequenceLayout.SequenceMajor, 2, 1);
        var e = Assert.Throws<InvalidOperationException>(() => rnn.ForwardDevice(batch, new DeviceForwardTensors(1, 2)))!;
        Assert.That(e.Message, Does.Contain("cuDNN engine").And.Contain("Managed"));
        Assert.That(rnn.DeviceMemory, Is.Null);
    }

    [Test]
    public void Precision_and_device_options_are_validated()
    {
        var bad = new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 2, HiddenSize = 3, Precision = (RnnPrecision)7 };
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => bad.Validate())!.Message, Does.Contain("Precision"));
        var device = new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 2, HiddenSize = 3, DeviceOrdinal = -1 };
        Assert.That(Assert.Throws<ArgumentOutOfRangeException>(() => device.Validate())!.Message, Does.Contain("DeviceOrdinal"));
    }
}
