using System.Globalization;
using System.Text.Json.Nodes;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Query;
using Tarmac.Core.Uploads;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>Answers queries from BigQuery (<c>jobs.query</c>, GoogleSQL with typed named parameters).</summary>
public sealed class BigQueryWarehouseReader(BigQueryClient bigQuery) : IWarehouseReader
{
    /// <summary>Most rows one page may hold; the query API caps its limit well below this.</summary>
    private const int MaxRows = 1_000_000;

    private string ProjectDataset => $"{bigQuery.Project}.{bigQuery.Dataset}";

    /// <inheritdoc />
    /// <remarks>
    /// The table's own metadata (<c>tables.get</c>, no query, no bytes billed): its <c>lastModifiedTime</c> is the version
    /// and the snapshot. Only load jobs write dataset tables, and rows are stamped <c>_loaded_at</c> when staged, before
    /// their job commits, so every committed row is at or before it
    /// (https://cloud.google.com/bigquery/docs/reference/rest/v2/tables#Table.FIELDS.last_modified_time).
    /// </remarks>
    public async Task<DatasetVersion> GetVersionAsync(DatasetSchema dataset, CancellationToken ct)
    {
        var table = await bigQuery.GetTableAsync(dataset.Name, ct);
        if (table?["numRows"]?.GetValue<string>() is not { } rows || rows == "0") return new DatasetVersion(0, null);
        var modified = long.Parse(table["lastModifiedTime"]!.GetValue<string>(), CultureInfo.InvariantCulture);
        return new DatasetVersion(modified, DateTimeOffset.FromUnixTimeMilliseconds(modified));
    }

    /// <inheritdoc />
    /// <remarks>One query reads the page plus one row, with the sort keys after the fields: the extra row says whether a next page exists.</remarks>
    public async Task<RowsPage> ReadPageAsync(RowsQuery query, CancellationToken ct)
    {
        var result = await RunAsync(BigQuerySql.Renderer(query.Dataset, ProjectDataset).PageWithKeys(query), query.Limit + 1, ct);
        var fields = query.Fields;
        var page = new List<object?[]>(Math.Min(result.Rows.Count, query.Limit));
        var row = new CellRow();
        foreach (var cells in result.Rows.Take(query.Limit))
        {
            row.Cells = cells;
            var values = new object?[fields.Count];
            for (var i = 0; i < values.Length; i++) values[i] = row.IsNull(i) ? null : row.ToClr(fields[i].Type, i);
            page.Add(values);
        }
        KeysetPosition? next = null;
        if (result.Rows.Count > query.Limit)
        {
            row.Cells = result.Rows[query.Limit - 1];
            next = Position(query, row, fields.Count);
        }
        return new RowsPage(Columns(query), page, next);
    }

    /// <inheritdoc />
    public async Task ExportRowsAsync(RowsQuery query, Action<KeysetPosition> onNextPage, IRowWriter writer, CancellationToken ct)
    {
        var boundary = await RunAsync(BigQuerySql.Renderer(query.Dataset, ProjectDataset).PageBoundary(query), 2, ct);
        // Row 1 is the page's last row, row 2 the next page's first.
        if (boundary.Rows.Count == 2) onNextPage(Position(query, new CellRow { Cells = boundary.Rows[0] }, 0));
        await StreamAsync(BigQuerySql.Renderer(query.Dataset, ProjectDataset).Rows(query), Columns(query), writer, ct);
    }

    /// <inheritdoc />
    public Task QueryStatsAsync(StatsQuery query, IRowWriter writer, CancellationToken ct) =>
        StreamAsync(BigQuerySql.Renderer(query.Dataset, ProjectDataset).Stats(query),
            query.GroupBy.Select(g => new ResultColumn(g.Name, g.Type)).Concat(query.Metrics.Select(m => new ResultColumn(m.OutputKey, m.ResultType))).ToArray(),
            writer, ct);

