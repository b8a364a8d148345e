namespace Tarmac.Cli.Query;

/// <summary>Output formats of <c>tarmac query</c>.</summary>
public enum RowsFormat
{
    /// <summary>A table per page.</summary>
    Table,

    /// <summary>The server's CSV (one header line, even across pages).</summary>
    Csv,

    /// <summary>One JSON object per line.</summary>
    Ndjson,
}
