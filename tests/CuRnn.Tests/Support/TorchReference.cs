using TorchSharp;
using static TorchSharp.torch;

namespace CuRnn.Tests.Support;

/// <summary>
/// PyTorch's own nn.RNN / nn.LSTM / nn.GRU (libtorch 2.10 on the CPU through TorchSharp) in float64, with
/// variable lengths through pack_padded_sequence(enforce_sorted=false). No LSTM projection: TorchSharp's
/// nn.LSTM has no proj_size (see <see cref="PythonTorchReference"/>).
/// </summary>
internal static class TorchReference
{
    public static ReferenceContract.Result Run(ReferenceContract.Request q) => Run(q, ScalarType.Float64);

    /// <summary>The same computation in PyTorch's float32: how close PyTorch itself comes on a given draw.</summary>
    public static ReferenceContract.Result RunSingle(ReferenceContract.Request q) => Run(q, ScalarType.Float32);

    private static ReferenceContract.Result Run(ReferenceContract.Request q, ScalarType dtype)
    {
        var o = q.Options;
        int n = q.Lengths.Length, ld = o.NumLayers * o.Directions, hout = o.OutputSize, h = o.HiddenSize, yw = o.OutputFeatures;
        bool lstm = o.Cell == RnnCellKind.Lstm;
        if (o.ProjectionSize > 0) throw new NotSupportedException("TorchSharp's nn.LSTM has no proj_size.");

        using var scope = NewDisposeScope();
        nn.Module module = o.Cell switch
        {
            RnnCellKind.Lstm => nn.LSTM(o.InputSize, h, o.NumLayers, o.Bias, false, 0, o.Bidirectional, dtype: dtype),
            RnnCellKind.Gru => nn.GRU(o.InputSize, h, o.NumLayers, o.Bias, false, 0, o.Bidirectional, dtype: dtype),
            _ => nn.RNN(o.InputSize, h, o.NumLayers, o.Cell == RnnCellKind.RnnRelu ? nn.NonLinearities.ReLU : nn.NonLinearities.Tanh,
                o.Bias, false, 0, o.Bidirectional, dtype: dtype),
        };
        var named = module.named_parameters().ToList();
        Assert.That(named.Select(p => p.name), Is.EquivalentTo(q.Parameters.Keys), "PyTorch's parameter names");
        using (no_grad())
            foreach (var (name, p) in named) p.copy_(tensor(q.Parameters[name]).reshape(p.shape).to_type(dtype));

        Tensor Leaf(double[] data, long[] shape) => tensor(data, shape).to_type(dtype).requires_grad_();
        var xs = Leaf(q.X, [q.Steps, n, o.InputSize]);
        var h0s = Leaf(q.H0, [ld, n, hout]);
        var c0s = lstm ? Leaf(q.C0, [ld, n, h]) : null;
        var packed = nn.utils.rnn.pack_padded_sequence(xs, tensor(q.Lengths), false, false);

        Tensor hN, cN = null!;
        nn.utils.rnn.PackedSequence outPacked;
        switch (module)
        {
            case TorchSharp.Modules.LSTM m: (outPacked, hN, cN) = m.call(packed, (h0s, c0s!)); break;
            case TorchSharp.Modules.GRU m: (outPacked, hN) = m.call(packed, h0s); break;
            default: (outPacked, hN) = ((TorchSharp.Modules.RNN)module).call(packed, h0s); break;
        }
        var (y, _) = nn.utils.rnn.pad_packed_sequence(outPacked, false, 0.0, q.Steps);
        var loss = (y * tensor(q.Wy, [q.Steps, n, yw]).to_type(dtype)).sum() + (hN * tensor(q.WhN, [ld, n, hout]).to_type(dtype)).sum();
        if (lstm) loss += (cN * tensor(q.WcN, [ld, n, h]).to_type(dtype)).sum();
        loss.backward();

        static double[] Data(Tensor t) => t.to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        return new ReferenceContract.Result
        {
            Y = Data(y), HN = Data(hN), CN = lstm ? Data(cN) : [],
            DX = Data(xs.grad!), DH0 = Data(h0s.grad!), DC0 = lstm ? Data(c0s!.grad!) : [],
            Grads = named.ToDictionary(p => p.name, p => Data(p.parameter.grad!)),
        };
    }
}
