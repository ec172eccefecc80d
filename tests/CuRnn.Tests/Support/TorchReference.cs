using TorchSharp;
using static TorchSharp.torch;

namespace CuRnn.Tests.Support;

/// <summary>
/// PyTorch's own nn.RNN / nn.LSTM / nn.GRU (libtorch on the CPU through TorchSharp) in float64 on a
/// sequence-major padded batch, with variable lengths through pack_padded_sequence (enforce_sorted=false).
/// Sequences of length 0, which PyTorch's packing refuses, are left out of the torch call; the contract's
/// values for them (y = 0, hN = h0, cN = c0, dh0 = dhN, dc0 = dcN, dx = 0) are filled in.
/// </summary>
internal static class TorchReference
{
    public sealed class Result
    {
        public required double[] Y, HN, CN, DX, DH0, DC0;
        public required Dictionary<string, double[]> Grads;
    }

    public static Result Run(RnnOptions o, IReadOnlyDictionary<string, double[]> parameters, int steps, int[] lengths,
        double[] x, double[] h0, double[] c0, double[] wy, double[] whN, double[] wcN)
    {
        int b = lengths.Length, ld = o.NumLayers * o.Directions, hout = o.OutputSize, h = o.HiddenSize, yw = o.OutputFeatures;
        bool lstm = o.Cell == RnnCellKind.Lstm;
        int[] live = Enumerable.Range(0, b).Where(s => lengths[s] > 0).ToArray();
        int n = live.Length;

        using var scope = NewDisposeScope();
        nn.Module module = o.Cell switch
        {
            RnnCellKind.Lstm => nn.LSTM(o.InputSize, h, o.NumLayers, o.Bias, false, 0, o.Bidirectional, dtype: ScalarType.Float64),
            RnnCellKind.Gru => nn.GRU(o.InputSize, h, o.NumLayers, o.Bias, false, 0, o.Bidirectional, dtype: ScalarType.Float64),
            _ => nn.RNN(o.InputSize, h, o.NumLayers, o.Cell == RnnCellKind.RnnRelu ? nn.NonLinearities.ReLU : nn.NonLinearities.Tanh,
                o.Bias, false, 0, o.Bidirectional, dtype: ScalarType.Float64),
        };
        var named = module.named_parameters().ToList();
        Assert.That(named.Select(p => p.name), Is.EquivalentTo(parameters.Keys), "PyTorch's parameter names");
        using (no_grad())
            foreach (var (name, p) in named) p.copy_(tensor(parameters[name]).reshape(p.shape));

        // Subset of live sequences, in the caller's order.
        var xs = tensor(Pick(x, steps, b, live, o.InputSize), [steps, n, o.InputSize], requires_grad: true);
        var h0s = tensor(PickState(h0, ld, b, live, hout), [ld, n, hout], requires_grad: true);
        var c0s = lstm ? tensor(PickState(c0, ld, b, live, h), [ld, n, h], requires_grad: true) : null;
        var lens = tensor(live.Select(s => (long)lengths[s]).ToArray());
        var packed = nn.utils.rnn.pack_padded_sequence(xs, lens, false, false);

        Tensor yPacked_hN, hN, cN = null!;
        nn.utils.rnn.PackedSequence outPacked;
        switch (module)
        {
            case TorchSharp.Modules.LSTM m: (outPacked, hN, cN) = m.call(packed, (h0s, c0s!)); break;
            case TorchSharp.Modules.GRU m: (outPacked, hN) = m.call(packed, h0s); break;
            default: (outPacked, hN) = ((TorchSharp.Modules.RNN)module).call(packed, h0s); break;
        }
        var (yPad, _) = nn.utils.rnn.pad_packed_sequence(outPacked, false, 0.0, steps);
        yPacked_hN = yPad;
        var loss = (yPad * tensor(Pick(wy, steps, b, live, yw), [steps, n, yw])).sum()
                 + (hN * tensor(PickState(whN, ld, b, live, hout), [ld, n, hout])).sum();
        if (lstm) loss += (cN * tensor(PickState(wcN, ld, b, live, h), [ld, n, h])).sum();
        loss.backward();

        var result = new Result
        {
            Y = new double[(long)steps * b * yw], HN = (double[])h0.Clone(), CN = lstm ? (double[])c0.Clone() : [],
            DX = new double[x.Length], DH0 = (double[])whN.Clone(), DC0 = lstm ? (double[])wcN.Clone() : [],
            Grads = named.ToDictionary(p => p.name, p => p.parameter.grad!.contiguous().data<double>().ToArray()),
        };
        Put(result.Y, yPacked_hN.contiguous().data<double>().ToArray(), steps, b, live, yw);
        Put(result.DX, xs.grad!.contiguous().data<double>().ToArray(), steps, b, live, o.InputSize);
        PutState(result.HN, hN.contiguous().data<double>().ToArray(), ld, b, live, hout);
        PutState(result.DH0, h0s.grad!.contiguous().data<double>().ToArray(), ld, b, live, hout);
        if (lstm)
        {
            PutState(result.CN, cN.contiguous().data<double>().ToArray(), ld, b, live, h);
            PutState(result.DC0, c0s!.grad!.contiguous().data<double>().ToArray(), ld, b, live, h);
        }
        return result;
    }

    private static double[] Pick(double[] a, int steps, int b, int[] live, int f)
    {
        var r = new double[steps * live.Length * f];
        for (int t = 0; t < steps; t++)
            for (int i = 0; i < live.Length; i++) Array.Copy(a, (t * b + live[i]) * f, r, (t * live.Length + i) * f, f);
        return r;
    }

    private static void Put(double[] dst, double[] src, int steps, int b, int[] live, int f)
    {
        for (int t = 0; t < steps; t++)
            for (int i = 0; i < live.Length; i++) Array.Copy(src, (t * live.Length + i) * f, dst, (t * b + live[i]) * f, f);
    }

    private static double[] PickState(double[] a, int ld, int b, int[] live, int f) => Pick(a, ld, b, live, f);
    private static void PutState(double[] dst, double[] src, int ld, int b, int[] live, int f) => Put(dst, src, ld, b, live, f);
}
