using System.Globalization;
using System.Numerics.Tensors;
using CuRnn.Cli.Data;
using CuRnn.Training;
using CuRnn.Weights;

namespace CuRnn.Cli.Training;

/// <summary>
/// A CuRnn layer and a linear head over the last layer's final states (both directions concatenated): softmax
/// cross-entropy over classes, or one number under MSE. Saved as one safetensors file whose names a PyTorch module
/// with attributes <c>rnn</c> and <c>head</c> (nn.Linear) loads as is.
/// </summary>
internal sealed class SequenceModel : IDisposable
{
    private const string ModelKey = "curnn.model.";
    private readonly float[] _features, _dFeatures, _logits, _dLogits, _hN, _dhN, _gradients, _targets;
    private readonly int[] _labels;
    private float[] _y, _dy;

    public SequenceModel(RnnOptions options, Objective objective, int outputs, int maxBatch, int maxLength, int seed)
    {
        Rnn = new Rnn<float>(options);
        if (options.Cell == RnnCellKind.Lstm) OpenForgetGates(Rnn, options.HiddenSize);
        Objective = objective;
        Head = new LinearHead<float>(options.Directions * options.OutputSize, outputs, (ulong)seed);
        _features = new float[maxBatch * HeadInputs];
        _dFeatures = new float[_features.Length];
        _logits = new float[maxBatch * outputs];
        _dLogits = new float[_logits.Length];
        _labels = new int[maxBatch];
        _targets = new float[maxBatch];
        _y = new float[maxBatch * maxLength * options.OutputFeatures];
        _dy = new float[_y.Length];
        _hN = new float[options.NumLayers * options.Directions * maxBatch * options.OutputSize];
        _dhN = new float[_hN.Length];
        _gradients = new float[Rnn.ParameterCount + Head.Parameters.Length];
        MaxBatch = maxBatch;
        MaxLength = maxLength;
    }

    // An LSTM's forget gates start open (input bias 1 on the forget gate, the usual remedy: Jozefowicz et al., 2015),
    // so early gradients reach back over long gaps; with the plain uniform start, some seeds of the temporal-order
    // task ended ten epochs at 73-76 % held out instead of 100 %.
    private static void OpenForgetGates(Rnn<float> rnn, int hidden)
    {
        foreach (var info in rnn.ParameterInfos)
            if (info.Kind == RnnParameterKind.InputBias) rnn.Parameters.Slice(info.Offset + hidden, hidden).Fill(1f);
        rnn.ParametersChanged();
    }

    public Rnn<float> Rnn { get; }
    /// <summary>The linear head over the last layer's final states (both directions).</summary>
    public LinearHead<float> Head { get; }
    public Objective Objective { get; }
    public int Outputs => Head.Outputs;
    public int HeadInputs => Head.Inputs;
    public int MaxBatch { get; }
    public int MaxLength { get; private set; }

    /// <summary>Grows the output buffers so batches of sequences up to <paramref name="maxLength"/> steps fit.</summary>
    public void Reserve(int maxLength)
    {
        if (maxLength <= MaxLength) return;
        MaxLength = maxLength;
        _y = new float[MaxBatch * maxLength * Rnn.Options.OutputFeatures];
        _dy = new float[_y.Length];
    }

    /// <summary>Every trainable value's gradient after <see cref="TrainStep"/>: the layer's, then the head's (weight, bias).</summary>
    public Span<float> Gradients => _gradients;
    public Span<float> LayerGradients => _gradients.AsSpan(0, Rnn.ParameterCount);
    public Span<float> HeadGradients => _gradients.AsSpan(Rnn.ParameterCount);
    public int ParameterCount => _gradients.Length;

    /// <summary>The whole gradient buffer (layer, then head), for collectives that keep it pinned.</summary>
    public Memory<float> GradientMemory => _gradients;

    /// <summary>
    /// The gradient buffer's ranges in the order backward finishes them: the head's, then each layer's from the top
    /// (the buckets data-parallel training all-reduces while backward goes on).
    /// </summary>
    public IReadOnlyList<(int Offset, int Length)> BackwardOrder()
    {
        var ranges = new List<(int Offset, int Length)> { (Rnn.ParameterCount, Head.Parameters.Length) };
        for (int layer = Rnn.Options.NumLayers - 1; layer >= 0; layer--) ranges.Add(Rnn.LayerGradientRange(layer));
        return ranges;
    }

