using System.Data.Common;
using DuckDB.NET.Data;
using Tarmac.Core.Datasets;
using Tarmac.Core.Query;

namespace Tarmac.Embedded;

public sealed partial class DuckDbWarehouse
{
    /// <inheritdoc />
    public async Task<DatasetVersion> GetVersionAsync(DatasetSchema dataset, CancellationToken ct)
    {
        await using var c = Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT version, last_loaded_at FROM {VersionsTable} WHERE dataset = $d";
        cmd.Parameters.Add(P("d", dataset.Name));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new DatasetVersion(r.GetInt64(0), ReadTime(r, 1)) : new DatasetVersion(0, null);
    }

    /// <inheritdoc />
    public async Task QueryRowsAsync(RowsQuery query, IRowWriter writer, CancellationToken ct)
    {
        var columns = query.Fields.Select(f => new ResultColumn(f.Name, f.Type)).ToArray();
        if (_bufferedPages.TryGetValue(query, out var page))
        {
            _bufferedPages.Remove(query);
            await writer.BeginAsync(columns, ct);
            var row = new BufferedRow();
            foreach (var values in page)
            {
                row.Values = values;
                await writer.WriteRowAsync(row, ct);
            }
            return;
        }
        await StreamAsync(DuckDbSqlRenderer.Render(query), columns, writer, streaming: true, ct);
    }

    /// <summary>
    /// Pages of up to this many rows are read in one query, with their boundary, and served from memory; larger ones
    /// (NDJSON/CSV exports) run a boundary query and then stream. 0 streams every page.
    /// </summary>
    public int BufferedPageMaxRows { get; set; } = 10_000;

    // The page that FindPageEndAsync read for a query, kept for the QueryRowsAsync call on the same query object
    // that follows it; dropped with the query if that call never comes.
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<RowsQuery, List<object?[]>> _bufferedPages = new();

    /// <summary>
    /// Reads a bounded page and the row after it in one query (instead of a boundary query and then the page), keeps
    /// the page for <see cref="QueryRowsAsync"/>, and returns where the next page starts.
    /// </summary>
    private async Task<KeysetPosition?> ReadBufferedPageAsync(RowsQuery query, CancellationToken ct)
    {
        var page = new List<object?[]>(Math.Min(query.Limit, 1024));
        KeysetPosition? last = null;
        var more = false;
        var fields = query.Fields;
        await RunAsync(DuckDbSqlRenderer.RenderPageWithKeys(query), streaming: false, r =>
        {
            while (r.Read())
            {
                if (page.Count == query.Limit) { more = true; break; }
                var values = new object?[fields.Count];
                for (var i = 0; i < values.Length; i++) values[i] = r.IsDBNull(i) ? null : ToClr(fields[i].Type, r, i);
                page.Add(values);
                if (page.Count == query.Limit)
                {
                    var keys = new object?[query.Sort.Count];
                    for (var k = 0; k < keys.Length; k++) keys[k] = r.IsDBNull(fields.Count + k) ? null : ToClr(query.Sort[k].Column.Type, r, fields.Count + k);
                    last = new KeysetPosition(keys, r.GetString(fields.Count + keys.Length), r.GetInt64(fields.Count + keys.Length + 1));
                }
            }
            return Task.CompletedTask;
        }, ct);
        _bufferedPages.AddOrUpdate(query, page);
        return more ? last : null;
    }

    /// <summary>A buffered row, read with the same typed getters as a live reader.</summary>
    private sealed class BufferedRow : IResultRow
    {
        public object?[] Values { get; set; } = [];
        public bool IsNull(int ordinal) => Values[ordinal] is null;
        public long GetInt64(int ordinal) => (long)Values[ordinal]!;
        public double GetDouble(int ordinal) => (double)Values[ordinal]!;
        public decimal GetDecimal(int ordinal) => (decimal)Values[ordinal]!;
        public bool GetBoolean(int ordinal) => (bool)Values[ordinal]!;
        public string GetString(int ordinal) => (string)Values[ordinal]!;
        public DateOnly GetDate(int ordinal) => (DateOnly)Values[ordinal]!;
        public DateTimeOffset GetTimestamp(int ordinal) => (DateTimeOffset)Values[ordinal]!;
    }

    /// <inheritdoc />
    public Task QueryStatsAsync(StatsQuery query, IRowWriter writer, CancellationToken ct) =>
        StreamAsync(DuckDbSqlRenderer.Render(query),
            query.GroupBy.Select(g => new ResultColumn(g.Name, g.Type)).Concat(query.Metrics.Select(m => new ResultColumn(m.OutputKey, m.ResultType))).ToArray(),
            writer, streaming: false, ct); // at most 10,000 groups: materialised

