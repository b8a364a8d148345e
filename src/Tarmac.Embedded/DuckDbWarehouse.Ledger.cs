using System.Data.Common;
using DuckDB.NET.Data;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;

namespace Tarmac.Embedded;

public sealed partial class DuckDbWarehouse
{
    private const string UploadColumns =
        "upload_id, dataset, object, bytes, sha256, status, file_name, content_type, client, rows_loaded, rows_rejected, errors, error, received_at, processing_started_at, completed_at, attempts";

    /// <inheritdoc />
    public async Task<RegisterResult> RegisterAsync(UploadRecord candidate, CancellationToken ct)
    {
        // One process owns the DuckDB file, so an in-process lock makes check-then-insert atomic;
        // the unique index on (dataset, sha256) would still refuse a second row if it did not.
        await _ledgerLock.WaitAsync(ct);
        try
        {
            await using var c = Open();
            await using var tx = await c.BeginTransactionAsync(ct);
            var same = await QuerySingleAsync(c, $"SELECT {UploadColumns} FROM {UploadsTable} WHERE upload_id = $id", ct, P("id", candidate.UploadId));
            if (same is not null) return new RegisterResult(RegisterOutcome.Created, same);

            var existing = await QuerySingleAsync(c, $"SELECT {UploadColumns} FROM {UploadsTable} WHERE dataset = $d AND sha256 = $s", ct,
                P("d", candidate.Dataset), P("s", candidate.Sha256));
            if (existing is null)
            {
                await ExecuteAsync(c, $"""
                    INSERT INTO {UploadsTable} (upload_id, dataset, object, bytes, sha256, status, file_name, content_type, client, received_at)
                    VALUES ($id, $d, $o, $b, $s, 'stored', $fn, $ct, $cl, $at)
                    """, ct, P("id", candidate.UploadId), P("d", candidate.Dataset), P("o", candidate.Object), P("b", candidate.Bytes),
                    P("s", candidate.Sha256), P("fn", candidate.FileName), P("ct", candidate.ContentType), P("cl", candidate.Client), P("at", Utc(candidate.ReceivedAt)));
                await tx.CommitAsync(ct);
                return new RegisterResult(RegisterOutcome.Created, candidate with { Status = UploadStatus.Stored });
            }
            if (existing.Status != UploadStatus.Failed) return new RegisterResult(RegisterOutcome.Duplicate, existing);

            // The new object holds the same bytes and certainly exists, whatever became of the old one.
            await ExecuteAsync(c, $"UPDATE {UploadsTable} SET status = 'stored', object = $o, error = NULL, completed_at = NULL WHERE upload_id = $id", ct,
                P("id", existing.UploadId), P("o", candidate.Object));
            await tx.CommitAsync(ct);
            return new RegisterResult(RegisterOutcome.Retry, existing with { Status = UploadStatus.Stored, Object = candidate.Object, Error = null, CompletedAt = null });
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
