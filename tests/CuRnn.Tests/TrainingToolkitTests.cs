using System.Numerics;
using System.Text.Json;
using CuRnn.Tests.Support;
using CuRnn.Training;

namespace CuRnn.Tests;

/// <summary>
/// The training toolkit: the head's and the losses' gradients against central finite differences in float64, masks,
/// clipping, length-bucketed batches, and the optimizers against PyTorch's <c>torch.optim</c> on the same gradients
/// (float within 1e-6 of torch in float32, double within 1e-12 of torch in float64).
/// </summary>
[TestFixture, Category("unit")]
public sealed class TrainingToolkitTests
{
    private const double Step = 1e-6, Tolerance = 1e-6;

    [Test]
    public void Linear_head_gradients_match_finite_differences()
    {
        var r = TestData.NewRandom();
        int rows = 5, inputs = 7, outputs = 3;
        var head = new LinearHead<double>(inputs, outputs, (ulong)r.NextInt64());
        var x = TestData.Uniform<double>(r, rows * inputs);
        var w = TestData.Uniform<double>(r, rows * outputs);   // loss = Σ w·y
        double Loss()
        {
            var y = new double[rows * outputs];
            head.Forward(x, y, rows);
            return y.Zip(w, (a, b) => a * b).Sum();
        }
        var dx = TestData.Poisoned<double>(x.Length);
        var grads = new double[head.Parameters.Length];
        head.Backward(x, w, dx, grads, rows);
        Assert.That(TestData.RelativeError<double>(grads, GradientCheck.Numeric(head.Parameters, Loss, Step)), Is.LessThan(Tolerance), "dW, db");
        Assert.That(TestData.RelativeError<double>(dx, GradientCheck.Numeric(x, Loss, Step)), Is.LessThan(Tolerance), "dx");
    }

    [Test]
    public void Cross_entropy_gradients_match_finite_differences_and_masked_rows_count_nothing()
    {
        var r = TestData.NewRandom();
        int rows = 6, classes = 4;
        var logits = TestData.Uniform<double>(r, rows * classes, 3);
        var labels = Enumerable.Range(0, rows).Select(_ => r.Next(classes)).ToArray();
        var mask = Enumerable.Range(0, rows).Select(i => i % 3 != 1).ToArray();
        labels[1] = 99;   // masked out: never read
        var d = TestData.Poisoned<double>(logits.Length);
        double loss = Losses.SoftmaxCrossEntropy<double>(logits, labels, mask, d, classes);
        double Loss() => Losses.SoftmaxCrossEntropy<double>(logits, labels, mask, default, classes);
        Assert.That(loss, Is.EqualTo(Loss()));
        Assert.That(TestData.RelativeError<double>(d, GradientCheck.Numeric(logits, Loss, Step)), Is.LessThan(Tolerance));
        Assert.That(d.AsSpan(classes, classes).ToArray(), Is.All.Zero, "a masked row's gradient");
        // The mean over kept rows, as PyTorch's cross_entropy over those rows.
        double expected = 0;
        for (int i = 0; i < rows; i++)
        {
            if (!mask[i]) continue;
            var row = logits.AsSpan(i * classes, classes).ToArray();
            expected += Math.Log(row.Sum(Math.Exp)) - row[labels[i]];
        }
        Assert.That(loss, Is.EqualTo(expected / mask.Count(m => m)).Within(1e-12));
        Assert.Throws<ArgumentException>(() => Losses.SoftmaxCrossEntropy<double>(logits, [.. labels[..2], 7, .. labels[3..]], default, default, classes));
    }

    [Test]
    public void Mean_squared_error_gradients_match_finite_differences()
    {
        var r = TestData.NewRandom();
        var p = TestData.Uniform<double>(r, 9);
        var t = TestData.Uniform<double>(r, 9);
        var mask = Enumerable.Range(0, 9).Select(i => i != 4).ToArray();
        var d = TestData.Poisoned<double>(9);
        Losses.MeanSquaredError<double>(p, t, mask, d);
        Assert.That(TestData.RelativeError<double>(d, GradientCheck.Numeric(p, () => Losses.MeanSquaredError<double>(p, t, mask, default), Step)), Is.LessThan(Tolerance));
        Assert.That(d[4], Is.Zero);
    }

