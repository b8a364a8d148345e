using Tarmac.Core.Datasets;

namespace Tarmac.Embedded;

/// <summary>How schema types and identifiers are written in DuckDB SQL.</summary>
public static class DuckDbTypes
{
    /// <summary>The DuckDB column type for a schema type.</summary>
    public static string SqlType(ColumnType type) => type switch
    {
        ColumnType.Integer => "BIGINT",
        ColumnType.Float => "DOUBLE",
        ColumnType.Numeric => "DECIMAL(38,9)",
        ColumnType.Boolean => "BOOLEAN",
        ColumnType.String => "VARCHAR",
        ColumnType.Date => "DATE",
        ColumnType.Timestamp => "TIMESTAMP",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>
    /// Quotes an identifier. Identifiers only ever come from schema files, which are validated
    /// against a strict pattern; quoting is a second fence, not the first.
    /// </summary>
    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
