namespace CuRnn.Engines;

/// <summary>Dropout masks drawn from the layer's seeded generator.</summary>
internal sealed class DropoutSource(ulong seed)
{
    private SplitMix64 _rng = new(seed);

    public void Reseed(ulong seed) => _rng = new SplitMix64(seed);

    /// <summary>Fills <paramref name="mask"/> with 0 (probability p) or 1/(1-p).</summary>
    public void Fill<T>(Span<T> mask, double p) where T : System.Numerics.INumber<T>
    {
        T keep = p >= 1 ? T.Zero : T.CreateChecked(1.0 / (1.0 - p));
        for (int i = 0; i < mask.Length; i++) mask[i] = _rng.NextDouble() < p ? T.Zero : keep;
    }
}
