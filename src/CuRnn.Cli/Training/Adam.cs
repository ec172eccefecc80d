namespace CuRnn.Cli.Training;

/// <summary>Adam (Kingma &amp; Ba) over one flat parameter span.</summary>
internal sealed class Adam(int count, float learningRate, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f)
{
    private readonly float[] _m = new float[count], _v = new float[count];
    private int _t;

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradients)
    {
        _t++;
        float c1 = 1 - MathF.Pow(beta1, _t), c2 = 1 - MathF.Pow(beta2, _t);
        for (int i = 0; i < parameters.Length; i++)
        {
            float g = gradients[i];
            _m[i] = beta1 * _m[i] + (1 - beta1) * g;
            _v[i] = beta2 * _v[i] + (1 - beta2) * g * g;
            parameters[i] -= learningRate * (_m[i] / c1) / (MathF.Sqrt(_v[i] / c2) + epsilon);
        }
    }
}
