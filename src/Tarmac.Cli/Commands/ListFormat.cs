namespace Tarmac.Cli.Commands;

/// <summary>Output formats of the JSON-array commands (<c>stats</c>, <c>datasets</c>).</summary>
public enum ListFormat
{
    /// <summary>A table.</summary>
    Table,

    /// <summary>The server's JSON.</summary>
    Json,
}
