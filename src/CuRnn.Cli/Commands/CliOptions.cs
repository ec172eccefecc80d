using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace CuRnn.Cli.Commands;

/// <summary>
/// Option builders whose errors are one line naming the option, the rule and the value: numbers are parsed here (a
/// value that does not parse gets the rule too), files are checked before any work starts.
/// </summary>
internal static class CliOptions
{
    public static Option<int> Positive(string name, int defaultValue, string description, int max = int.MaxValue) =>
        Integer(name, defaultValue, description, 1, max);

    /// <summary>An integer in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static Option<int> Integer(string name, int defaultValue, string description, int min, int max)
    {
        string rule = max == int.MaxValue ? $"an integer >= {min}" : $"an integer in {min}..{max}";
        return new Option<int>(name)
        {
            Description = description, DefaultValueFactory = _ => defaultValue,
            CustomParser = r =>
            {
                string text = Token(r);
                if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max) return v;
                r.AddError($"{name} must be {rule}; actual '{text}'");
                return defaultValue;
            },
        };
    }

    /// <summary>An optional positive integer (null when not given).</summary>
    public static Option<int?> OptionalPositive(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            string text = Token(r);
            if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 1) return v;
            r.AddError($"{name} must be a positive integer; actual '{text}'");
            return null;
        },
    };

    public static Option<float> PositiveNumber(string name, float defaultValue, string description, float max = float.MaxValue)
    {
        string range = max == float.MaxValue ? "> 0" : $"in (0, {max.ToString(CultureInfo.InvariantCulture)}]";
        return new Option<float>(name)
        {
            Description = description, DefaultValueFactory = _ => defaultValue,
            CustomParser = r =>
            {
                string text = Token(r);
                if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float v) && v > 0 && v <= max) return v;
                r.AddError($"{name} must be a number {range}; actual '{text}'");
                return defaultValue;
            },
        };
    }

    public static Option<string> OneOf(string name, string defaultValue, string description, params string[] values)
    {
        var option = new Option<string>(name) { Description = $"{description} ({string.Join(", ", values)})", DefaultValueFactory = _ => defaultValue };
        option.Validators.Add(r =>
        {
            string? v = r.Tokens.Count > 0 ? r.Tokens[^1].Value : defaultValue;
            if (v is null || !values.Contains(v)) r.AddError($"{name} must be one of {string.Join(", ", values)}; actual '{v}'");
        });
        option.CompletionSources.Add(values);
        return option;
    }

    /// <summary>A file that must exist.</summary>
    public static Option<FileInfo?> InputFile(string name, string description, bool required = false)
    {
        var option = new Option<FileInfo?>(name) { Description = description, Required = required };
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count == 0) return;
            string path = r.Tokens[^1].Value;
            if (Directory.Exists(path)) r.AddError($"{name}: '{path}' is a folder; give a file");
            else if (!File.Exists(path)) r.AddError($"{name}: no file at '{path}'");
        });
        return option;
    }

    /// <summary>A file to write: not a folder, in a folder that exists (checked before any work starts).</summary>
    public static Option<FileInfo?> OutputFile(string name, string description)
    {
        var option = new Option<FileInfo?>(name) { Description = description };
        option.Validators.Add(r =>
        {
            if (r.Tokens.Count > 0 && CuRnn.Cli.OutputFile.Problem(name, r.Tokens[^1].Value) is { } problem) r.AddError(problem);
        });
        return option;
    }

    public static RnnCellKind Cell(string name) => name switch
    {
        "gru" => RnnCellKind.Gru, "tanh" => RnnCellKind.RnnTanh, "relu" => RnnCellKind.RnnRelu, _ => RnnCellKind.Lstm,
    };

    public static RnnBackend Backend(string name) => name switch { "managed" => RnnBackend.Managed, "cudnn" => RnnBackend.Cudnn, _ => RnnBackend.Auto };

    private static string Token(ArgumentResult r) => r.Tokens.Count > 0 ? r.Tokens[^1].Value : "";
}
