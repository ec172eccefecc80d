using CuRnn.Tests.Support;

namespace CuRnn.Tests;

/// <summary>The memory plan says, before a call, what the call then really keeps.</summary>
[TestFixture, Category("unit")]
public sealed class MemoryPlanTests
{
    public static IEnumerable<TestCaseData> Cases() => LayerCase.Cases(LayerCase.All());

    [TestCaseSource(nameof(Cases))]
    public void Saved_activation_bytes_equal_what_the_tape_holds(LayerCase c)
    {
        var r = TestData.NewRandom();
        foreach (double dropout in new[] { 0.0, 0.3 })
        {
            var o = c.Options(5, 6) with { Dropout = dropout };
            using var rnn = new Rnn<float>(o);
            var batch = SequenceBatch.Padded(SequenceLayout.BatchMajor, 9, TestData.MixedLengths(r, 5, 9));
            var plan = rnn.PlanMemory(batch, training: true);
            var inference = rnn.PlanMemory(batch, training: false);
            using var tape = rnn.ForwardTraining(batch, TestData.Uniform<float>(r, batch.ElementCount(5)), new float[batch.ElementCount(o.OutputFeatures)]);
            Assert.Multiple(() =>
            {
                Assert.That(plan.SavedActivationBytes, Is.EqualTo(tape.Peek().SavedBytes.Host), $"dropout {dropout}: planned vs held");
                Assert.That(plan.DeviceBytes, Is.Zero);
                Assert.That(plan.HostBytes, Is.EqualTo(plan.WorkspaceBytes + plan.SavedActivationBytes));
                Assert.That(plan.Backend, Is.EqualTo(RnnBackend.Managed));
                Assert.That(inference.SavedActivationBytes, Is.Zero);
                Assert.That(inference.WorkspaceBytes, Is.GreaterThan(0));
            });
        }
    }

    [TestCaseSource(nameof(Cases))]
    public void Workspace_bytes_equal_the_scratch_a_call_uses(LayerCase c)
    {
        var r = TestData.NewRandom();
        foreach (var layout in Enum.GetValues<SequenceLayout>())
        {
            var o = c.Options(5, 6);
            using var rnn = new Rnn<float>(o);
            var engine = (CuRnn.Engines.ManagedEngine<float>)rnn.Engine;
            var lengths = TestData.MixedLengths(r, 4, 7).OrderByDescending(l => l).ToArray();
            var batch = layout == SequenceLayout.Packed ? SequenceBatch.Packed(lengths) : SequenceBatch.Padded(layout, 7, lengths);
            var x = TestData.Uniform<float>(r, batch.ElementCount(5));
            var y = new float[batch.ElementCount(o.OutputFeatures)];
            rnn.Forward(batch, x, y);
            Assert.That(rnn.PlanMemory(batch, training: false).WorkspaceBytes, Is.EqualTo(engine.LastCallScratchElements * sizeof(float)), $"{layout} inference");

            long planned = rnn.PlanMemory(batch, training: true).WorkspaceBytes;
            var tape = rnn.ForwardTraining(batch, x, y);
            long forward = engine.LastCallScratchElements;
            rnn.Backward(tape, TestData.Uniform<float>(r, y.Length), new float[x.Length], new float[rnn.ParameterCount]);
            long backward = engine.LastCallScratchElements;
            Assert.That(planned, Is.EqualTo(Math.Max(forward, backward) * sizeof(float)), $"{layout} training");
        }
    }
}
