using System.Globalization;
using Tarmac.Core.Datasets;
using Tarmac.Core.Query;

namespace Tarmac.Embedded;

/// <summary>
/// DuckDB SQL: <c>"identifiers"</c>, <c>$p0</c> parameters, exact <c>quantile_cont</c> percentiles, and the column
/// types a schema maps to.
/// </summary>
public sealed class DuckDbSql : SqlDialect
{
    /// <summary>The one instance (the dialect has no state).</summary>
    public static readonly DuckDbSql Dialect = new();

    private DuckDbSql() { }

    /// <inheritdoc />
    public override char ParameterPrefix => '$';

    /// <inheritdoc />
    public override string Quote(string identifier) => QuoteIdentifier(identifier);

    /// <inheritdoc />
    public override string StartsWith(string column, string parameter) => $"starts_with({column}, {parameter})";

    /// <inheritdoc />
    public override string CastFloat(string expression) => $"CAST({expression} AS DOUBLE)";

    /// <inheritdoc />
    public override string CastInteger(string expression) => $"CAST({expression} AS BIGINT)";

    /// <inheritdoc />
    public override string Percentile(string column, double quantile) =>
        $"quantile_cont({column}, {quantile.ToString("0.0#", CultureInfo.InvariantCulture)})";

    /// <summary>Quotes an identifier for DuckDB (doubling any <c>"</c>).</summary>
    public static string QuoteIdentifier(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

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

    /// <summary>A renderer for one statement over the dataset's table.</summary>
    public static SqlRenderer Renderer(DatasetSchema dataset, bool snapshotCoversAllRows = false) =>
        new(Dialect, QuoteIdentifier(dataset.Name)) { SnapshotCoversAllRows = snapshotCoversAllRows };
}
