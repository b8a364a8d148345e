using System.Data.Common;
using System.Diagnostics;
using DuckDB.NET.Data;
using Tarmac.Core.Ports;
using Tarmac.Core.Query;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;
using static Tarmac.Embedded.DuckDbDatabase;

namespace Tarmac.Embedded;

/// <summary>
/// One load transaction: rows go in through DuckDB appenders (no per-row SQL), the ledger and dataset versions are updated
/// set-wise at commit, and all of it commits together. Disposing without a commit rolls everything back.
/// </summary>
internal sealed class DuckDbLoadSession : ILoadSession
{
    private readonly DuckDbWarehouseLoader _owner;
    private readonly DuckDBConnection _connection;
    private readonly DbTransaction _transaction;
    private readonly Dictionary<string, DuckDBAppender> _appenders = new(StringComparer.Ordinal);
    private readonly HashSet<string> _withoutRow;
    private readonly long _began;
    private bool _committed;

    private DuckDbLoadSession(DuckDbWarehouseLoader owner, DuckDBConnection connection, DbTransaction transaction,
        IReadOnlyDictionary<string, UploadRecord> current, HashSet<string> withoutRow, DateTimeOffset startedAt, long began)
    {
        _began = began;
        _owner = owner;
        _connection = connection;
        _transaction = transaction;
        Current = current;
        _withoutRow = withoutRow;
        StartedAt = startedAt;
    }

    public IReadOnlyDictionary<string, UploadRecord> Current { get; }

    public DateTimeOffset StartedAt { get; }

    /// <summary>
    /// Opens the transaction and finds the batch's ledger records: open uploads (registered, no row yet; loads are one at a
    /// time, so no other load writes theirs meanwhile) from memory, the rest read in the transaction.
    /// </summary>
    public static async Task<DuckDbLoadSession> BeginAsync(DuckDbWarehouseLoader owner, IReadOnlyList<LoadRequest> batch, CancellationToken ct)
    {
        var began = Stopwatch.GetTimestamp(); // the transaction's duration includes the ledger read below
        var c = owner.Database.Open();
        try
        {
            var tx = await c.BeginTransactionAsync(ct);
            var current = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
            var withoutRow = new HashSet<string>(StringComparer.Ordinal);
            List<string>? rest = null;
            foreach (var r in batch)
            {
                var id = r.Upload.UploadId;
                if (!owner.Database.OpenUploads.TryGet(id, out var open)) (rest ??= []).Add(id);
                else if (current.TryAdd(id, open.Record) && !open.Settled) withoutRow.Add(id);
            }
            if (rest is not null)
                foreach (var (id, u) in await UploadRows.ReadManyAsync(c, rest, ct)) current[id] = u;
            return new DuckDbLoadSession(owner, c, tx, current, withoutRow, owner.Time.GetUtcNow(), began);
        }
        catch
        {
            await c.DisposeAsync();
            throw;
        }
    }

    public async Task<ValidationResult?> TryLoadFastAsync(LoadRequest request, CancellationToken ct) =>
        request.Upload.Bytes >= _owner.BulkThresholdBytes
            ? await _owner.Bulk.TryLoadAsync(_connection, request, StartedAt.UtcDateTime, () => Rows(request), ct)
            : null;

    public Task<IUploadRowWriter> OpenRowsAsync(LoadRequest request, CancellationToken ct) => Task.FromResult<IUploadRowWriter>(Rows(request));

    public async Task DiscardRowsAsync(LoadRequest request, CancellationToken ct)
    {
        // Rows still in the appender are not in the table yet: flush them, so the DELETE sees them.
        if (_appenders.Remove(request.Dataset.Name, out var appender))
        {
            appender.Close();
            appender.Dispose();
        }
        await ExecuteAsync(_connection, $"DELETE FROM {DuckDbSql.QuoteIdentifier(request.Dataset.Name)} WHERE {Core.Datasets.SystemColumns.UploadId} = $id", ct,
            P("id", request.Upload.UploadId));
    }

