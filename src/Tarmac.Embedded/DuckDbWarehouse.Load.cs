using DuckDB.NET.Data;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.Embedded;

public sealed partial class DuckDbWarehouse
{
    /// <inheritdoc />
    public async Task<IReadOnlyList<UploadRecord>> LoadAsync(IReadOnlyList<LoadRequest> batch, CancellationToken ct)
    {
        // One load transaction at a time: DuckDB is single-writer per table and batches are already large.
        await _loadLock.WaitAsync(ct);
        try
        {
            await using var c = Open();
            await using var tx = await c.BeginTransactionAsync(ct);
            var startedAt = _time.GetUtcNow();
            var loadedAt = startedAt.UtcDateTime;
            var appenders = new Dictionary<string, DuckDBAppender>(StringComparer.Ordinal);
            var results = new UploadRecord[batch.Count];
            var outcomes = new ValidationResult?[batch.Count];
            try
            {
                // The ledger is read and written set-wise: a batch of a thousand takeoffs costs two statements, not two thousand.
                var current = await ReadUploadsAsync(c, batch.Select(r => r.Upload.UploadId), ct);
                for (var i = 0; i < batch.Count; i++)
                {
                    var req = batch[i];
                    if (!current.TryGetValue(req.Upload.UploadId, out var record) || record.Status != UploadStatus.Stored)
                    {
                        results[i] = record ?? req.Upload; // a redelivery of something already settled: no-op
                        continue;
                    }
                    // Large plain files go to DuckDB's CSV reader; the rest (and anything it declines) to the C# validator.
                    var result = req.Upload.Bytes >= BulkThresholdBytes ? await TryBulkLoadAsync(c, appenders, req, loadedAt, ct) : null;
                    if (result is null && req.Dataset.Options.AllOrNothing)
                    {
                        await using (var probe = await req.OpenAsync(ct))
                            result = await CsvValidator.ValidateAsync(probe, req.Dataset, NullSink.Instance, ct);
                        if (result.RowsRejected == 0 && result.FileError is null)
                        {
                            await using var again = await req.OpenAsync(ct);
                            result = await CsvValidator.ValidateAsync(again, req.Dataset, SinkFor(c, appenders, req, loadedAt), ct);
                        }
                        else
                        {
                            result.RowsAccepted = 0;
                        }
                    }
                    else if (result is null)
                    {
                        await using var stream = await req.OpenAsync(ct);
                        result = await CsvValidator.ValidateAsync(stream, req.Dataset, SinkFor(c, appenders, req, loadedAt), ct);
                    }
                    outcomes[i] = result;
                    results[i] = record;
                }
                foreach (var a in appenders.Values) a.Close();

                var completedAt = _time.GetUtcNow();
                var loaded = new List<int>();
                for (var i = 0; i < results.Length; i++)
                {
                    if (outcomes[i] is not { } result) continue;
                    results[i] = results[i] with
                    {
                        Status = Outcome(result), RowsLoaded = result.RowsAccepted, RowsRejected = result.RowsRejected, Errors = result.Errors,
                        Error = null, ProcessingStartedAt = startedAt, CompletedAt = completedAt, Attempts = results[i].Attempts + 1,
                    };
                    loaded.Add(i);
                }
                if (loaded.Count > 0)
                {
                    await ExecuteAsync(c, $"""
                        UPDATE {UploadsTable} SET status = v.status, rows_loaded = v.rows_loaded, rows_rejected = v.rows_rejected, errors = v.errors,
                          error = NULL, processing_started_at = $ps, completed_at = $ca, attempts = {UploadsTable}.attempts + 1
                        FROM (SELECT unnest($ids) AS upload_id, unnest($st) AS status, unnest($rl) AS rows_loaded, unnest($rr) AS rows_rejected, unnest($er) AS errors) v
                        WHERE {UploadsTable}.upload_id = v.upload_id
                        """, ct,
                        P("ids", loaded.Select(i => results[i].UploadId).ToList()),
                        P("st", loaded.Select(i => results[i].Status.ToWire()).ToList()),
                        P("rl", loaded.Select(i => results[i].RowsLoaded).ToList()),
                        P("rr", loaded.Select(i => results[i].RowsRejected).ToList()),
                        P("er", loaded.Select(i => SerializeErrors(results[i].Errors)).ToList()),
                        P("ps", Utc(startedAt)), P("ca", Utc(completedAt)));
                }
                foreach (var ds in loaded.Where(i => results[i].RowsLoaded > 0).Select(i => results[i].Dataset).Distinct())
                {
                    await ExecuteAsync(c, $"""
                        INSERT INTO {VersionsTable} VALUES ($d, 1, $at)
                        ON CONFLICT (dataset) DO UPDATE SET version = version + 1, last_loaded_at = excluded.last_loaded_at
                        """, ct, P("d", ds), P("at", Utc(completedAt)));
                }
                await tx.CommitAsync(ct);
                CountLoadTransaction();
                return results;
            }
            finally
            {
                foreach (var a in appenders.Values) a.Dispose();
            }
        }
        finally
        {
            _loadLock.Release();
        }
    }

    private static UploadStatus Outcome(ValidationResult r) =>
        r.FileError is not null || (r.RowsAccepted == 0 && r.RowsRejected > 0) ? UploadStatus.Rejected
        : r.RowsRejected > 0 ? UploadStatus.PartiallyLoaded
        : UploadStatus.Loaded;

    private static AppenderSink SinkFor(DuckDBConnection c, Dictionary<string, DuckDBAppender> appenders, LoadRequest req, DateTime loadedAt)
    {
        if (!appenders.TryGetValue(req.Dataset.Name, out var appender))
            appenders[req.Dataset.Name] = appender = c.CreateAppender(req.Dataset.Name);
        return new AppenderSink(appender, req.Dataset, req.Upload.UploadId, loadedAt);
    }

    private sealed class NullSink : IRowSink
    {
        public static readonly NullSink Instance = new();
        public void Append(ReadOnlySpan<FieldValue> row, long line) { }
    }

    /// <summary>Writes accepted rows straight into DuckDB's appender: no per-row SQL.</summary>
    private sealed class AppenderSink(DuckDBAppender appender, DatasetSchema dataset, string uploadId, DateTime loadedAt) : IRowSink
    {
        public void Append(ReadOnlySpan<FieldValue> row, long line)
        {
            var r = appender.CreateRow();
            var columns = dataset.Columns;
            for (var i = 0; i < columns.Count; i++)
            {
                ref readonly var v = ref row[i];
                if (v.IsNull) { r.AppendNullValue(); continue; }
                switch (columns[i].Type)
                {
                    case ColumnType.Integer: r.AppendValue((long?)v.Int64); break;
                    case ColumnType.Float: r.AppendValue((double?)v.Double); break;
                    case ColumnType.Numeric: r.AppendValue((decimal?)v.Decimal); break;
                    case ColumnType.Boolean: r.AppendValue((bool?)v.Boolean); break;
                    case ColumnType.String: r.AppendValue(v.String); break;
                    case ColumnType.Date: r.AppendValue((DateOnly?)DateOnly.FromDateTime(v.DateTime)); break;
                    case ColumnType.Timestamp: r.AppendValue((DateTime?)v.DateTime); break;
                }
            }
            r.AppendValue(uploadId).AppendValue((long?)line).AppendValue((DateTime?)loadedAt).EndRow();
        }
    }
}
