using System.Globalization;
using System.Numerics.Tensors;
using CuRnn.Cli.Data;
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
    private readonly float[] _features, _logits, _probabilities, _hN, _dhN, _gradients;
    private float[] _y, _dy;

    public SequenceModel(RnnOptions options, Objective objective, int outputs, int maxBatch, int maxLength, int seed)
    {
        Rnn = new Rnn<float>(options);
        if (options.Cell == RnnCellKind.Lstm) OpenForgetGates(Rnn, options.HiddenSize);
        Objective = objective;
        Outputs = outputs;
        HeadInputs = options.Directions * options.OutputSize;
        HeadWeight = new float[outputs * HeadInputs];
        HeadBias = new float[outputs];
        var random = new Random(seed);
        double bound = 1 / Math.Sqrt(HeadInputs);
        for (int i = 0; i < HeadWeight.Length; i++) HeadWeight[i] = (float)((2 * random.NextDouble() - 1) * bound);
        _features = new float[HeadInputs];
        _logits = new float[outputs];
        _probabilities = new float[outputs];
        _y = new float[maxBatch * maxLength * options.OutputFeatures];
        _dy = new float[_y.Length];
        _hN = new float[options.NumLayers * options.Directions * maxBatch * options.OutputSize];
        _dhN = new float[_hN.Length];
        _gradients = new float[Rnn.ParameterCount + HeadWeight.Length + HeadBias.Length];
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
    public Objective Objective { get; }
    public int Outputs { get; }
    public int HeadInputs { get; }
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
    public float[] HeadWeight { get; }
    public float[] HeadBias { get; }
    /// <summary>Every trainable value's gradient after <see cref="TrainStep"/>: the layer's, then the head's weight and bias.</summary>
    public Span<float> Gradients => _gradients;
    public int ParameterCount => _gradients.Length;

    /// <summary>Forward, loss and backward for one batch; returns the summed loss and the number of correct predictions.</summary>
    public (double Loss, int Correct) TrainStep(PaddedBatch batch, float tolerance)
    {
        int b = batch.Size;
        CutOutputs(batch, out var y, out var hN);
        var dhN = _dhN.AsSpan(0, hN.Length);
        dhN.Clear();
        var headW = _gradients.AsSpan(Rnn.ParameterCount, HeadWeight.Length);
        var headB = _gradients.AsSpan(Rnn.ParameterCount + HeadWeight.Length, HeadBias.Length);
        headW.Clear();
        headB.Clear();
        double loss = 0;
        int correct = 0;
        using (var tape = Rnn.ForwardTraining(batch.Batch, batch.X, y, hN: hN))
        {
            for (int i = 0; i < b; i++)
            {
                Gather(hN, b, i);
                var (l, ok) = Head(batch.Targets[i], tolerance, out var dLogits, 1f / b);
                loss += l;
                if (ok) correct++;
                // d(head)/d(features), and the head's own gradients.
                for (int c = 0; c < Outputs; c++)
                {
                    TensorPrimitives.MultiplyAdd(_features, dLogits[c], headW.Slice(c * HeadInputs, HeadInputs), headW.Slice(c * HeadInputs, HeadInputs));
                    headB[c] += dLogits[c];
                }
                Scatter(dhN, b, i, dLogits);
            }
            Rnn.Backward(tape, _dy.AsSpan(0, y.Length), default, _gradients.AsSpan(0, Rnn.ParameterCount), dhN, gradientMode: GradientMode.Overwrite);
        }
        return (loss, correct);
    }

    /// <summary>Loss and correct count for one batch, and each sequence's prediction (class or value) in <paramref name="predictions"/>.</summary>
    public (double Loss, int Correct) Evaluate(PaddedBatch batch, float tolerance, Span<float> predictions, bool labelled = true)
    {
        int b = batch.Size;
        CutOutputs(batch, out var y, out var hN);
        Rnn.Forward(batch.Batch, batch.X, y, hN: hN);
        double loss = 0;
        int correct = 0;
        for (int i = 0; i < b; i++)
        {
            Gather(hN, b, i);
            var (l, ok) = Head(labelled ? batch.Targets[i] : 0, tolerance, out _, 1);
            predictions[i] = Objective == Objective.Classify ? TensorPrimitives.IndexOfMax<float>(_logits) : _logits[0];
            if (!labelled) continue;
            loss += l;
            if (ok) correct++;
        }
        return (loss, correct);
    }

    // The layer's output buffers, cut to this batch: y [B, T, D*Hout] and hN [L*D, B, Hout].
    private void CutOutputs(PaddedBatch batch, out Span<float> y, out Span<float> hN)
    {
        var o = Rnn.Options;
        y = _y.AsSpan(0, (int)batch.Batch.ElementCount(o.OutputFeatures));
        hN = _hN.AsSpan(0, o.NumLayers * o.Directions * batch.Size * o.OutputSize);
    }

    // The last layer's final h of each direction for sequence i, into _features.
    private void Gather(ReadOnlySpan<float> hN, int b, int i)
    {
        var o = Rnn.Options;
        for (int dir = 0; dir < o.Directions; dir++)
            hN.Slice((((o.NumLayers - 1) * o.Directions + dir) * b + i) * o.OutputSize, o.OutputSize).CopyTo(_features.AsSpan(dir * o.OutputSize));
    }

    private void Scatter(Span<float> dhN, int b, int i, ReadOnlySpan<float> dLogits)
    {
        var o = Rnn.Options;
        Span<float> dFeatures = stackalloc float[HeadInputs];
        dFeatures.Clear();
        for (int c = 0; c < Outputs; c++) TensorPrimitives.MultiplyAdd(HeadWeight.AsSpan(c * HeadInputs, HeadInputs), dLogits[c], dFeatures, dFeatures);
        for (int dir = 0; dir < o.Directions; dir++)
            dFeatures.Slice(dir * o.OutputSize, o.OutputSize).CopyTo(dhN.Slice((((o.NumLayers - 1) * o.Directions + dir) * b + i) * o.OutputSize, o.OutputSize));
    }

    // Logits from _features; the loss of one sequence and d(loss * scale)/d(logits).
    private (double Loss, bool Correct) Head(float target, float tolerance, out ReadOnlySpan<float> dLogits, float scale)
    {
        for (int c = 0; c < Outputs; c++)
            _logits[c] = TensorPrimitives.Dot(HeadWeight.AsSpan(c * HeadInputs, HeadInputs), _features) + HeadBias[c];
        if (Objective == Objective.Regress)
        {
            float err = _logits[0] - target;
            _probabilities[0] = 2 * err * scale;
            dLogits = _probabilities;
            return (err * err, MathF.Abs(err) < tolerance);
        }
        TensorPrimitives.SoftMax<float>(_logits, _probabilities);
        int label = (int)target;
        double loss = -Math.Log(Math.Max(_probabilities[label], 1e-30f));
        bool correct = TensorPrimitives.IndexOfMax<float>(_logits) == label;
        for (int c = 0; c < Outputs; c++) _probabilities[c] = (_probabilities[c] - (c == label ? 1 : 0)) * scale;
        dLogits = _probabilities;
        return (loss, correct);
    }

    /// <summary>Writes the layer (<c>rnn.*</c>), the head (<c>head.weight</c>, <c>head.bias</c>) and what the model predicts.</summary>
    public void Save(string path, string task, int features)
    {
        var writer = new SafeTensorsWriter();
        writer.Metadata["format"] = "pt";
        RnnWeightsFile.Add(writer, Rnn, "rnn.");
        writer.Add<float>("head.weight", [Outputs, HeadInputs], HeadWeight);
        writer.Add<float>("head.bias", [Outputs], HeadBias);
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
            file.Read<float>("head.weight", model.HeadWeight);
            file.Read<float>("head.bias", model.HeadBias);
        }
        catch { model.Dispose(); throw; }
        return (model, Meta("task"), features);
    }

    public void Dispose() => Rnn.Dispose();
}
