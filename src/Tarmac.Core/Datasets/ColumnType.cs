namespace Tarmac.Core.Datasets;

/// <summary>The BigQuery column types a Tarmac schema file may declare.</summary>
public enum ColumnType
{
    Integer,
    Float,
    Numeric,
    Boolean,
    String,
    Date,
    Timestamp,
}

/// <summary>Parsing and naming of <see cref="ColumnType"/> in BigQuery's spelling.</summary>
public static class ColumnTypes
{
    /// <summary>Maps a BigQuery type name (including its legacy aliases) to a <see cref="ColumnType"/>.</summary>
    public static bool TryParse(string? name, out ColumnType type)
    {
        switch (name?.ToUpperInvariant())
        {
            case "INTEGER" or "INT64": type = ColumnType.Integer; return true;
            case "FLOAT" or "FLOAT64": type = ColumnType.Float; return true;
            case "NUMERIC" or "DECIMAL": type = ColumnType.Numeric; return true;
            case "BOOLEAN" or "BOOL": type = ColumnType.Boolean; return true;
            case "STRING": type = ColumnType.String; return true;
            case "DATE": type = ColumnType.Date; return true;
            case "TIMESTAMP": type = ColumnType.Timestamp; return true;
            default: type = default; return false;
        }
    }

    /// <summary>The BigQuery legacy name of the type, as written in schema files.</summary>
    public static string BigQueryName(this ColumnType type) => type switch
    {
        ColumnType.Integer => "INTEGER",
        ColumnType.Float => "FLOAT",
        ColumnType.Numeric => "NUMERIC",
        ColumnType.Boolean => "BOOLEAN",
        ColumnType.String => "STRING",
        ColumnType.Date => "DATE",
        ColumnType.Timestamp => "TIMESTAMP",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    /// <summary>True for the types that aggregate functions such as avg and p95 accept.</summary>
    public static bool IsNumeric(this ColumnType type) =>
        type is ColumnType.Integer or ColumnType.Float or ColumnType.Numeric;
}
