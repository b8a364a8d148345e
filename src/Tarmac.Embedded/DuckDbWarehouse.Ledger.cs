using System.Data.Common;
using DuckDB.NET.Data;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;

namespace Tarmac.Embedded;

public sealed partial class DuckDbWarehouse
{
    private const string UploadColumns =
        "upload_id, dataset, object, bytes, sha256, status, file_name, content_type, client, rows_loaded, rows_rejected, errors, error, received_at, processing_started_at, completed_at, attempts";

    /// <summary>Most registrations committed together.</summary>
    private const int MaxRegistrationBatch = 2000;

    /// <inheritdoc />
    /// <remarks>
    /// Registrations are group-committed: callers queue, and one writer registers everything queued
    /// so far in one transaction. A commit costs a disk flush, so under load many uploads share one
    /// instead of each waiting for its own; alone, an upload waits for exactly one.
    /// </remarks>
    public Task<RegisterResult> RegisterAsync(UploadRecord candidate, CancellationToken ct)
    {
        var pending = new PendingRegistration(candidate, new TaskCompletionSource<RegisterResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_registrations.Writer.TryWrite(pending), this);
        return pending.Done.Task.WaitAsync(ct);
    }

    private sealed record PendingRegistration(UploadRecord Candidate, TaskCompletionSource<RegisterResult> Done);