    /// <inheritdoc />
    public async Task<KeysetPosition?> FindPageEndAsync(RowsQuery query, CancellationToken ct)
    {
        if (query.Limit <= BufferedPageMaxRows) return await ReadBufferedPageAsync(query, ct);
        KeysetPosition? last = null;
        var rows = 0;
        await RunAsync(DuckDbSqlRenderer.RenderPageBoundary(query), streaming: false, r =>
        {
            // Row 1 is the page's last row, row 2 (if any) the next page's first.
            while (r.Read())
            {
                if (++rows == 1)
                {
                    var values = new object?[query.Sort.Count];
                    for (var i = 0; i < values.Length; i++) values[i] = r.IsDBNull(i) ? null : ToClr(query.Sort[i].Column.Type, r, i);
                    last = new KeysetPosition(values, r.GetString(values.Length), r.GetInt64(values.Length + 1));
                }
            }
            return Task.CompletedTask;
        }, ct);
        return rows == 2 ? last : null;
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(RowsQuery query, CancellationToken ct)
    {
        long count = 0;
        await RunAsync(DuckDbSqlRenderer.RenderCount(query), streaming: false, r =>
        {
            if (r.Read()) count = r.GetInt64(0);
            return Task.CompletedTask;
        }, ct);
        return count;
    }

    private Task StreamAsync(RenderedSql sql, ResultColumn[] columns, IRowWriter writer, bool streaming, CancellationToken ct) =>
        RunAsync(sql, streaming, async r =>
        {
            var row = new ReaderRow(r);
            // The first Read() does the blocking work (sort, aggregate); only then may the response start.
            var more = r.Read();
            ct.ThrowIfCancellationRequested();
            await writer.BeginAsync(columns, ct);
            while (more)
            {
                await writer.WriteRowAsync(row, ct);
                more = r.Read();
            }
        }, ct);

    /// <summary>
    /// Runs one query with its parameters. Cancelling <paramref name="ct"/> interrupts the connection, which stops
    /// DuckDB's execution where it is; that is reported as cancellation. A materialised query fails with an interrupt
    /// error; a streaming one just stops yielding rows, so the token is checked again at the end: an interrupted
    /// stream is never taken for a complete one.
    /// </summary>
    private async Task RunAsync(RenderedSql sql, bool streaming, Func<DbDataReader, Task> read, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        await using var c = Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql.Sql;
        cmd.UseStreamingMode = streaming;
        foreach (var p in sql.Parameters) cmd.Parameters.Add(new DuckDBParameter(p.Name, ToDuckDb(p.Value)));
        await using var interrupt = ct.Register(static state => ((DuckDBCommand)state!).Cancel(), cmd);
        try
        {
            await using var r = cmd.ExecuteReader();
            await read(r);
        }
        catch (Exception e) when (ct.IsCancellationRequested && (e is DbException || (e is OperationCanceledException o && o.CancellationToken != ct)))
        {
            // DuckDB.NET reports an interrupted query as its own OperationCanceledException (or a DbException on older
            // paths); keep it as the inner exception so callers can tell the warehouse stopped it.
            throw new OperationCanceledException("The query was interrupted.", e, ct);
        }
        // An interrupt that came just before execution began is lost by DuckDB; the query then ran to its end.
        ct.ThrowIfCancellationRequested();
    }

    private static object ToDuckDb(object value) => value switch
    {
        DateTimeOffset t => t.UtcDateTime, // a TIMESTAMP, not a TIMESTAMPTZ compared in the session's time zone
        _ => value,
    };

    private static object ToClr(ColumnType type, DbDataReader r, int i) => type switch
    {
        ColumnType.Integer => r.GetInt64(i),
        ColumnType.Float => r.GetDouble(i),
        ColumnType.Numeric => r.GetDecimal(i),
        ColumnType.Boolean => r.GetBoolean(i),
        ColumnType.String => r.GetString(i),
        ColumnType.Date => r.GetFieldValue<DateOnly>(i),
        ColumnType.Timestamp => new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc)),
        _ => throw new InvalidOperationException($"Unknown column type {type}."),
    };

    /// <summary>The current row of a DuckDB reader, read with typed getters.</summary>
    private sealed class ReaderRow(DbDataReader r) : IResultRow
    {
        public bool IsNull(int ordinal) => r.IsDBNull(ordinal);
        public long GetInt64(int ordinal) => r.GetInt64(ordinal);
        public double GetDouble(int ordinal) => r.GetDouble(ordinal);
        public decimal GetDecimal(int ordinal) => r.GetDecimal(ordinal);
        public bool GetBoolean(int ordinal) => r.GetBoolean(ordinal);
        public string GetString(int ordinal) => r.GetString(ordinal);
        public DateOnly GetDate(int ordinal) => r.GetFieldValue<DateOnly>(ordinal);
        public DateTimeOffset GetTimestamp(int ordinal) => new(DateTime.SpecifyKind(r.GetDateTime(ordinal), DateTimeKind.Utc));
    }
}