    public async Task<IReadOnlyList<UploadRecord>> CommitAsync(IReadOnlyList<UploadRecord> outcomes, CancellationToken ct)
    {
        foreach (var a in _appenders.Values) a.Close();
        // An open upload's row is written now, with its outcome; the others' rows are updated.
        var inserts = outcomes.Where(o => _withoutRow.Contains(o.UploadId))
            .Select(o => UploadRows.AsStored(o with { ProcessingStartedAt = o.ProcessingStartedAt ?? StartedAt, CompletedAt = o.CompletedAt ?? StartedAt, Error = null })).ToList();
        if (inserts.Count > 0)
        {
            using var appender = _connection.CreateAppender(UploadsTable);
            foreach (var o in inserts) UploadRows.Append(appender, o);
        }
        var updates = inserts.Count == 0 ? outcomes : [.. outcomes.Where(o => !_withoutRow.Contains(o.UploadId))];
        if (updates.Count > 0)
        {
            await ExecuteAsync(_connection, $"""
                UPDATE {UploadsTable} SET status = v.status, rows_loaded = v.rows_loaded, rows_rejected = v.rows_rejected, errors = v.errors,
                  error = NULL, processing_started_at = v.started_at, completed_at = v.completed_at, attempts = {UploadsTable}.attempts + 1
                FROM (SELECT unnest($ids) AS upload_id, unnest($st) AS status, unnest($rl) AS rows_loaded, unnest($rr) AS rows_rejected,
                        unnest($er) AS errors, unnest($ps) AS started_at, unnest($ca) AS completed_at) v
                WHERE {UploadsTable}.upload_id = v.upload_id AND {UploadsTable}.received_at >= $since
                """, ct,
                // The join would read the whole ledger; every outcome's row was received at or after this (zone maps skip the rest).
                P("since", updates.Min(o => o.ReceivedAt).UtcDateTime),
                P("ids", updates.Select(o => o.UploadId).ToList()),
                P("st", updates.Select(o => o.Status.ToWire()).ToList()),
                P("rl", updates.Select(o => o.RowsLoaded).ToList()),
                P("rr", updates.Select(o => o.RowsRejected).ToList()),
                P("er", updates.Select(o => UploadRows.SerializeErrors(o.Errors)).ToList()),
                P("ps", updates.Select(o => (o.ProcessingStartedAt ?? StartedAt).UtcDateTime).ToList()),
                P("ca", updates.Select(o => (o.CompletedAt ?? StartedAt).UtcDateTime).ToList()));
        }
        var versions = new List<(string Dataset, DatasetVersion Version)>();
        foreach (var loaded in outcomes.Where(o => o.RowsLoaded > 0).GroupBy(o => o.Dataset, StringComparer.Ordinal))
        {
            // An update, and an insert for a dataset's first load (loads are one at a time: no other inserts it meanwhile).
            var at = loaded.Max(o => o.CompletedAt ?? StartedAt).UtcDateTime;
            var version = await ReadVersionAsync($"UPDATE {VersionsTable} SET version = version + 1, last_loaded_at = $at WHERE dataset = $d RETURNING version, last_loaded_at", loaded.Key, at, ct)
                ?? await ReadVersionAsync($"INSERT INTO {VersionsTable} VALUES ($d, 1, $at) RETURNING version, last_loaded_at", loaded.Key, at, ct)
                ?? throw new InvalidOperationException($"The version of {loaded.Key} was not returned.");
            versions.Add((loaded.Key, version));
        }
        var cache = _owner.Database.Versions;
        cache.CommitStarting();
        try
        {
            var commit = Stopwatch.GetTimestamp();
            try
            {
                await _transaction.CommitAsync(ct);
            }
            catch (DuckDBException e)
            {
                // DuckDB reverted it, and its revert can leave the instance inconsistent: replaced once this session ends.
                _owner.Database.CommitReverted(e);
                throw;
            }
            finally
            {
                _owner.CommitDuration.Record(Stopwatch.GetElapsedTime(commit).TotalSeconds);
            }
            foreach (var (dataset, version) in versions) cache.Committed(dataset, version);
            foreach (var o in inserts) _owner.Database.OpenUploads.Settled(o);
        }
        finally
        {
            cache.CommitEnded();
        }
        _committed = true;
        if (inserts.Count == 0) return outcomes;
        var written = inserts.ToDictionary(o => o.UploadId, StringComparer.Ordinal);
        return [.. outcomes.Select(o => written.GetValueOrDefault(o.UploadId) ?? o)];
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (var a in _appenders.Values) a.Dispose();
            await _transaction.DisposeAsync();
            await _connection.DisposeAsync();
        }
        finally
        {
            // Still holding the load lock: no other load commits on the suspect instance before it is replaced. If it
            // cannot be yet (connections that do not close), the next load tries again before it begins.
            if (_owner.Database.ResetPending) _owner.Database.TryReset(DuckDbDatabase.ResetDrain);
            _owner.Ended(_committed, _began);
        }
    }

    private async Task<DatasetVersion?> ReadVersionAsync(string sql, string dataset, DateTime at, CancellationToken ct)
    {
        await using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.Add(P("d", dataset));
        cmd.Parameters.Add(P("at", at));
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? new DatasetVersion(r.GetInt64(0), ReadTime(r, 1)) : null;
    }

    private AppenderRowWriter Rows(LoadRequest request)
    {
        if (!_appenders.TryGetValue(request.Dataset.Name, out var appender))
            _appenders[request.Dataset.Name] = appender = _connection.CreateAppender(request.Dataset.Name);
        return new AppenderRowWriter(appender, request.Dataset, request.Upload.UploadId, StartedAt.UtcDateTime);
    }
}
