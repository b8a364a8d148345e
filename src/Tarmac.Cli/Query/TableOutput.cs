using System.Text.Json;
using Spectre.Console;

namespace Tarmac.Cli.Query;

/// <summary>JSON objects as a Spectre.Console table on standard output (plain text, no colour, when it is not a terminal).</summary>
public sealed class TableOutput
{
    private readonly IAnsiConsole _console;

    /// <param name="console">Where the table goes.</param>
    public TableOutput(CliConsole console)
    {
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(console.Out),
            Ansi = console.OutputIsTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = console.OutputIsTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        // A pipe has no width; wide enough that a row of the flights table stays on one line.
        if (!console.OutputIsTerminal) _console.Profile.Width = 400;
    }

    /// <summary>Writes <paramref name="rows"/> (objects; columns in the first one's order, or <paramref name="columns"/>).</summary>
    public void Write(IReadOnlyList<JsonElement> rows, IReadOnlyList<string>? columns = null)
    {
        columns ??= rows.Count == 0 ? [] : rows[0].EnumerateObject().Select(p => p.Name).ToList();
        if (columns.Count == 0) return;
        var table = new Table().Border(TableBorder.Simple);
        foreach (var c in columns) table.AddColumn(new TableColumn(Markup.Escape(c)));
        foreach (var row in rows)
            table.AddRow(columns.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(Cell(row, c))).ToArray());
        _console.Write(table);
    }

    /// <summary>A value as a cell: strings as they are, NULL empty, numbers and booleans as JSON writes them.</summary>
    public static string Cell(JsonElement row, string column) =>
        !row.TryGetProperty(column, out var v) ? "" : v.ValueKind switch
        {
            JsonValueKind.String => v.GetString()!,
            JsonValueKind.Null => "",
            _ => v.GetRawText(),
        };
}
