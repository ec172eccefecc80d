using System.Globalization;

namespace CuRnn.Cli.Data;

/// <summary>
/// Reads sequences from a CSV file: one sequence per line, the label first, then the values, <c>features</c> values
/// per step (so a line holds 1 + k·features fields). Blank lines and lines starting with '#' are skipped. Any bad
/// field is an error naming the file, line and column.
/// </summary>
internal static class CsvSequenceReader
{
    /// <summary>Reads <paramref name="path"/>; labels are class indices (0, 1, …) to classify, or numbers to regress.</summary>
    /// <exception cref="FormatException">A field is not a number, a class label is not a non-negative integer, or a line's value count is wrong.</exception>
    public static SequenceDataset Read(string path, int features, Objective objective, bool labelled = true)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no data file at '{path}'", path);
        var data = new SequenceDataset(features, objective, 0);
        int lineNumber = 0;
        foreach (string raw in File.ReadLines(path))
        {
            lineNumber++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            string[] fields = line.Split(',');
            string Where(int column) => $"{path}:{lineNumber}: column {column}";
            float target = 0;
            int first = 0;
            if (labelled)
            {
                first = 1;
                string label = fields[0].Trim();
                if (objective == Objective.Classify)
                {
                    if (!int.TryParse(label, NumberStyles.Integer, CultureInfo.InvariantCulture, out int cls) || cls < 0)
                        throw new FormatException($"{Where(1)}: the label '{label}' is not a class index (0, 1, 2, …)");
                    target = cls;
                }
                else if (!float.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out target) || !float.IsFinite(target))
                    throw new FormatException($"{Where(1)}: the label '{label}' is not a finite number");
            }
            int count = fields.Length - first;
            if (count == 0 || count % features != 0)
                throw new FormatException($"{path}:{lineNumber}: {count} values after the label is not a positive multiple of --features {features}");
            var values = new float[count];
            for (int k = 0; k < count; k++)
            {
                string field = fields[first + k].Trim();
                if (!float.TryParse(field, NumberStyles.Float, CultureInfo.InvariantCulture, out values[k]) || !float.IsFinite(values[k]))
                    throw new FormatException($"{Where(first + k + 1)}: '{field}' is not a finite number");
            }
            data.Add(values, target);
        }
        if (data.Count == 0) throw new FormatException($"{path}: no sequences (every line is blank or a comment)");
        return data;
    }
}
