using System.Globalization;
using System.Text;
using Tarmac.Core.Datasets;

namespace Tarmac.Core.Query;

/// <summary>
/// Writes a query tree as SQL. Identifiers come only from the schema (and are quoted all the same); every value
/// becomes a named parameter. The two dialects differ only in quoting, parameter sigils, the table reference,
/// <c>starts_with</c>, casts and percentiles: each adapter brings its <see cref="SqlDialect"/>. One renderer writes one statement.
/// </summary>
public sealed class SqlRenderer
{
    private const string UploadIdColumn = SystemColumns.UploadId;
    private const string LineColumn = SystemColumns.Line;
    private const string LoadedAtColumn = SystemColumns.LoadedAt;

    private readonly SqlDialect _dialect;
    private readonly string _table;
    private readonly StringBuilder _sql = new();
    private readonly List<QueryParameter> _parameters = [];

    /// <param name="dialect">The warehouse's dialect.</param>
    /// <param name="table">The table reference, already quoted.</param>
    public SqlRenderer(SqlDialect dialect, string table)
    {
        _dialect = dialect;
        _table = table;
    }

    /// <summary>
    /// Set by a warehouse that knows no row loaded after the query's snapshot can be visible to this statement: the
    /// <c>_loaded_at</c> predicate is then left out (it would hold for every row, yet costs a column scan).
    /// </summary>
    public bool SnapshotCoversAllRows { get; init; }

    /// <summary>A page of rows.</summary>
    public RenderedSql Rows(RowsQuery q)
    {
        _sql.Append("SELECT ").AppendJoin(", ", q.Fields.Select(f => Quote(f.Name)));
        FromWhere(q.Filters, q.Snapshot);
        if (q.After is not null)
        {
            _sql.Append(" AND ");
            After(q.Sort, q.After);
        }
        OrderBy(q.Sort);
        _sql.Append(" LIMIT ").Append(Param(ColumnType.Integer, (long)q.Limit));
        return Result();
    }

    /// <summary>
    /// The sort keys of the page's last row and of the row after it (the next page's first), so the <c>Link</c> header
    /// can be written before the page is streamed. The OFFSET is within one page, never the depth of paging.
    /// </summary>
    public RenderedSql PageBoundary(RowsQuery q)
    {
        _sql.Append("SELECT ").AppendJoin(", ", q.Sort.Select(k => Quote(k.Column.Name)).Append(Quote(UploadIdColumn)).Append(Quote(LineColumn)));
        FromWhere(q.Filters, q.Snapshot);
        if (q.After is not null)
        {
            _sql.Append(" AND ");
            After(q.Sort, q.After);
        }
        OrderBy(q.Sort);
        _sql.Append(" LIMIT 2 OFFSET ").Append(Param(ColumnType.Integer, (long)q.Limit - 1));
        return Result();
    }

    /// <summary>
    /// The page plus one row, with the sort keys and tie-breakers after the requested fields: enough to answer a
    /// bounded page and its <c>Link</c> from a single query.
    /// </summary>
    public RenderedSql PageWithKeys(RowsQuery q)
    {
        _sql.Append("SELECT ").AppendJoin(", ", q.Fields.Select(f => Quote(f.Name))
            .Concat(q.Sort.Select(k => Quote(k.Column.Name))).Append(Quote(UploadIdColumn)).Append(Quote(LineColumn)));
        FromWhere(q.Filters, q.Snapshot);
        if (q.After is not null)
        {
            _sql.Append(" AND ");
            After(q.Sort, q.After);
        }
        OrderBy(q.Sort);
        _sql.Append(" LIMIT ").Append(Param(ColumnType.Integer, (long)q.Limit + 1));
        return Result();
    }

    /// <summary>The number of rows matching the query's filters (ignoring fields, sort, cursor and limit).</summary>
    public RenderedSql Count(RowsQuery q)
    {
        _sql.Append("SELECT COUNT(*)");
        FromWhere(q.Filters, q.Snapshot);
        return Result();
    }

    /// <summary>An aggregate query.</summary>
    public RenderedSql Stats(StatsQuery q)
    {
        _sql.Append("SELECT ");
        var first = true;
        foreach (var g in q.GroupBy)
        {
            if (!first) _sql.Append(", ");
            first = false;
            _sql.Append(Quote(g.Name));
        }
        foreach (var m in q.Metrics)
        {
            if (!first) _sql.Append(", ");
            first = false;
            _sql.Append(Aggregate(m)).Append(" AS ").Append(Quote(m.OutputKey));
        }
        FromWhere(q.Filters, q.Snapshot);
        if (q.GroupBy.Count > 0) _sql.Append(" GROUP BY ").AppendJoin(", ", q.GroupBy.Select(g => Quote(g.Name)));
        if (q.MinCount is { } min) _sql.Append(" HAVING COUNT(*) >= ").Append(Param(ColumnType.Integer, min));
        var order = q.Sort.Select(k => Quote(k.OutputKey) + (k.Descending ? " DESC" : " ASC") + " NULLS LAST")
            .Concat(q.GroupBy.Where(g => !q.Sort.Any(k => k.OutputKey == g.Name)).Select(g => Quote(g.Name) + " ASC NULLS LAST"))
            .ToList();
        if (order.Count > 0) _sql.Append(" ORDER BY ").AppendJoin(", ", order);
        _sql.Append(" LIMIT ").Append(Param(ColumnType.Integer, (long)q.Limit));
        return Result();
    }

