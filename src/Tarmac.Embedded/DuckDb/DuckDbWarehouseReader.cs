using System.Data.Common;
using DuckDB.NET.Data;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Query;
using static Tarmac.Embedded.DuckDbDatabase;

namespace Tarmac.Embedded;

/// <summary>Answers queries from the embedded warehouse, in DuckDB SQL with every value a named parameter.</summary>
public sealed class DuckDbWarehouseReader(DuckDbDatabase db) : IWarehouseReader
{
    /// <inheritdoc />
    public async Task<DatasetVersion> GetVersionAsync(DatasetSchema dataset, CancellationToken ct)
    {
        if (db.Versions.TryGetSettled(dataset.Name, out var cached)) return cached;
        var read = await ReadVersionAsync(dataset, ct);
        db.Versions.AddIfMissing(dataset.Name, read);
        return read;
    }

    private async Task<DatasetVersion> ReadVersionAsync(DatasetSchema dataset, CancellationToken ct)
    {
        await using var c = db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT version, last_loaded_at FROM {VersionsTable} WHERE dataset = $d";
        cmd.Parameters.Add(P("d", dataset.Name));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new DatasetVersion(r.GetInt64(0), ReadTime(r, 1)) : new DatasetVersion(0, null);
    }

    /// <inheritdoc />
    /// <remarks>One query reads the page plus one row, with the sort keys after the fields: the extra row says whether a next page exists.</remarks>
    public async Task<RowsPage> ReadPageAsync(RowsQuery query, CancellationToken ct)
    {
        var page = new List<object?[]>(Math.Min(query.Limit, 1024));
        KeysetPosition? last = null;
        var more = false;
        var fields = query.Fields;
        await RunAsync(query.Dataset, query.Snapshot, sql => sql.PageWithKeys(query), streaming: false, r =>
        {
            while (r.Read())
            {
                if (page.Count == query.Limit) { more = true; break; }
                var values = new object?[fields.Count];
                for (var i = 0; i < values.Length; i++) values[i] = DuckDbValues.Read(fields[i].Type, r, i);
                page.Add(values);
                if (page.Count == query.Limit) last = DuckDbValues.ReadPosition(query.Sort, r, fields.Count);
            }
            return Task.CompletedTask;
        }, ct);
        return new RowsPage(Columns(query), page, more ? last : null);
    }

    /// <inheritdoc />
    /// <remarks>A boundary query finds the page's end (within one page, never the depth of paging), then the page streams.</remarks>
    public async Task ExportRowsAsync(RowsQuery query, Action<KeysetPosition> onNextPage, IRowWriter writer, CancellationToken ct)
    {
        KeysetPosition? last = null;
        var rows = 0;
        await RunAsync(query.Dataset, query.Snapshot, sql => sql.PageBoundary(query), streaming: false, r =>
        {
            // Row 1 is the page's last row, row 2 (if any) the next page's first.
            while (r.Read())
                if (++rows == 1) last = DuckDbValues.ReadPosition(query.Sort, r, 0);
            return Task.CompletedTask;
        }, ct);
        if (rows == 2) onNextPage(last!);
        await StreamAsync(query.Dataset, query.Snapshot, sql => sql.Rows(query), Columns(query), writer, streaming: true, ct);
    }

    /// <inheritdoc />
    public async Task<long> CountAsync(RowsQuery query, CancellationToken ct)
    {
        long count = 0;
        await RunAsync(query.Dataset, query.Snapshot, sql => sql.Count(query), streaming: false, r =>
        {
            if (r.Read()) count = r.GetInt64(0);
            return Task.CompletedTask;
        }, ct);
        return count;
    }

    /// <inheritdoc />
    public Task QueryStatsAsync(StatsQuery query, IRowWriter writer, CancellationToken ct) =>
        StreamAsync(query.Dataset, query.Snapshot, sql => sql.Stats(query),
            query.GroupBy.Select(g => new ResultColumn(g.Name, g.Type)).Concat(query.Metrics.Select(m => new ResultColumn(m.OutputKey, m.ResultType))).ToArray(),
            writer, streaming: false, ct); // at most 10,000 groups: materialised

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            await using var c = db.Open();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT 1";
            return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            return false;
        }
    }

    private static ResultColumn[] Columns(RowsQuery query) => query.Fields.Select(f => new ResultColumn(f.Name, f.Type)).ToArray();

    private Task StreamAsync(DatasetSchema dataset, DateTimeOffset? snapshot, Func<SqlRenderer, RenderedSql> render, ResultColumn[] columns,
        IRowWriter writer, bool streaming, CancellationToken ct) =>
        RunAsync(dataset, snapshot, render, streaming, async r =>
        {
            var row = new DuckDbValues.ReaderRow(r);
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
    /// Runs one statement over <paramref name="snapshot"/>. When no row newer than the snapshot can be visible (the usual
    /// case: no load since the walk's first page), it runs without the <c>_loaded_at</c> predicate; if a load began
    /// committing before the statement started, that answer is dropped unread and the statement runs with it.
    /// </summary>
    private async Task RunAsync(DatasetSchema dataset, DateTimeOffset? snapshot, Func<SqlRenderer, RenderedSql> render, bool streaming,
        Func<DbDataReader, Task> read, CancellationToken ct)
    {
        var versions = db.Versions;
        if (versions.Covers(dataset.Name, snapshot, out var commits)
            && await TryRunAsync(render(DuckDbSql.Renderer(dataset, snapshotCoversAllRows: true)), streaming, () => versions.Commits == commits, read, ct))
            return;
        await TryRunAsync(render(DuckDbSql.Renderer(dataset)), streaming, static () => true, read, ct);
    }

    /// <summary>
    /// Runs one query with its parameters, and reads it if <paramref name="stillExact"/> holds once it started (false
    /// otherwise, unread). Cancelling <paramref name="ct"/> interrupts the connection, which stops
    /// DuckDB's execution where it is; that is reported as cancellation. A materialised query fails with an interrupt
    /// error; a streaming one just stops yielding rows, so the token is checked again at the end: an interrupted
    /// stream is never taken for a complete one.
    /// </summary>
    private async Task<bool> TryRunAsync(RenderedSql sql, bool streaming, Func<bool> stillExact, Func<DbDataReader, Task> read, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        await using var c = streaming ? db.OpenForLongRead() : db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql.Sql;
        cmd.UseStreamingMode = streaming;
        foreach (var p in sql.Parameters) cmd.Parameters.Add(new DuckDBParameter(p.Name, DuckDbValues.ToParameter(p.Value)));
        await using var interrupt = ct.Register(static state => ((DuckDBCommand)state!).Cancel(), cmd);
        try
        {
            await using var r = cmd.ExecuteReader();
            // The statement's transaction has begun: what it sees is fixed, and a load that commits from now on is not in it.
            if (!stillExact()) return false;
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
        return true;
    }
}
