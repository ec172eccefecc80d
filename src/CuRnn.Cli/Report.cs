using Spectre.Console;
using Spectre.Console.Rendering;

namespace CuRnn.Cli;

/// <summary>
/// What <c>curnn info</c>, <c>check</c> and <c>bench</c> found, kept as blocks (headings, facts, tables, notes, raw
/// lines) so that one report renders two ways: tables on a terminal, like <c>train</c> and <c>predict</c>, and
/// Markdown for files and for <c>--format markdown</c>.
/// </summary>
internal sealed class Report(string title)
{
    private readonly List<object> _blocks = [];

    public string Title { get; } = title;

    /// <summary>A section heading.</summary>
    public void Heading(string text) => _blocks.Add(new HeadingBlock(text));

    /// <summary>One fact, a bullet in Markdown.</summary>
    public void Fact(string text) => _blocks.Add(new FactBlock(text));

    /// <summary>A paragraph.</summary>
    public void Note(string text) => _blocks.Add(new NoteBlock(text));

    /// <summary>Lines shown as they are (a probe trace), under a caption.</summary>
    public void Lines(string caption, IEnumerable<string> lines) => _blocks.Add(new LinesBlock(caption, [.. lines]));

    /// <summary>A table; a column whose name ends with '>' is right-aligned (numbers), the '>' not shown.</summary>
    public ReportTable Table(params string[] columns)
    {
        var table = new ReportTable(columns);
        _blocks.Add(table);
        return table;
    }

    public void WriteMarkdown(TextWriter o)
    {
        o.WriteLine($"# {Title}");
        o.WriteLine();
        object? previous = null;
        foreach (object block in _blocks)
        {
            // Facts run together as one list; every other block is a paragraph of its own.
            if (previous is FactBlock && block is not FactBlock) o.WriteLine();
            switch (block)
            {
                case HeadingBlock h: o.WriteLine($"## {h.Text}"); o.WriteLine(); break;
                case FactBlock f: o.WriteLine($"- {f.Text}"); break;
                case NoteBlock n: o.WriteLine(n.Text); o.WriteLine(); break;
                case LinesBlock l:
                    o.WriteLine($"{l.Caption}:");
                    foreach (string line in l.Lines) o.WriteLine($"    {line}");
                    o.WriteLine();
                    break;
                case ReportTable t: t.WriteMarkdown(o); o.WriteLine(); break;
            }
            previous = block;
        }
    }

    public void Render(IAnsiConsole console)
    {
        console.Write(new Rule($"[bold]{Markup.Escape(Title)}[/]").LeftJustified());
        Table? facts = null;
        foreach (object block in _blocks)
        {
            // A run of facts ("name: value") is one two-column table, as train's summary.
            if (block is not FactBlock && facts is not null) { console.Write(facts); facts = null; }
            switch (block)
            {
                case HeadingBlock h: console.WriteLine(); console.MarkupLine($"[bold]{Markup.Escape(h.Text)}[/]"); break;
                case FactBlock f:
                    facts ??= new Table().Border(TableBorder.Rounded).HideHeaders().AddColumn("").AddColumn("");
                    int colon = f.Text.IndexOf(": ", StringComparison.Ordinal);
                    facts.AddRow(new Text(colon > 0 ? f.Text[..colon] : ""), new Text(colon > 0 ? f.Text[(colon + 2)..] : f.Text));
                    break;
                case NoteBlock n: console.WriteLine(n.Text); break;
                case LinesBlock l:
                    console.MarkupLine($"[grey]{Markup.Escape(l.Caption)}:[/]");
                    foreach (string line in l.Lines) console.WriteLine($"    {line}");
                    break;
                case ReportTable t: console.Write(t.ToSpectre()); break;
            }
        }
        if (facts is not null) console.Write(facts);
    }

    private sealed record HeadingBlock(string Text);
    private sealed record FactBlock(string Text);
    private sealed record NoteBlock(string Text);
    private sealed record LinesBlock(string Caption, IReadOnlyList<string> Lines);
}

/// <summary>Rows of cells under named columns.</summary>
internal sealed class ReportTable
{
    private readonly (string Name, bool Right)[] _columns;
    private readonly List<string[]> _rows = [];

    public ReportTable(string[] columns) => _columns = [.. columns.Select(c => c.EndsWith('>') ? (c[..^1], true) : (c, false))];

    public int RowCount => _rows.Count;

    /// <summary>Adds a row; missing trailing cells are empty.</summary>
    public void Row(params string[] cells)
    {
        if (cells.Length > _columns.Length) throw new ArgumentException($"a row of {cells.Length} cells in a table of {_columns.Length} columns", nameof(cells));
        _rows.Add([.. cells, .. Enumerable.Repeat("", _columns.Length - cells.Length)]);
    }

    public void WriteMarkdown(TextWriter o)
    {
        o.WriteLine($"| {string.Join(" | ", _columns.Select(c => c.Name))} |");
        o.WriteLine($"|{string.Join("|", _columns.Select(c => c.Right ? "---:" : "---"))}|");
        foreach (var row in _rows) o.WriteLine($"| {string.Join(" | ", row.Select(Cell))} |");
    }

    public Table ToSpectre()
    {
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var (name, right) in _columns)
            table.AddColumn(new TableColumn(Markup.Escape(name)) { Alignment = right ? Justify.Right : Justify.Left });
        foreach (var row in _rows) table.AddRow(row.Select(Styled).ToArray());
        return table;
    }

    // A pipe inside a cell would end it in Markdown.
    private static string Cell(string text) => text.Replace("|", "\\|");

    // Verdicts stand out on a terminal.
    private static IRenderable Styled(string text) =>
        text == "pass" ? new Markup("[green]pass[/]")
        : text.StartsWith("FAIL", StringComparison.Ordinal) ? new Markup($"[red]{Markup.Escape(text)}[/]")
        : new Text(text);
}
