using Tarmac.Core.Datasets;

namespace Tarmac.Core.Query;

/// <summary>Comparison operators of the filter grammar (<c>col__op=value</c>).</summary>
public enum FilterOperator
{
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
    In,
    NotIn,
    Between,
    StartsWith,
    IsNull,
}

/// <summary>
/// One filter on a schema column. <see cref="Values"/> are typed CLR values of the column's type:
/// <see cref="long"/>, <see cref="double"/>, <see cref="decimal"/>, <see cref="bool"/>, <see cref="string"/>,
/// <see cref="DateOnly"/> (DATE) or <see cref="DateTimeOffset"/> in UTC (TIMESTAMP). For <see cref="FilterOperator.IsNull"/>
/// the single value is a <see cref="bool"/> (true: IS NULL).
/// </summary>
public sealed record Filter(ColumnSchema Column, FilterOperator Operator, IReadOnlyList<object> Values);

/// <summary>A sort key over a schema column. NULLs sort last in both directions.</summary>
public sealed record SortKey(ColumnSchema Column, bool Descending);

/// <summary>
/// The last row of a page: its sort-key values (null for NULL) and the tie-breaker (<c>_upload_id</c>, <c>_line</c>).
/// The next page holds the rows strictly after it in the query's order.
/// </summary>
public sealed record KeysetPosition(IReadOnlyList<object?> SortValues, string UploadId, long Line);

/// <summary>
/// A rows query: which columns, which rows (filters AND-ed), in which order, from where, how many.
/// Only rows whose <c>_loaded_at</c> is at or before <see cref="Snapshot"/> are visible, so paging through a
/// dataset that is being loaded into neither skips nor repeats rows.
/// </summary>
/// <param name="Dataset">The dataset (its name is the table name).</param>
/// <param name="Fields">Columns to return, in order.</param>
/// <param name="Filters">Filters, AND-ed.</param>
/// <param name="Sort">User sort keys; the tie-breaker <c>_upload_id, _line</c> is always appended.</param>
/// <param name="Limit">Most rows to return.</param>
/// <param name="After">Keyset position the page starts after (null: the first page).</param>
/// <param name="Snapshot">Upper bound on <c>_loaded_at</c>; null when nothing was ever loaded (no row is visible).</param>
public sealed record RowsQuery(
    DatasetSchema Dataset,
    IReadOnlyList<ColumnSchema> Fields,
    IReadOnlyList<Filter> Filters,
    IReadOnlyList<SortKey> Sort,
    int Limit,
    KeysetPosition? After,
    DateTimeOffset? Snapshot)
{
    /// <summary>Every row of a dataset up to a snapshot, in load order.</summary>
    public static RowsQuery All(DatasetSchema dataset, DateTimeOffset? snapshot, int limit = int.MaxValue) =>
        new(dataset, dataset.Columns, [], [], limit, null, snapshot);
}

/// <summary>Aggregate functions of <c>metrics=</c>.</summary>
public enum MetricFunction
{
    Count,
    Sum,
    Avg,
    Min,
    Max,
    P50,
    P95,
}

/// <summary>One aggregate: <c>count</c> (no column), or a function of a numeric column.</summary>
public sealed record Metric(MetricFunction Function, ColumnSchema? Column)
{
    /// <summary>The output key: <c>count</c>, or <c>&lt;function&gt;_&lt;column&gt;</c> such as <c>avg_dep_delay</c>.</summary>
    public string OutputKey => Column is null ? "count" : $"{Function.ToString().ToLowerInvariant()}_{Column.Name}";

    /// <summary>
    /// The result type: count is INTEGER; sum, min and max keep the column's type; avg and percentiles are FLOAT
    /// (both dialects cast so local and cloud answers have the same type).
    /// </summary>
    public ColumnType ResultType => Function switch
    {
        MetricFunction.Count => ColumnType.Integer,
        MetricFunction.Sum or MetricFunction.Min or MetricFunction.Max => Column!.Type,
        _ => ColumnType.Float,
    };

    /// <summary>The quantile of a percentile function (0.5, 0.95), else null.</summary>
    public double? Quantile => Function switch { MetricFunction.P50 => 0.5, MetricFunction.P95 => 0.95, _ => null };
}

/// <summary>A sort key over a stats output key (a group-by column or a metric's output key).</summary>
public sealed record OutputSortKey(string OutputKey, bool Descending);

/// <summary>
/// An aggregate query: rows filtered (AND) and grouped, metrics per group, small groups hidden,
/// ordered by output keys (then by the group-by columns), limited. Same snapshot rule as <see cref="RowsQuery"/>.
/// </summary>
public sealed record StatsQuery(
    DatasetSchema Dataset,
    IReadOnlyList<ColumnSchema> GroupBy,
    IReadOnlyList<Metric> Metrics,
    IReadOnlyList<Filter> Filters,
    long? MinCount,
    IReadOnlyList<OutputSortKey> Sort,
    int Limit,
    DateTimeOffset? Snapshot);

/// <summary>A column of a query result: its output name and type.</summary>
public sealed record ResultColumn(string Name, ColumnType Type);

/// <summary>
/// A named SQL parameter. <see cref="Name"/> has no sigil (<c>p0</c>); <see cref="BigQueryType"/> is the Standard SQL type
/// (<c>INT64</c>, <c>FLOAT64</c>, <c>NUMERIC</c>, <c>BOOL</c>, <c>STRING</c>, <c>DATE</c>, <c>TIMESTAMP</c>);
/// <see cref="Value"/> is the typed CLR value (see <see cref="Filter"/>).
/// </summary>
public sealed record QueryParameter(string Name, ColumnType Type, object Value)
{
    /// <summary>The BigQuery Standard SQL type name, for <c>jobs.query</c> <c>queryParameters[].parameterType.type</c>.</summary>
    public string BigQueryType => Type switch
    {
        ColumnType.Integer => "INT64",
        ColumnType.Float => "FLOAT64",
        ColumnType.Numeric => "NUMERIC",
        ColumnType.Boolean => "BOOL",
        ColumnType.String => "STRING",
        ColumnType.Date => "DATE",
        ColumnType.Timestamp => "TIMESTAMP",
        _ => throw new InvalidOperationException($"No BigQuery type for {Type}."),
    };

    /// <summary>The value as BigQuery's REST API wants it in <c>parameterValue.value</c> (invariant, ISO 8601 UTC).</summary>
    public string BigQueryValue => Value switch
    {
        DateTimeOffset t => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff+00:00", System.Globalization.CultureInfo.InvariantCulture),
        DateOnly d => d.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        double x => x.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, System.Globalization.CultureInfo.InvariantCulture),
        _ => Value.ToString()!,
    };
}

/// <summary>SQL text with its named parameters.</summary>
public sealed record RenderedSql(string Sql, IReadOnlyList<QueryParameter> Parameters);
