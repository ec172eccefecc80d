using CuRnn.Cli.Data;

namespace CuRnn.Cli.Tasks;

/// <summary>
/// The adding problem (Hochreiter &amp; Schmidhuber, 1997): each step carries a random value in [0, 1) and a marker;
/// exactly two steps are marked, one in each half, and the target is the sum of their values. The model must carry
/// the first marked value across the noise to the sequence's own end. Predicting the mean scores an MSE of about 0.167.
/// </summary>
internal sealed class AddingTask : SequenceTask
{
    public override string Name => "adding";
    public override string Description => "regression: the sum of the two marked values in a noisy sequence";
    public override int Features => 2;
    public override Objective Objective => Objective.Regress;
    public override int Classes => 0;
    public override string Baseline => "MSE 0.167 by predicting the mean";

    public override SequenceDataset Generate(int count, int minLength, int maxLength, int seed)
    {
        var random = new Random(seed);
        var data = new SequenceDataset(Features, Objective, 0);
        for (int n = 0; n < count; n++)
        {
            int length = random.Next(minLength, maxLength + 1);
            int first = random.Next(0, length / 2), second = random.Next(length / 2, length);
            var x = new float[length * 2];
            float sum = 0;
            for (int t = 0; t < length; t++)
            {
                x[2 * t] = (float)random.NextDouble();
                if (t == first || t == second) { x[2 * t + 1] = 1; sum += x[2 * t]; }
            }
            data.Add(x, sum);
        }
        return data;
    }
}