    /// <summary>
    /// Forward, loss and backward for one batch; returns the summed loss and the number of correct predictions.
    /// <paramref name="bucketReady"/> hears each range of <see cref="BackwardOrder"/> as its gradients become final.
    /// </summary>
    public (double Loss, int Correct) TrainStep(PaddedBatch batch, float tolerance, Action<int>? bucketReady = null)
    {
        int b = batch.Size;
        CutOutputs(batch, out var y, out var hN);
        var dhN = _dhN.AsSpan(0, hN.Length);
        dhN.Clear();
        HeadGradients.Clear();
        double loss;
        int correct;
        using (var tape = Rnn.ForwardTraining(batch.Batch, new(batch.X), new(y) { HN = hN }))
        {
            var features = GatherFeatures(hN, b);
            (loss, correct) = Score(batch, b, tolerance, features, _dLogits.AsSpan(0, b * Outputs));
            var dFeatures = _dFeatures.AsSpan(0, b * HeadInputs);
            Head.Backward(features, _dLogits.AsSpan(0, b * Outputs), dFeatures, HeadGradients, b);
            ScatterFeatures(dhN, dFeatures, b);
            bucketReady?.Invoke(0);
            int layers = Rnn.Options.NumLayers;
            Rnn.Backward(tape, new(_dy.AsSpan(0, y.Length)) { DHN = dhN },
                new(default, LayerGradients) { LayerGradientsReady = bucketReady is null ? null : layer => bucketReady(layers - layer) },
                GradientMode.Overwrite);
        }
        return (loss * b, correct);
    }

    /// <summary>
    /// Loss and correct count for one batch, and each sequence's prediction (class or value) in <paramref name="predictions"/>;
    /// for classification, each sequence's class probabilities [b, Outputs] in <paramref name="probabilities"/> when given.
    /// </summary>
    public (double Loss, int Correct) Evaluate(PaddedBatch batch, float tolerance, Span<float> predictions, bool labelled = true, Span<float> probabilities = default)
    {
        int b = batch.Size;
        CutOutputs(batch, out var y, out var hN);
        Rnn.Forward(batch.Batch, new(batch.X), new(y) { HN = hN });
        var features = GatherFeatures(hN, b);
        var (loss, correct) = Score(batch, b, tolerance, features, default, labelled);
        var logits = _logits.AsSpan(0, b * Outputs);
        for (int i = 0; i < b; i++)
            predictions[i] = Objective == Objective.Classify ? System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(logits.Slice(i * Outputs, Outputs)) : logits[i];
        // Class probabilities [b, Outputs]: softmax of each row's logits.
        if (!probabilities.IsEmpty && Objective == Objective.Classify)
            for (int i = 0; i < b; i++)
                System.Numerics.Tensors.TensorPrimitives.SoftMax<float>(logits.Slice(i * Outputs, Outputs), probabilities.Slice(i * Outputs, Outputs));
        return labelled ? (loss * b, correct) : (0, 0);
    }

    // The head over the batch's features into _logits; the mean loss (softmax cross-entropy or MSE), the correct count,
    // and d(mean loss)/d(logits) when asked.
    private (double Loss, int Correct) Score(PaddedBatch batch, int b, float tolerance, ReadOnlySpan<float> features, Span<float> dLogits, bool labelled = true)
    {
        var logits = _logits.AsSpan(0, b * Outputs);
        Head.Forward(features, logits, b);
        if (!labelled) return (0, 0);
        int correct = 0;
        if (Objective == Objective.Regress)
        {
            var targets = _targets.AsSpan(0, b);
            batch.Targets.CopyTo(targets);
            for (int i = 0; i < b; i++) if (MathF.Abs(logits[i] - targets[i]) < tolerance) correct++;
            return (Losses.MeanSquaredError<float>(logits, targets, default, dLogits), correct);
        }
        var labels = _labels.AsSpan(0, b);
        for (int i = 0; i < b; i++)
        {
            labels[i] = (int)batch.Targets[i];
            if (System.Numerics.Tensors.TensorPrimitives.IndexOfMax<float>(logits.Slice(i * Outputs, Outputs)) == labels[i]) correct++;
        }
        return (Losses.SoftmaxCrossEntropy<float>(logits, labels, default, dLogits, Outputs), correct);
    }

    // The layer's output buffers, cut to this batch: y [B, T, D*Hout] and hN [L*D, B, Hout].
    private void CutOutputs(PaddedBatch batch, out Span<float> y, out Span<float> hN)
    {
        var o = Rnn.Options;
        y = _y.AsSpan(0, (int)batch.Batch.ElementCount(o.OutputFeatures));
        hN = _hN.AsSpan(0, o.NumLayers * o.Directions * batch.Size * o.OutputSize);
    }