    [Test]
    public void A_step_mask_marks_each_sequence_s_steps_in_every_layout()
    {
        int[] lengths = [3, 0, 2];
        Assert.Multiple(() =>
        {
            Assert.That(Losses.StepMask(SequenceBatch.Padded(SequenceLayout.SequenceMajor, 3, lengths)),
                Is.EqualTo(new[] { true, false, true, true, false, true, true, false, false }));
            Assert.That(Losses.StepMask(SequenceBatch.Padded(SequenceLayout.BatchMajor, 3, lengths)),
                Is.EqualTo(new[] { true, true, true, false, false, false, true, true, false }));
            Assert.That(Losses.StepMask(SequenceBatch.Packed(lengths)), Has.Length.EqualTo(5).And.All.True);
        });
    }

    [Test]
    public void Clipping_scales_to_the_largest_norm_and_leaves_smaller_gradients()
    {
        var r = TestData.NewRandom();
        var g = TestData.Uniform<float>(r, 1000, 5);
        double norm = Math.Sqrt(g.Sum(v => (double)v * v));
        Assert.That(GradientClipping.ClipGlobalNorm<float>(g, 2.0), Is.EqualTo(norm).Within(1e-9).Percent);
        Assert.That(Math.Sqrt(g.Sum(v => (double)v * v)), Is.EqualTo(2.0).Within(1e-5));
        var small = (float[])g.Clone();
        GradientClipping.ClipGlobalNorm<float>(small, 100);
        Assert.That(small, Is.EqualTo(g));
    }

    [Test]
    public void Length_buckets_cover_every_sequence_once_and_pad_little()
    {
        var r = TestData.NewRandom();
        var lengths = Enumerable.Range(0, 1003).Select(_ => r.Next(1, 200)).ToArray();
        var buckets = new LengthBuckets(lengths, 16, (ulong)r.NextInt64(), poolBatches: 8);
        var first = buckets.Epoch(1);
        Assert.That(first.SelectMany(b => b).Order(), Is.EqualTo(Enumerable.Range(0, lengths.Length)), "each sequence once");
        Assert.That(first, Has.Count.EqualTo(buckets.Count));
        Assert.That(first.All(b => b.Length <= 16), Is.True);
        Assert.That(buckets.Epoch(1).SelectMany(b => b), Is.EqualTo(first.SelectMany(b => b)), "the seed and epoch decide");
        Assert.That(buckets.Epoch(2).SelectMany(b => b), Is.Not.EqualTo(first.SelectMany(b => b)), "another epoch, another order");
        // Padding: each batch's longest minus its shortest, well below what random batches give.
        double spread = first.Average(b => b.Max(i => lengths[i]) - b.Min(i => lengths[i]));
        Assert.That(spread, Is.LessThan(60), $"mean spread of lengths within a batch: {spread:F1}");
    }

    public static IEnumerable<TestCaseData> Optimizers()
    {
        yield return new TestCaseData("adam", new Dictionary<string, object> { ["lr"] = 0.01, ["beta1"] = 0.9, ["beta2"] = 0.999, ["eps"] = 1e-8, ["weight_decay"] = 0.0 }).SetArgDisplayNames("Adam");
        yield return new TestCaseData("adam", new Dictionary<string, object> { ["lr"] = 0.003, ["beta1"] = 0.8, ["beta2"] = 0.99, ["eps"] = 1e-6, ["weight_decay"] = 0.1 }).SetArgDisplayNames("Adam, L2 decay");
        yield return new TestCaseData("adamw", new Dictionary<string, object> { ["lr"] = 0.01, ["beta1"] = 0.9, ["beta2"] = 0.999, ["eps"] = 1e-8, ["weight_decay"] = 0.05 }).SetArgDisplayNames("AdamW");
        yield return new TestCaseData("sgd", new Dictionary<string, object> { ["lr"] = 0.05, ["momentum"] = 0.9, ["dampening"] = 0.1, ["weight_decay"] = 0.01, ["nesterov"] = false }).SetArgDisplayNames("SGD momentum");
        yield return new TestCaseData("sgd", new Dictionary<string, object> { ["lr"] = 0.05, ["momentum"] = 0.9, ["dampening"] = 0.0, ["weight_decay"] = 0.0, ["nesterov"] = true }).SetArgDisplayNames("SGD Nesterov");
        yield return new TestCaseData("sgd", new Dictionary<string, object> { ["lr"] = 0.1, ["momentum"] = 0.0, ["dampening"] = 0.0, ["weight_decay"] = 0.0, ["nesterov"] = false }).SetArgDisplayNames("SGD plain");
    }

