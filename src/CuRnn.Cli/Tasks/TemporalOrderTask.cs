using CuRnn.Cli.Data;

namespace CuRnn.Cli.Tasks;

/// <summary>
/// The temporal order problem (Hochreiter &amp; Schmidhuber, 1997): a sequence of random distractor symbols holds two
/// relevant symbols, each X or Y, one early (10–20 % of the way in) and one in the middle (50–60 %); the class is
/// their order (XX, XY, YX, YY). The model must remember the first across the noise until the sequence's own end.
/// Symbols are one-hot over six (four distractors, X, Y). Chance is 25 %.
/// </summary>
internal sealed class TemporalOrderTask : SequenceTask
{
    private const int Symbols = 6, X = 4, Y = 5;

    public override string Name => "temporal-order";
    public override string Description => "classification: the order of two relevant symbols (XX, XY, YX, YY) among distractors";
    public override int Features => Symbols;
    public override Objective Objective => Objective.Classify;
    public override int Classes => 4;
    public override string Baseline => "25 % accuracy by chance";

    public override SequenceDataset Generate(int count, int minLength, int maxLength, int seed)
    {
        var random = new Random(seed);
        var data = new SequenceDataset(Features, Objective, Classes);
        for (int n = 0; n < count; n++)
        {
            int length = random.Next(minLength, maxLength + 1);
            int first = random.Next(length / 10, Math.Max(length / 10 + 1, length / 5));
            int second = random.Next(length / 2, Math.Max(length / 2 + 1, length * 3 / 5));
            int a = random.Next(2), b = random.Next(2);
            var x = new float[length * Symbols];
            for (int t = 0; t < length; t++)
            {
                int symbol = t == first ? X + a : t == second ? X + b : random.Next(4);
                x[t * Symbols + symbol] = 1;
            }
            data.Add(x, 2 * a + b);
        }
        return data;
    }
}