    private async Task RunRegistrarAsync()
    {
        var reader = _registrations.Reader;
        var batch = new List<PendingRegistration>();
        while (await reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxRegistrationBatch && reader.TryRead(out var p)) batch.Add(p);
            try
            {
                var results = await RegisterBatchAsync(batch);
                for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
            }
            catch (Exception) when (batch.Count > 1)
            {
                // One bad candidate must not fail its neighbours: register them one by one.
                foreach (var p in batch)
                {
                    try { p.Done.TrySetResult((await RegisterBatchAsync([p]))[0]); }
                    catch (Exception e) { p.Done.TrySetException(e); }
                }
            }
            catch (Exception e)
            {
                batch[0].Done.TrySetException(e);
            }
        }
    }

    private async Task<RegisterResult[]> RegisterBatchAsync(IReadOnlyList<PendingRegistration> batch)
    {
        await _ledgerLock.WaitAsync();
        try
        {
            await using var c = Open();
            await using var tx = await c.BeginTransactionAsync();
            var byId = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
            var byContent = new Dictionary<(string, string), UploadRecord>();
            await using (var cmd = c.CreateCommand())
            {
                cmd.CommandText = $"SELECT {UploadColumns} FROM {UploadsTable} WHERE upload_id IN (SELECT unnest($ids)) OR sha256 IN (SELECT unnest($shas))";
                cmd.Parameters.Add(P("ids", batch.Select(p => p.Candidate.UploadId).ToList()));
                cmd.Parameters.Add(P("shas", batch.Select(p => p.Candidate.Sha256).Distinct().ToList()));
                await using var r = await cmd.ExecuteReaderAsync();
                while (await r.ReadAsync())
                {
                    var u = ReadUpload(r);
                    byId[u.UploadId] = u;
                    byContent[(u.Dataset, u.Sha256)] = u;
                }
            }

            var results = new RegisterResult[batch.Count];
            var retries = new List<UploadRecord>();
            using (var appender = c.CreateAppender(UploadsTable))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    var candidate = batch[i].Candidate;
                    if (byId.TryGetValue(candidate.UploadId, out var same))
                    {
                        results[i] = new RegisterResult(RegisterOutcome.Created, same);
                        continue;
                    }
                    if (byContent.TryGetValue((candidate.Dataset, candidate.Sha256), out var existing))
                    {
                        if (existing.Status != UploadStatus.Failed)
                        {
                            results[i] = new RegisterResult(RegisterOutcome.Duplicate, existing);
                            continue;
                        }
                        // The new object holds the same bytes and certainly exists, whatever became of the old one.
                        var retried = existing with { Status = UploadStatus.Stored, Object = candidate.Object, Error = null, CompletedAt = null };
                        retries.Add(retried);
                        byContent[(candidate.Dataset, candidate.Sha256)] = byId[retried.UploadId] = retried;
                        results[i] = new RegisterResult(RegisterOutcome.Retry, retried);
                        continue;
                    }
                    var created = candidate with { Status = UploadStatus.Stored };
                    appender.CreateRow()
                        .AppendValue(created.UploadId).AppendValue(created.Dataset).AppendValue(created.Object).AppendValue((long?)created.Bytes)
                        .AppendValue(created.Sha256).AppendValue(UploadStatus.Stored.ToWire()).AppendValue(created.FileName).AppendValue(created.ContentType)
                        .AppendValue(created.Client).AppendValue((long?)0).AppendValue((long?)0).AppendNullValue().AppendNullValue()
                        .AppendValue((DateTime?)Utc(created.ReceivedAt)).AppendNullValue().AppendNullValue().AppendValue((int?)0)
                        .EndRow();
                    byContent[(created.Dataset, created.Sha256)] = byId[created.UploadId] = created;
                    results[i] = new RegisterResult(RegisterOutcome.Created, created);
                }
            }
            foreach (var retried in retries)
            {
                await ExecuteAsync(c, $"UPDATE {UploadsTable} SET status = 'stored', object = $o, error = NULL, completed_at = NULL WHERE upload_id = $id", default,
                    P("id", retried.UploadId), P("o", retried.Object));
            }
            await tx.CommitAsync();
            return results;
        }
        finally
        {
            _ledgerLock.Release();
        }
    }

    /// <inheritdoc />
    public async Task<UploadRecord?> GetAsync(string uploadId, CancellationToken ct)
    {
        await using var c = Open();
        return await QuerySingleAsync(c, $"SELECT {UploadColumns} FROM {UploadsTable} WHERE upload_id = $id", ct, P("id", uploadId));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, UploadRecord>> GetManyAsync(IReadOnlyCollection<string> uploadIds, CancellationToken ct)
    {
        await using var c = Open();
        return await ReadUploadsAsync(c, uploadIds, ct);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UploadRecord>> ListByStatusAsync(UploadStatus status, int limit, CancellationToken ct)
    {
        await using var c = Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {UploadColumns} FROM {UploadsTable} WHERE status = $st ORDER BY received_at, upload_id LIMIT $n";
        cmd.Parameters.Add(P("st", status.ToWire()));
        cmd.Parameters.Add(P("n", limit));
        var list = new List<UploadRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(ReadUpload(r));
        return list;
    }

    /// <inheritdoc />
    public async Task MarkFailedAsync(string uploadId, string error, CancellationToken ct)
    {
        await _ledgerLock.WaitAsync(ct);
        try
        {
            await using var c = Open();
            await ExecuteAsync(c, $"""
                UPDATE {UploadsTable} SET status = 'failed', error = $e, completed_at = $at, attempts = attempts + 1
                WHERE upload_id = $id AND status = 'stored'
                """, ct, P("id", uploadId), P("e", error), P("at", Utc(_time.GetUtcNow())));
        }
        finally
        {
            _ledgerLock.Release();
        }
    }

    private static async Task<Dictionary<string, UploadRecord>> ReadUploadsAsync(DuckDBConnection c, IEnumerable<string> ids, CancellationToken ct)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {UploadColumns} FROM {UploadsTable} WHERE upload_id IN (SELECT unnest($ids))";
        cmd.Parameters.Add(P("ids", ids.Distinct(StringComparer.Ordinal).ToList()));
        var found = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct))
        {
            var u = ReadUpload(r);
            found[u.UploadId] = u;
        }
        return found;
    }

    private static async Task<UploadRecord?> QuerySingleAsync(DuckDBConnection c, string sql, CancellationToken ct, params DuckDBParameter[] ps)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddRange(ps);
        await using var r = await cmd.ExecuteReaderAsync(ct);
        return await r.ReadAsync(ct) ? ReadUpload(r) : null;
    }

    private static async Task<int> ExecuteAsync(DuckDBConnection c, string sql, CancellationToken ct, params DuckDBParameter[] ps)
    {
        await using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.AddRange(ps);
        return await cmd.ExecuteNonQueryAsync(ct);
    }

    private static UploadRecord ReadUpload(DbDataReader r) => new()
    {
        UploadId = r.GetString(0),
        Dataset = r.GetString(1),
        Object = r.GetString(2),
        Bytes = r.GetInt64(3),
        Sha256 = r.GetString(4),
        Status = UploadStatuses.FromWire(r.GetString(5)),
        FileName = r.IsDBNull(6) ? null : r.GetString(6),
        ContentType = r.IsDBNull(7) ? null : r.GetString(7),
        Client = r.IsDBNull(8) ? null : r.GetString(8),
        RowsLoaded = r.GetInt64(9),
        RowsRejected = r.GetInt64(10),
        Errors = DeserializeErrors(r.IsDBNull(11) ? null : r.GetString(11)),
        Error = r.IsDBNull(12) ? null : r.GetString(12),
        ReceivedAt = ReadTime(r, 13)!.Value,
        ProcessingStartedAt = ReadTime(r, 14),
        CompletedAt = ReadTime(r, 15),
        Attempts = r.GetInt32(16),
    };
}
