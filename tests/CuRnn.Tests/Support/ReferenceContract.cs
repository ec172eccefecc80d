namespace CuRnn.Tests.Support;

/// <summary>
/// Runs a PyTorch reference on the sequences of length > 0 (PyTorch's packing refuses length 0) and fills in the
/// contract's values for the others: y = 0, hN = h0, cN = c0, dh0 = dhN, dc0 = dcN, dx = 0. All tensors are float64,
/// sequence-major padded, in the caller's order; the loss is Σ y·wy + Σ hN·whN + Σ cN·wcN.
/// </summary>
internal static class ReferenceContract
{
    public sealed class Result
    {
        public required double[] Y, HN, CN, DX, DH0, DC0;
        public required Dictionary<string, double[]> Grads;
    }

    /// <summary>Inputs of a reference run restricted to live sequences.</summary>
    public sealed record Request(RnnOptions Options, IReadOnlyDictionary<string, double[]> Parameters, int Steps, long[] Lengths,
        double[] X, double[] H0, double[] C0, double[] Wy, double[] WhN, double[] WcN);

    public static Result Run(Func<Request, Result> reference, RnnOptions o, IReadOnlyDictionary<string, double[]> parameters, int steps, int[] lengths,
        double[] x, double[] h0, double[] c0, double[] wy, double[] whN, double[] wcN)
    {
        int b = lengths.Length, ld = o.NumLayers * o.Directions, hout = o.OutputSize, h = o.HiddenSize, yw = o.OutputFeatures;
        bool lstm = o.Cell == RnnCellKind.Lstm;
        int[] live = Enumerable.Range(0, b).Where(s => lengths[s] > 0).ToArray();
        var sub = reference(new Request(o, parameters, steps, live.Select(s => (long)lengths[s]).ToArray(),
            Pick(x, steps, b, live, o.InputSize), Pick(h0, ld, b, live, hout), lstm ? Pick(c0, ld, b, live, h) : [],
            Pick(wy, steps, b, live, yw), Pick(whN, ld, b, live, hout), lstm ? Pick(wcN, ld, b, live, h) : []));
        var result = new Result
        {
            Y = new double[(long)steps * b * yw], HN = (double[])h0.Clone(), CN = lstm ? (double[])c0.Clone() : [],
            DX = new double[x.Length], DH0 = (double[])whN.Clone(), DC0 = lstm ? (double[])wcN.Clone() : [],
            Grads = sub.Grads,
        };
        Put(result.Y, sub.Y, steps, b, live, yw);
        Put(result.DX, sub.DX, steps, b, live, o.InputSize);
        Put(result.HN, sub.HN, ld, b, live, hout);
        Put(result.DH0, sub.DH0, ld, b, live, hout);
        if (lstm)
        {
            Put(result.CN, sub.CN, ld, b, live, h);
            Put(result.DC0, sub.DC0, ld, b, live, h);
        }
        return result;
    }

    // [outer, B, f] → [outer, live, f]
    private static double[] Pick(double[] a, int outer, int b, int[] live, int f)
    {
        var r = new double[outer * live.Length * f];
        for (int t = 0; t < outer; t++)
            for (int i = 0; i < live.Length; i++) Array.Copy(a, (t * b + live[i]) * f, r, (t * live.Length + i) * f, f);
        return r;
    }

    private static void Put(double[] dst, double[] src, int outer, int b, int[] live, int f)
    {
        for (int t = 0; t < outer; t++)
            for (int i = 0; i < live.Length; i++) Array.Copy(src, (t * live.Length + i) * f, dst, (t * b + live[i]) * f, f);
    }
}