    /// <inheritdoc />
    public async Task<long> CountAsync(RowsQuery query, CancellationToken ct)
    {
        var result = await RunAsync(BigQuerySql.Renderer(query.Dataset, ProjectDataset).Count(query), 1, ct);
        return result.Rows.Count == 0 ? 0 : long.Parse(QueryResult.Cell(result.Rows[0], 0)!, CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            var result = await bigQuery.QueryAsync("SELECT 1", [], 1, ct);
            return result.Rows.Count == 1;
        }
        catch (Exception e) when (e is BigQueryException or TransientFailureException or HttpRequestException)
        {
            return false;
        }
    }

    private static ResultColumn[] Columns(RowsQuery query) => query.Fields.Select(f => new ResultColumn(f.Name, f.Type)).ToArray();

    /// <summary>The keyset position in cells from <paramref name="first"/>: the sort keys, then <c>_upload_id</c>, <c>_line</c>.</summary>
    private static KeysetPosition Position(RowsQuery query, CellRow row, int first)
    {
        var values = new object?[query.Sort.Count];
        for (var i = 0; i < values.Length; i++) values[i] = row.IsNull(first + i) ? null : row.ToClr(query.Sort[i].Column.Type, first + i);
        return new KeysetPosition(values, row.GetString(first + values.Length), row.GetInt64(first + values.Length + 1));
    }

    private Task<QueryResult> RunAsync(RenderedSql sql, int maxRows, CancellationToken ct) =>
        bigQuery.QueryAsync(sql.Sql, Parameters(sql), maxRows, ct);

    private async Task StreamAsync(RenderedSql sql, ResultColumn[] columns, IRowWriter writer, CancellationToken ct)
    {
        var row = new CellRow();
        var begun = false;
        await bigQuery.QueryPagesAsync(sql.Sql, Parameters(sql), MaxRows, async (_, page) =>
        {
            if (!begun)
            {
                // The first page arrives once BigQuery finished the query: only then may the response start.
                begun = true;
                await writer.BeginAsync(columns, ct);
            }
            foreach (var cells in page)
            {
                row.Cells = cells;
                await writer.WriteRowAsync(row, ct);
            }
        }, ct);
    }

    /// <summary>The renderer's typed parameters as <c>jobs.query</c> takes them.</summary>
    internal static List<BigQueryParameter> Parameters(RenderedSql sql) =>
        sql.Parameters.Select(p => new BigQueryParameter(p.Name, p.BigQueryType, p.BigQueryValue)).ToList();

    /// <summary>A result row of BigQuery's text cells, read by the column types (timestamps as int64 microseconds).</summary>
    private sealed class CellRow : IResultRow
    {
        public JsonArray Cells { get; set; } = [];
        private string Text(int i) => QueryResult.Cell(Cells, i) ?? throw new InvalidOperationException($"Column {i} is NULL.");
        public bool IsNull(int ordinal) => QueryResult.Cell(Cells, ordinal) is null;
        public long GetInt64(int ordinal) => long.Parse(Text(ordinal), CultureInfo.InvariantCulture);
        public double GetDouble(int ordinal) => Text(ordinal) switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            var t => double.Parse(t, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        public decimal GetDecimal(int ordinal) => decimal.Parse(Text(ordinal), NumberStyles.Float, CultureInfo.InvariantCulture);
        public bool GetBoolean(int ordinal) => string.Equals(Text(ordinal), "true", StringComparison.OrdinalIgnoreCase);
        public string GetString(int ordinal) => Text(ordinal);
        public DateOnly GetDate(int ordinal) => DateOnly.ParseExact(Text(ordinal), "yyyy-MM-dd", CultureInfo.InvariantCulture);
        public DateTimeOffset GetTimestamp(int ordinal) => DateTimeOffset.UnixEpoch.AddTicks(GetInt64(ordinal) * 10);

        public object ToClr(ColumnType type, int i) => type switch
        {
            ColumnType.Integer => GetInt64(i),
            ColumnType.Float => GetDouble(i),
            ColumnType.Numeric => GetDecimal(i),
            ColumnType.Boolean => GetBoolean(i),
            ColumnType.String => GetString(i),
            ColumnType.Date => GetDate(i),
            ColumnType.Timestamp => GetTimestamp(i),
            _ => throw new InvalidOperationException($"Unknown column type {type}."),
        };
    }
}