    // [B, D*Hout]: the last layer's final h of each direction, per sequence.
    private Span<float> GatherFeatures(ReadOnlySpan<float> hN, int b)
    {
        var o = Rnn.Options;
        var features = _features.AsSpan(0, b * HeadInputs);
        for (int i = 0; i < b; i++)
            for (int dir = 0; dir < o.Directions; dir++)
                hN.Slice((((o.NumLayers - 1) * o.Directions + dir) * b + i) * o.OutputSize, o.OutputSize).CopyTo(features.Slice(i * HeadInputs + dir * o.OutputSize));
        return features;
    }

    private void ScatterFeatures(Span<float> dhN, ReadOnlySpan<float> dFeatures, int b)
    {
        var o = Rnn.Options;
        for (int i = 0; i < b; i++)
            for (int dir = 0; dir < o.Directions; dir++)
                dFeatures.Slice(i * HeadInputs + dir * o.OutputSize, o.OutputSize).CopyTo(dhN.Slice((((o.NumLayers - 1) * o.Directions + dir) * b + i) * o.OutputSize, o.OutputSize));
    }

    /// <summary>Writes the layer (<c>rnn.*</c>), the head (<c>head.weight</c>, <c>head.bias</c>) and what the model predicts.</summary>
    public void Save(string path, string task, int features)
    {
        var writer = new SafeTensorsWriter();
        writer.Metadata["format"] = "pt";
        RnnWeightsFile.Add(writer, Rnn, "rnn.");
        writer.Add<float>("head.weight", [Outputs, HeadInputs], Head.Weight);
        writer.Add<float>("head.bias", [Outputs], Head.Bias);
        writer.Metadata[ModelKey + "objective"] = Objective == Objective.Classify ? "classify" : "regress";
        writer.Metadata[ModelKey + "outputs"] = Outputs.ToString(CultureInfo.InvariantCulture);
        writer.Metadata[ModelKey + "features"] = features.ToString(CultureInfo.InvariantCulture);
        writer.Metadata[ModelKey + "max_length"] = MaxLength.ToString(CultureInfo.InvariantCulture);
        writer.Metadata[ModelKey + "task"] = task;
        writer.Save(path);
    }

    /// <summary>A model saved by <see cref="Save"/>: its layer, head and the task's name and features.</summary>
    /// <exception cref="InvalidDataException">The file is not a curnn model.</exception>
    public static (SequenceModel Model, string Task, int Features) Load(string path, int maxBatch, RnnBackend backend)
    {
        using var file = SafeTensorsFile.Open(path);
        string Meta(string key) => file.Metadata.TryGetValue(ModelKey + key, out var v) ? v
            : throw new InvalidDataException($"'{path}' is a safetensors file but not a curnn model (no '{ModelKey}{key}' metadata); load a bare layer with RnnWeightsFile instead");
        int Count(string key, int max)
        {
            string text = Meta(key);
            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= 1 && v <= max ? v
                : throw new InvalidDataException($"'{path}': its '{ModelKey}{key}' metadata is '{text}'; expected an integer in 1..{max}");
        }
        var objective = Meta("objective") switch
        {
            "classify" => Objective.Classify,
            "regress" => Objective.Regress,
            var other => throw new InvalidDataException($"'{path}': its '{ModelKey}objective' metadata is '{other}'; expected classify or regress"),
        };
        int outputs = Count("outputs", 1 << 20), features = Count("features", 1 << 20), maxLength = Count("max_length", int.MaxValue);
        if (objective == Objective.Regress && outputs != 1)
            throw new InvalidDataException($"'{path}': a regression model has 1 output; its metadata says {outputs}");
        var options = RnnWeightsFile.ReadOptions(file, "rnn.") with { Backend = backend };
        if (options.InputSize != features)
            throw new InvalidDataException($"'{path}': its metadata says {features} features per step, but rnn.weight_ih_l0 takes {options.InputSize}");
        var model = new SequenceModel(options, objective, outputs, maxBatch, maxLength, 0);
        try
        {
            RnnWeightsFile.Load(model.Rnn, file, "rnn.");
            foreach (var (name, shape) in new[] { ("head.weight", new[] { outputs, model.HeadInputs }), ("head.bias", new[] { outputs }) })
            {
                var info = file.Find(name) ?? throw new InvalidDataException($"'{path}' has no '{name}'; a curnn model's head is {$"[{string.Join(", ", shape)}]"}");
                if (!info.Shape.SequenceEqual(shape))
                    throw new InvalidDataException($"'{path}': '{name}' is {info.ShapeText}; this model's head needs {$"[{string.Join(", ", shape)}]"} ({outputs} outputs from {model.HeadInputs} features)");
            }
            file.Read<float>("head.weight", model.Head.Weight);
            file.Read<float>("head.bias", model.Head.Bias);
        }
        catch { model.Dispose(); throw; }
        return (model, Meta("task"), features);
    }

    public void Dispose() => Rnn.Dispose();
}