    private string Aggregate(Metric m)
    {
        if (m.Column is null) return "COUNT(*)";
        var c = Quote(m.Column.Name);
        return m.Function switch
        {
            MetricFunction.Sum when m.Column.Type == ColumnType.Integer => _dialect.CastInteger($"SUM({c})"),
            MetricFunction.Sum => $"SUM({c})",
            MetricFunction.Min => $"MIN({c})",
            MetricFunction.Max => $"MAX({c})",
            MetricFunction.Avg => _dialect.CastFloat($"AVG({c})"),
            MetricFunction.P50 or MetricFunction.P95 => _dialect.CastFloat(_dialect.Percentile(c, m.Quantile!.Value)),
            _ => throw new InvalidOperationException($"Unknown metric {m.Function}."),
        };
    }

    private void FromWhere(IReadOnlyList<Filter> filters, DateTimeOffset? snapshot)
    {
        _sql.Append(" FROM ").Append(_table).Append(" WHERE ");
        // Nothing was ever loaded: no row is visible, even one being committed right now.
        if (snapshot is null) _sql.Append("FALSE");
        else if (SnapshotCoversAllRows) _sql.Append("TRUE");
        else _sql.Append(Quote(LoadedAtColumn)).Append(" <= ").Append(Param(ColumnType.Timestamp, snapshot.Value.ToUniversalTime()));
        foreach (var f in filters)
        {
            _sql.Append(" AND ");
            Filter(f);
        }
    }

    private void Filter(Filter f)
    {
        var c = Quote(f.Column.Name);
        var t = f.Column.Type;
        switch (f.Operator)
        {
            case FilterOperator.Eq: _sql.Append(c).Append(" = ").Append(Param(t, f.Values[0])); break;
            case FilterOperator.Ne: _sql.Append(c).Append(" <> ").Append(Param(t, f.Values[0])); break;
            case FilterOperator.Gt: _sql.Append(c).Append(" > ").Append(Param(t, f.Values[0])); break;
            case FilterOperator.Gte: _sql.Append(c).Append(" >= ").Append(Param(t, f.Values[0])); break;
            case FilterOperator.Lt: _sql.Append(c).Append(" < ").Append(Param(t, f.Values[0])); break;
            case FilterOperator.Lte: _sql.Append(c).Append(" <= ").Append(Param(t, f.Values[0])); break;
            case FilterOperator.In or FilterOperator.NotIn:
                _sql.Append(c).Append(f.Operator == FilterOperator.In ? " IN (" : " NOT IN (")
                    .AppendJoin(", ", f.Values.Select(v => Param(t, v))).Append(')');
                break;
            case FilterOperator.Between:
                _sql.Append(c).Append(" BETWEEN ").Append(Param(t, f.Values[0])).Append(" AND ").Append(Param(t, f.Values[1]));
                break;
            case FilterOperator.StartsWith: _sql.Append(_dialect.StartsWith(c, Param(t, f.Values[0]))); break;
            case FilterOperator.IsNull: _sql.Append(c).Append((bool)f.Values[0] ? " IS NULL" : " IS NOT NULL"); break;
            default: throw new InvalidOperationException($"Unknown operator {f.Operator}.");
        }
    }

    /// <summary>
    /// Rows strictly after the keyset position in the order (keys..., _upload_id, _line) with NULLs last:
    /// an OR over each key of "all earlier keys equal and this key after". The NULL-ness of a cursor value
    /// decides the shape of the SQL, never its text.
    /// </summary>
    private void After(IReadOnlyList<SortKey> sort, KeysetPosition at)
    {
        var keys = new List<(string Column, ColumnType Type, bool Desc, object? Value)>();
        for (var i = 0; i < sort.Count; i++) keys.Add((Quote(sort[i].Column.Name), sort[i].Column.Type, sort[i].Descending, at.SortValues[i]));
        keys.Add((Quote(UploadIdColumn), ColumnType.String, false, at.UploadId));
        keys.Add((Quote(LineColumn), ColumnType.Integer, false, at.Line));

        var terms = new List<string>();
        for (var i = 0; i < keys.Count; i++)
        {
            var (column, type, desc, value) = keys[i];
            // After a NULL (NULLs last) only equal NULLs follow, which the next key orders.
            if (value is null) continue;
            var parts = new List<string>();
            for (var j = 0; j < i; j++)
            {
                var prior = keys[j];
                parts.Add(prior.Value is null ? $"{prior.Column} IS NULL" : $"{prior.Column} = {Param(prior.Type, prior.Value)}");
            }
            var after = $"{column} {(desc ? "<" : ">")} {Param(type, value)}";
            // NULLs come after every value in both directions; system columns are never NULL.
            parts.Add(i < sort.Count ? $"({after} OR {column} IS NULL)" : after);
            terms.Add("(" + string.Join(" AND ", parts) + ")");
        }
        _sql.Append(terms.Count == 0 ? "FALSE" : "(" + string.Join(" OR ", terms) + ")");
    }

    private void OrderBy(IReadOnlyList<SortKey> sort)
    {
        _sql.Append(" ORDER BY ");
        foreach (var k in sort) _sql.Append(Quote(k.Column.Name)).Append(k.Descending ? " DESC" : " ASC").Append(" NULLS LAST, ");
        _sql.Append(Quote(UploadIdColumn)).Append(", ").Append(Quote(LineColumn));
    }

    private string Quote(string identifier) => _dialect.Quote(identifier);

    private string Param(ColumnType type, object? value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var name = "p" + _parameters.Count.ToString(CultureInfo.InvariantCulture);
        _parameters.Add(new QueryParameter(name, type, value));
        return _dialect.ParameterPrefix + name;
    }

    private RenderedSql Result() => new(_sql.ToString(), _parameters.ToArray());
}