    [TestCaseSource(nameof(Optimizers))]
    public void Optimizers_follow_torch_optim(string kind, Dictionary<string, object> options)
    {
        if (PythonTorchReference.Unavailable is { } why) Assert.Ignore(why);
        var r = TestData.NewRandom();
        int n = 64, steps = 25;
        var start = TestData.Uniform<double>(r, n, 2);
        var grads = TestData.Uniform<double>(r, (long)n * steps, 3);
        foreach (bool single in new[] { false, true })
        {
            // Float against torch in float32 (the same arithmetic, rounded in its own order), double against float64.
            var expected = TorchOptim(kind, options, start, grads, n, steps, single ? "float32" : "float64");
            var mine = single ? Run<float>(kind, options, start, grads, n, steps) : Run<double>(kind, options, start, grads, n, steps);
            double error = TestData.RelativeError<double>(mine, expected);
            TestContext.Out.WriteLine($"{kind} {(single ? "float" : "double")}: {error:E2}");
            Assert.That(error, Is.LessThan(single ? 1e-6 : 1e-12), single ? "float" : "double");
        }
    }

    // The parameters after every step, as doubles.
    private static double[] Run<T>(string kind, Dictionary<string, object> o, double[] start, double[] grads, int n, int steps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double D(string k) => Convert.ToDouble(o[k]);
        Optimizer<T> opt = kind switch
        {
            "adam" => new Adam<T>(n, D("lr"), D("beta1"), D("beta2"), D("eps"), D("weight_decay")),
            "adamw" => new AdamW<T>(n, D("lr"), D("beta1"), D("beta2"), D("eps"), D("weight_decay")),
            _ => new Sgd<T>(n, D("lr"), D("momentum"), D("dampening"), D("weight_decay"), (bool)o["nesterov"]),
        };
        var p = start.Select(T.CreateTruncating).ToArray();
        var all = new double[n * steps];
        for (int k = 0; k < steps; k++)
        {
            opt.Step(p, grads.AsSpan(k * n, n).ToArray().Select(T.CreateTruncating).ToArray());
            for (int i = 0; i < n; i++) all[k * n + i] = double.CreateTruncating(p[i]);
        }
        return all;
    }

    private static double[] TorchOptim(string kind, Dictionary<string, object> options, double[] start, double[] grads, int n, int steps, string dtype)
    {
        string dir = Directory.CreateTempSubdirectory("curnn-optim-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "spec.json"), JsonSerializer.Serialize(new { optimizer = kind, options, count = n, steps, dtype }));
            File.WriteAllBytes(Path.Combine(dir, "params.f64"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(start.AsSpan()).ToArray());
            File.WriteAllBytes(Path.Combine(dir, "grads.f64"), System.Runtime.InteropServices.MemoryMarshal.AsBytes(grads.AsSpan()).ToArray());
            string script = Path.Combine(AppContext.BaseDirectory, "Reference", "pytorch_optim_reference.py");
            var (code, output) = PythonTorchReference.Exec(PythonTorchReference.Python, $"\"{script}\" \"{dir}\"");
            if (code != 0) Assert.Fail($"the torch.optim reference failed ({code}):\n{output}");
            return System.Runtime.InteropServices.MemoryMarshal.Cast<byte, double>(File.ReadAllBytes(Path.Combine(dir, "out.f64"))).ToArray();
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
