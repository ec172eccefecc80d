using CuRnn.Engines;
using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>
/// Sizes whose products pass what a .NET array holds: refused where they are formed (parameters, batch rows, call
/// buffers, spans), with <see cref="ArgumentOutOfRangeException"/> naming the option or argument and the number; sizes
/// that fit give the counts their products say. Cases are drawn at random around the limit.
/// </summary>
[TestFixture, Category("unit")]
public sealed class SizeLimitTests
{
    private static readonly string[] OptionNames = [nameof(RnnOptions.InputSize), nameof(RnnOptions.HiddenSize), nameof(RnnOptions.NumLayers), nameof(RnnOptions.ProjectionSize)];

    [Test]
    public void Parameter_counts_are_exact_or_refused_with_the_option()
    {
        var r = TestData.NewRandom();
        int refused = 0, fitted = 0;
        for (int i = 0; i < 400; i++)
        {
            var cell = (RnnCellKind)r.Next(4);
            int hidden = (int)Math.Min(int.MaxValue, (long)Math.Pow(2, 4 + 27 * r.NextDouble()));
            int input = r.Next(3) == 0 ? int.MaxValue - r.Next(1000) : (int)Math.Min(int.MaxValue, (long)Math.Pow(2, 28 * r.NextDouble()));
            var o = new RnnOptions
            {
                Cell = cell, InputSize = Math.Max(1, input), HiddenSize = Math.Max(1, hidden), NumLayers = 1 + r.Next(4), Bidirectional = r.Next(2) == 0,
                ProjectionSize = cell == RnnCellKind.Lstm && hidden > 2 && r.Next(2) == 0 ? r.Next(1, hidden) : 0,
            };
            Int128 expected = Count(o);
            if (expected > Array.MaxLength)
            {
                var e = Assert.Throws<ArgumentOutOfRangeException>(() => new ParameterLayout(o), o.ToString())!;
                Assert.That(OptionNames, Does.Contain(e.ParamName), e.Message);
                Assert.That(e.Message, Does.Contain("elements").And.Contain($"{Array.MaxLength:N0}"));
                refused++;
            }
            else
            {
                Assert.That(new ParameterLayout(o).TotalLength, Is.EqualTo((int)expected), o.ToString());
                fitted++;
            }
        }
        Assert.That(refused, Is.GreaterThan(0), "some drawn layers pass the limit");
        Assert.That(fitted, Is.GreaterThan(0), "some fit");
        // The example: InputSize = int.MaxValue.
        var big = Assert.Throws<ArgumentOutOfRangeException>(() => new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Lstm, InputSize = int.MaxValue, HiddenSize = 1 }))!;
        Assert.That(big.ParamName, Is.EqualTo(nameof(RnnOptions.InputSize)));
        Assert.That(big.Message, Does.Contain("8,589,934,588"));
    }

    [Test]
    public void Batch_rows_are_exact_or_refused_with_lengths()
    {
        var r = TestData.NewRandom();
        for (int i = 0; i < 40; i++)
        {
            int b = r.Next(1, 40_000), longest = r.Next(1, 100_000);
            var lengths = new int[b];
            for (int k = 0; k < b; k++) lengths[k] = r.Next(2) == 0 ? longest : r.Next(0, longest + 1);
            long sum = lengths.Sum(l => (long)l);
            if (sum > Array.MaxLength)
            {
                var e = Assert.Throws<ArgumentOutOfRangeException>(() => SequenceBatch.Packed(lengths))!;
                Assert.That(e.ParamName, Is.EqualTo("lengths"));
                Assert.That(e.Message, Does.Contain($"{sum:N0}"));
            }
            else Assert.That(SequenceBatch.Packed(lengths).TotalSteps, Is.EqualTo(sum));
        }
        // The example: 30,680 sequences of 70,000 steps.
        var lengths2 = Enumerable.Repeat(70_000, 30_680).ToArray();
        Assert.Throws<ArgumentOutOfRangeException>(() => SequenceBatch.Packed(lengths2));
        Assert.That(SequenceBatch.Padded(SequenceLayout.SequenceMajor, 70_000, lengths2[..30_000]).TotalSteps, Is.EqualTo(2_100_000_000));
    }

    [Test]
    public void A_call_whose_span_would_pass_the_limit_names_it()
    {
        using var rnn = new Rnn<float>(new RnnOptions { Cell = RnnCellKind.Gru, InputSize = 3, HiddenSize = 2 });
        var batch = SequenceBatch.Uniform(SequenceLayout.BatchMajor, 1_000_000, 1_000);   // 1e9 rows × 3 inputs
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => rnn.Forward(batch, default, default))!;
        Assert.That(e.ParamName, Is.EqualTo("x"));
        Assert.That(e.Message, Does.Contain("3,000,000,000"));
    }

    [Test]
    public void Working_buffers_past_the_pool_are_allocated_and_past_the_limit_refused()
    {
        using var buffers = new PooledBuffers<byte>();
        var big = buffers.Rent((1L << 30) + 3);   // past the shared pool's largest size class
        Assert.That(big.Length, Is.EqualTo((1 << 30) + 3));
        big.Span[^1] = 7;
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => buffers.Rent((long)Array.MaxLength + 1))!;
        Assert.That(e.ParamName, Is.EqualTo("batch"));
    }

    // Elements of every tensor, summed: 128-bit, independent of the layout's own arithmetic.
    private static Int128 Count(RnnOptions o)
    {
        Int128 g = (Int128)o.Cell.GateCount() * o.HiddenSize, total = 0;
        int hout = o.ProjectionSize > 0 ? o.ProjectionSize : o.HiddenSize, d = o.Bidirectional ? 2 : 1;
        for (int l = 0; l < o.NumLayers; l++)
        {
            Int128 input = l == 0 ? o.InputSize : (Int128)d * hout;
            total += d * (g * input + g * hout + (o.Bias ? 2 * g : 0) + (o.ProjectionSize > 0 ? (Int128)o.ProjectionSize * o.HiddenSize : 0));
        }
        return total;
    }
}
