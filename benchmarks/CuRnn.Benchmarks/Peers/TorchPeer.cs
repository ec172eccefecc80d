using CuRnn.Tests.Support;
using TorchSharp;
using static TorchSharp.torch;

namespace CuRnn.Benchmarks.Peers;

/// <summary>PyTorch's nn.LSTM / nn.GRU / nn.RNN (libtorch CPU through TorchSharp) on the same weights and input as CuRnn.</summary>
internal sealed class TorchPeer : IDisposable
{
    private readonly nn.Module _module;
    private readonly Tensor _x, _xTrain, _lengths, _dy;
    private readonly bool _mixed;
    private readonly int _steps;

    public TorchPeer(SuiteShape s, Rnn<float> ours, float[] xSeqMajor, float[] dySeqMajor, int threads)
    {
        if (TorchRuntime.Unavailable is { } why) throw new InvalidOperationException(why);
        torch.set_num_threads(threads);
        var o = ours.Options;
        _module = o.Cell switch
        {
            RnnCellKind.Lstm => nn.LSTM(o.InputSize, o.HiddenSize, o.NumLayers, true, false, 0, o.Bidirectional),
            RnnCellKind.Gru => nn.GRU(o.InputSize, o.HiddenSize, o.NumLayers, true, false, 0, o.Bidirectional),
            _ => nn.RNN(o.InputSize, o.HiddenSize, o.NumLayers, o.Cell == RnnCellKind.RnnRelu ? nn.NonLinearities.ReLU : nn.NonLinearities.Tanh,
                true, false, 0, o.Bidirectional),
        };
        using (no_grad())
            foreach (var (name, p) in _module.named_parameters()) p.copy_(tensor(ours.Parameter(name).ToArray()).reshape(p.shape));
        _steps = s.Steps;
        _mixed = s.MixedLengths;
        _x = tensor(xSeqMajor, [s.Steps, s.Batch, s.Input]);
        _xTrain = _x.detach().requires_grad_();
        _dy = tensor(dySeqMajor, [s.Steps, s.Batch, o.OutputFeatures]);
        _lengths = tensor(s.Lengths().Select(l => (long)l).ToArray());
    }

    /// <summary>y [T, B, D*H] (padding 0) for the input <paramref name="x"/>.</summary>
    private Tensor Forward(Tensor x)
    {
        if (!_mixed)
        {
            return _module switch
            {
                TorchSharp.Modules.LSTM m => m.call(x).Item1,
                TorchSharp.Modules.GRU m => m.call(x).Item1,
                _ => ((TorchSharp.Modules.RNN)_module).call(x).Item1,
            };
        }
        var packed = nn.utils.rnn.pack_padded_sequence(x, _lengths, false, false);
        var outPacked = _module switch
        {
            TorchSharp.Modules.LSTM m => m.call(packed).Item1,
            TorchSharp.Modules.GRU m => m.call(packed).Item1,
            _ => ((TorchSharp.Modules.RNN)_module).call(packed).Item1,
        };
        return nn.utils.rnn.pad_packed_sequence(outPacked, false, 0.0, _steps).Item1;
    }

    /// <summary>Inference: forward with autograd off.</summary>
    public void ForwardNoGrad()
    {
        using var scope = NewDisposeScope();
        using var g = no_grad();
        Forward(_x);
    }

    /// <summary>A training step: forward, then backward into the weight gradients and the input's gradient.</summary>
    public void TrainingStep()
    {
        using var scope = NewDisposeScope();
        _module.zero_grad();
        _xTrain.grad?.zero_();
        var y = Forward(_xTrain);
        y.backward([_dy]);
    }

    public float[] Output()
    {
        using var scope = NewDisposeScope();
        using var g = no_grad();
        return Forward(_x).contiguous().data<float>().ToArray();
    }

    public void Dispose()
    {
        _module.Dispose();
        _x.Dispose(); _xTrain.Dispose(); _dy.Dispose(); _lengths.Dispose();
    }
}
