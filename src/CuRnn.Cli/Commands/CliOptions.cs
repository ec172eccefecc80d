using System.CommandLine;
using System.CommandLine.Parsing;

namespace CuRnn.Cli.Commands;

/// <summary>Option builders whose validation errors are one line naming the option, the rule and the value.</summary>
internal static class CliOptions
{
    public static Option<int> Positive(string name, int defaultValue, string description, int max = int.MaxValue)
    {
        var option = new Option<int>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < 1 || v > max) r.AddError($"{name} must be an integer in 1..{max}; actual {v}");
        });
        return option;
    }

    public static Option<float> PositiveNumber(string name, float defaultValue, string description, float max = float.MaxValue)
    {
        var option = new Option<float>(name) { Description = description, DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            float v = r.GetValueOrDefault<float>();
            if (!(v > 0 && v <= max)) r.AddError($"{name} must be a number in (0, {max}]; actual {v}");
        });
        return option;
    }

    public static Option<string> OneOf(string name, string defaultValue, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = $"{description} ({string.Join(", ", values)})", DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            string? v = r.GetValueOrDefault<string>();
            if (v is null || !values.Contains(v)) r.AddError($"{name} must be one of {string.Join(", ", values)}; actual '{v}'");
        });
        option.CompletionSources.Add(values);
        return option;
    }

    public static RnnCellKind Cell(string name) => name switch
    {
        "gru" => RnnCellKind.Gru, "tanh" => RnnCellKind.RnnTanh, "relu" => RnnCellKind.RnnRelu, _ => RnnCellKind.Lstm,
    };

    public static RnnBackend Backend(string name) => name switch { "managed" => RnnBackend.Managed, "cudnn" => RnnBackend.Cudnn, _ => RnnBackend.Auto };
}
